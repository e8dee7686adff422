import type { Chart } from "cdk8s";
import { Construct } from "constructs";
import { KindCluster, type KindNodeProps, type KindPortMapping } from "../cluster/kind-cluster.ts";
import {
  type ArtifactReader,
  type HostPathVariable,
  type KindPatch,
  type RenderedChartReader,
  STAGES,
  type StageName,
} from "../components/component.ts";
import { type AnyLab, asResolvedLab, type ResolvedLab } from "../components/resolve.ts";
import { LabError } from "../model/errors.ts";
import { DEFAULT_KUBE_PROXY_MODE } from "../model/kube-proxy-mode.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import { buildProbesStage, type ProbesStage } from "../probes/stage/probes-stage.ts";
import { StageChart } from "./stage-order.ts";

export interface LabProps {
  /**
   * The lab: the input a lab file writes (defaults are filled in), a LabSpec, or a ResolvedLab
   * (`labs up` resolves once and passes it on; it is not parsed or resolved again).
   */
  readonly spec: AnyLab;
  /**
   * Reads pinned upstream files from the artifact cache. Needed only by components that include
   * upstream manifests (Flannel, Calico, …). @default a reader that fails with "run labs prefetch"
   */
  readonly readArtifact?: ArtifactReader;
  /** Reads Helm charts rendered in the artifact step. @default a reader that fails with "run labs prefetch" */
  readonly readRenderedChart?: RenderedChartReader;
  /**
   * Called instead of throwing when a component's build fails, so a lab can be sketched without
   * its upstream files (`labs probes` plans from the objects labs writes itself). @default rethrow
   */
  readonly onBuildError?: (component: string, error: unknown) => void;
}

const noArtifacts: ArtifactReader = (ref) => {
  throw new LabError(
    `artifact ${ref.id} is not in the cache`,
    "run `labs prefetch <lab>` first (or set LABS_MIRROR)",
  );
};

const noCharts: RenderedChartReader = (render) => {
  throw new LabError(
    `chart ${render.id} has not been rendered`,
    "run `labs prefetch <lab>` first (it needs helm)",
  );
};

/** Folds every component's kind-config patch into one. */
function mergeKindPatches(patches: KindPatch[]): Required<KindPatch> {
  const out: Required<KindPatch> = {
    disableDefaultCNI: false,
    kubeProxyMode: DEFAULT_KUBE_PROXY_MODE,
    extraMounts: [],
    extraPortMappings: [],
    ingressNodeLabels: {},
    kubeadmConfigPatches: [],
    hostPathVariables: [],
  };
  for (const p of patches) {
    if (p.disableDefaultCNI) out.disableDefaultCNI = true;
    if (p.kubeProxyMode) out.kubeProxyMode = p.kubeProxyMode;
    out.extraMounts.push(...(p.extraMounts ?? []));
    out.extraPortMappings.push(...(p.extraPortMappings ?? []));
    Object.assign(out.ingressNodeLabels, p.ingressNodeLabels ?? {});
    out.kubeadmConfigPatches.push(...(p.kubeadmConfigPatches ?? []));
    for (const v of p.hostPathVariables ?? [])
      if (!out.hostPathVariables.some((h) => h.name === v.name)) out.hostPathVariables.push(v);
  }
  return out;
}

/** Lays out kind nodes: control planes first, then workers; port mappings land on the node they name. */
function kindNodes(spec: LabSpec, patch: Required<KindPatch>): KindNodeProps[] {
  const nodes: KindNodeProps[] = [
    ...Array.from({ length: spec.nodes.controlPlanes }, (): KindNodeProps => ({ role: "control-plane" })),
    ...Array.from({ length: spec.nodes.workers }, (): KindNodeProps => ({ role: "worker" })),
  ];
  for (const n of nodes)
    if (patch.extraMounts.length) n.extraMounts = patch.extraMounts.map((m) => ({ ...m }));
  for (const pm of patch.extraPortMappings) {
    const wantWorker = pm.node === "first-worker" && spec.nodes.workers > 0;
    const target = nodes.find((n) => n.role === (wantWorker ? "worker" : "control-plane"))!;
    const mapping: KindPortMapping = {
      containerPort: pm.containerPort,
      hostPort: pm.hostPort,
      listenAddress: spec.listenAddress,
      protocol: pm.protocol ?? "TCP",
    };
    target.extraPortMappings = [...(target.extraPortMappings ?? []), mapping];
    if (Object.keys(patch.ingressNodeLabels).length) target.labels = { ...patch.ingressNodeLabels };
  }
  return nodes;
}

/**
 * A whole lab as cdk8s constructs: the kind cluster config and one Chart per stage
 * (crds → cni → platform → apps → probes), each depending on the one before. Each stage writes
 * its Namespaces and CRDs first (StageChart), whatever order components create them in.
 */
export class Lab extends Construct {
  readonly resolved: ResolvedLab;
  readonly cluster: KindCluster;
  readonly stages: Readonly<Record<StageName, Chart>>;
  /** The probe plan and the gates of the probes stage (its clients and policy fixtures). */
  readonly probes: ProbesStage;
  /** Variables in kind.yaml's hostPaths that the runtime substitutes (see HostPathVariable). */
  readonly hostPathVariables: readonly HostPathVariable[];

  constructor(scope: Construct, id: string, props: LabProps) {
    super(scope, id);
    this.resolved = asResolvedLab(props.spec);
    const lab = this.resolved;
    const spec = lab.spec;

    const patch = mergeKindPatches(lab.components.map((s) => s.component.kindConfig?.(s.options, lab) ?? {}));
    this.hostPathVariables = patch.hostPathVariables;
    this.cluster = new KindCluster(this, "cluster", {
      name: lab.clusterName,
      image: spec.nodeImage,
      nodes: kindNodes(spec, patch),
      ipFamily: spec.ipFamily,
      podSubnet: spec.podSubnet,
      serviceSubnet: spec.serviceSubnet,
      disableDefaultCNI: patch.disableDefaultCNI,
      kubeProxyMode: patch.kubeProxyMode,
      kubeadmConfigPatches: patch.kubeadmConfigPatches,
    });

    const charts = {} as Record<StageName, Chart>;
    let previous: Chart | undefined;
    for (const stage of STAGES) {
      const chart = new StageChart(this, stage, { disableResourceNameHashes: true });
      if (previous) chart.addDependency(previous);
      charts[stage] = chart;
      previous = chart;
    }
    this.stages = charts;

    const ctx = {
      lab,
      stage: (name: StageName) => charts[name],
      readArtifact: props.readArtifact ?? noArtifacts,
      readRenderedChart: props.readRenderedChart ?? noCharts,
    };
    for (const s of lab.components) {
      try {
        s.component.build?.(ctx, s.options);
      } catch (e) {
        if (!props.onBuildError) throw e;
        props.onBuildError(s.component.name, e);
      }
    }
    this.probes = buildProbesStage(lab, charts, this.cluster.props.nodes);
  }
}
