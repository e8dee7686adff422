import type { Chart } from "cdk8s";
import type { z } from "zod";
import type { ArtifactReader, ArtifactRef } from "../model/artifact-ref.ts";
import type { Finding } from "../model/findings.ts";
import type { KubeProxyMode } from "../model/kube-proxy-mode.ts";
import type { KubeVersion } from "../model/kubernetes-version.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import type { RuntimeObject } from "../validate/admission.ts";
import type { ProductVersions } from "./compatibility.ts";
import type { ComponentFaults } from "./fault.ts";

/**
 * The descriptor every component provides. A component is one CNI, kube-proxy mode, ingress,
 * gateway, load balancer or app. Everything here is plain data or a pure function of the
 * component's options and the lab; `build` adds cdk8s objects to the lab's stage charts.
 */

export type ComponentKind = "cni" | "proxy" | "ingress" | "gateway" | "loadBalancer" | "app";

/** Manifests are applied stage by stage; each stage waits for its gates before the next starts. */
export const STAGES = ["crds", "cni", "platform", "apps", "probes"] as const;
export type StageName = (typeof STAGES)[number];

/** What a lab can do. Expectations of probes are computed from these. */
export interface Capabilities {
  /** NetworkPolicy objects are enforced by the dataplane. */
  networkPolicy: boolean;
  /** Something other than kube-proxy programs Services (Cilium KPR, Calico eBPF). */
  kubeProxyReplacement: boolean;
  /** Who programs Services: kube-proxy's mode or the replacing component. */
  serviceProxy: string;
  /** How pod traffic crosses nodes: vxlan, geneve, routed (host-gw / direct), wireguard. */
  podEncapsulation: string;
  /** Services of type LoadBalancer get an address reachable from the host. */
  loadBalancer: boolean;
  /** An Ingress controller serves Ingress objects. */
  ingress: boolean;
  /** A Gateway API implementation serves Gateways and HTTPRoutes. */
  gatewayApi: boolean;
  /**
   * What the dataplane does with a packet NetworkPolicy denies: `drop` it (the client sees no
   * handshake and times out), `reject` it (a TCP RST or an ICMP error comes back at once), or
   * `none` (nothing enforces policy). A "blocked" probe passes only on this outcome.
   */
  policyDenial: "drop" | "reject" | "none";
  /**
   * Where LoadBalancer traffic enters a node from: the `client` itself (the address is announced
   * on the node network; packets arrive unchanged), or a `proxy` that opens its own connection to
   * node:nodePort (an L4 proxy: the node sees the proxy's address). `none` without a load balancer.
   */
  loadBalancerSource: "client" | "proxy" | "none";
  /**
   * What the service proxy does to the source of external traffic (NodePort, LoadBalancer) for a
   * Service with externalTrafficPolicy Cluster: SNAT to the node `always`, only when the chosen
   * backend runs on another node (`remote-backend`), or `never` (the source is preserved).
   */
  externalSourceNat: "always" | "remote-backend" | "never";
}
export type CapabilityName = keyof Capabilities;

/** A capability value with the component that set it and why: the report repeats the why. */
export interface CapabilityClaim<V = Capabilities[CapabilityName]> {
  value: V;
  reason: string;
}
export type CapabilityClaims = { [K in CapabilityName]?: CapabilityClaim<Capabilities[K]> };

/** Upstream files a component needs, pinned by sha256 (declared in lib/model, shared with lib/upstream). */
export type { ArtifactReader, ArtifactRef } from "../model/artifact-ref.ts";

/**
 * A Helm chart a component renders. Rendering (`helm template --include-crds`) happens in the
 * artifact step before synth; synth reads the rendered YAML from the cache.
 */
export interface ChartRender {
  /** Stable id, e.g. `cilium`. */
  id: string;
  chart: ArtifactRef;
  release: string;
  namespace: string;
  /** Values built by the component; must keep the render byte-identical across runs. */
  values: Record<string, unknown>;
}

/** Returns the rendered YAML of a chart from the cache. Synth never runs helm. */
export type RenderedChartReader = (render: ChartRender) => string;

/** A readiness condition the runtime waits for after applying a stage. */
export type Gate = { stage: StageName; timeoutSeconds: number; description: string } & (
  | { kind: "crds-established"; names: string[] }
  | { kind: "daemonset-rolled-out"; namespace: string; name: string }
  | { kind: "deployment-available"; namespace: string; name: string }
  | { kind: "statefulset-ready"; namespace: string; name: string }
  | { kind: "nodes-ready" }
  | { kind: "condition"; resource: string; namespace?: string; condition: string }
);

/** A command run on a node container (docker exec) that shows what a component did to the dataplane. */
export interface Inspection {
  id: string;
  title: string;
  /** Which node: the first control plane, or every node. */
  on: "control-plane" | "every-node";
  command: string[];
  /** What the output shows, for learners. */
  explains: string;
  /** A fragment the output must contain for the component to be in effect (a probe checks it). */
  expectContains?: string;
}

/** What a component changes in the kind cluster config. Merged over all components. */
export interface KindPatch {
  disableDefaultCNI?: boolean;
  kubeProxyMode?: KubeProxyMode;
  /** Mounted on every node. */
  extraMounts?: { hostPath: string; containerPath: string; readOnly?: boolean }[];
  /** Mapped on the first node that matches `node` (default: first control plane). */
  extraPortMappings?: {
    node?: "control-plane" | "first-worker";
    containerPort: number;
    hostPort: number;
    protocol?: "TCP" | "UDP";
  }[];
  /** Labels put on the node that gets port mappings, so a controller can be pinned to it. */
  ingressNodeLabels?: Record<string, string>;
  kubeadmConfigPatches?: string[];
  /** Variables used in `extraMounts[].hostPath`; see HostPathVariable. */
  hostPathVariables?: HostPathVariable[];
}

/** The CPU architecture of the kind nodes (the Docker engine's), as release tarballs name it. */
export type NodeArch = "amd64" | "arm64";

/**
 * A variable in an extraMount's hostPath, written `${NAME}` in kind.yaml. kind.yaml must be
 * byte-identical on every machine, yet the host folder it mounts lives in the user's artifact
 * cache and depends on the Docker engine's architecture (the amd64 and arm64 CNI plugins are
 * different tarballs with different digests). So kind.yaml keeps the variable, lab.json lists
 * it with one `path` per architecture, and the runtime writes the concrete kind config into the
 * lab's state directory: it takes the entry of the engine's architecture, replaces
 * `${LABS_CACHE_DIR}` in its `path` with the artifact cache directory, and puts the result in
 * place of `${NAME}` (lib/components/host-paths.ts `substituteHostPaths` does exactly that).
 */
export interface HostPathVariable {
  /** Upper-case name, e.g. `LABS_CNI_PLUGINS`; written `${LABS_CNI_PLUGINS}` in hostPaths. */
  name: string;
  /** What the folder holds, for lab.json readers. */
  explains: string;
  /** Per architecture: the artifact that fills the folder and the folder, under `${LABS_CACHE_DIR}`. */
  byArch: Record<NodeArch, { artifact: string; sha256: string; path: string }>;
}

/**
 * A value only the running cluster knows, written `${NAME}` in a stage file and filled in by the
 * runtime after `kind create cluster`, before the first stage is applied. The stage files stay
 * the same on every machine (the lock hashes them); lab.json lists the variables, and `labs up`
 * applies concrete copies from the lab's state folder.
 */
export interface ClusterVariable {
  /** Upper-case name, e.g. `LABS_API_SERVER_ADDRESS`. */
  name: string;
  /**
   * Where the runtime reads it. `api-server-address`: the first address of the `kubernetes`
   * EndpointSlice in `default`, i.e. the IP the API server advertises on the kind network.
   */
  source: "api-server-address";
  /** Why a stage needs it, for lab.json readers. */
  explains: string;
}

/** A container the runtime starts next to the cluster (e.g. cloud-provider-kind). */
export interface SideContainer {
  name: string;
  image: string;
  args: string[];
  /** Mount the Docker socket (cloud-provider-kind manages containers). */
  dockerSocket: boolean;
  network: "kind";
  /**
   * The runtime starts the container before applying this stage (after the previous stage's
   * gates), because that stage's gates need it, e.g. a Gateway that only becomes Programmed
   * once a load balancer gives it an address. Absent: once every stage is applied.
   */
  startBefore?: StageName;
  /**
   * Extra arguments when the Docker engine runs in a VM (Docker Desktop on macOS or Windows,
   * WSL2): the host cannot route to container IPs there, so e.g. cloud-provider-kind must publish
   * its load balancers' ports on the host instead.
   */
  argsIfDockerInVm?: string[];
  /**
   * Label key the container puts on the containers it creates, valued with the cluster name.
   * The runtime removes what still carries `<key>=<cluster>` once the lab's cluster is gone.
   */
  createsContainersLabelled?: string;
  /**
   * One instance serves every kind cluster on the Docker host, whatever lab started it (e.g.
   * cloud-provider-kind). The runtime shares one container among the running labs that declare
   * it with the same image and arguments, refuses a lab that would put a kind cluster in its
   * reach that must not be, and stops it with its last lab. `why` says what makes it host-wide.
   */
  hostWide?: { why: string };
}

/**
 * A kubectl command the runtime runs once, right after `kind create cluster` and before the
 * first stage, for cluster state no manifest can express (e.g. removing a label kubeadm sets).
 */
export interface ClusterStep {
  id: string;
  /** Why the step exists, for logs and learners. */
  description: string;
  /** kubectl arguments; the runtime adds its own kubeconfig/context flags. */
  kubectl: string[];
}

/** The lab as components see it while they are resolved: spec, version and merged capabilities. */
export interface LabView {
  spec: LabSpec;
  kubeVersion: KubeVersion;
  /** Cluster name given to kind: `labs-<lab>`. */
  clusterName: string;
  capabilities: Capabilities;
  /** Selected component names by kind (apps: every app). */
  selected: {
    cni: string;
    proxy: string;
    ingress?: string;
    gateway?: string;
    loadBalancer?: string;
    apps: string[];
  };
}

/** What `build` gets: the lab, a chart per stage, and the cache. */
export interface BuildContext {
  lab: LabView;
  stage(name: StageName): Chart;
  readArtifact: ArtifactReader;
  readRenderedChart: RenderedChartReader;
}

export interface Component<O = Record<string, unknown>> {
  kind: ComponentKind;
  name: string;
  /** Human name, e.g. `Flannel`. */
  title: string;
  /** The upstream version labs pins (the default one, when an option picks among several). */
  version?: string;
  /** The version these options pick, when an option picks among pinned versions. @default version */
  versionOf?(options: O): string;
  /** One sentence for `labs show` and reports. */
  summary: string;
  /** Options schema: a strict object with defaults, so unknown options are errors. */
  options: z.ZodType<O>;
  capabilities?(options: O, lab: Omit<LabView, "capabilities">): CapabilityClaims;
  /** Combination rules with clear messages. */
  rules?(options: O, lab: LabView): Finding[];
  /** Versions of upstream products this component puts in the lab, checked against the compatibility table. */
  versions?(options: O, lab: LabView): ProductVersions;
  artifacts?(options: O, lab: LabView): ArtifactRef[];
  /** Helm charts to render in the artifact step (their archives belong in `artifacts` too). */
  charts?(options: O, lab: LabView): ChartRender[];
  /** Images the component runs that do not appear in its manifests (side containers). */
  images?(options: O, lab: LabView): string[];
  gates?(options: O, lab: LabView): Gate[];
  inspections?(options: O, lab: LabView): Inspection[];
  kindConfig?(options: O, lab: LabView): KindPatch;
  sideContainers?(options: O, lab: LabView): SideContainer[];
  /** kubectl steps the runtime runs once after the cluster is created (listed in lab.json). */
  postCreate?(options: O, lab: LabView): ClusterStep[];
  /** Stages whose manifests must be applied server-side (objects too big for client-side apply). */
  serverSideStages?: StageName[];
  /**
   * Break-fix faults of the layer this component owns (lib/components/fault.ts), including the
   * ones that cannot exist in this lab, with the reason.
   */
  faults?(options: O, lab: LabView): ComponentFaults;
  /** Values the runtime fills into stage files once the cluster exists (see ClusterVariable). */
  clusterVariables?(options: O, lab: LabView): ClusterVariable[];
  /** Objects its controller creates in the cluster while it runs (lint checks admission against them). */
  runtimeObjects?(options: O, lab: LabView): RuntimeObject[];
  build?(ctx: BuildContext, options: O): void;
}

/** Helper that keeps a component's options type when it is declared. */
export function defineComponent<O>(c: Component<O>): Component<O> {
  return c;
}
