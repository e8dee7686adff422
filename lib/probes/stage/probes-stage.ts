/**
 * Builds a lab's `probes` stage from its other stages: the objects labs wrote (not the upstream
 * controllers') tell the catalogue what to check; the plan goes into the probe clients' ConfigMap
 * and into `probes.plan.json`.
 */
import { ApiObject, type Chart } from "cdk8s";
import type { KindNodeProps } from "../../cluster/kind-cluster.ts";
import type { Gate, StageName } from "../../components/component.ts";
import type { ResolvedLab } from "../../components/resolve.ts";
import { ORIGIN_METADATA } from "../../components/upstream-manifest.ts";
import { DEFAULT_LISTEN_ADDRESS } from "../../model/defaults.ts";
import type { K8sObject } from "../../model/k8s-object.ts";
import type { KindNode } from "../clients.ts";
import { type PortMapping, type ProbeLab, probeLab } from "../probe-lab.ts";
import type { ProbesPlan } from "../probes-plan.ts";
import { planProbes } from "./planner.ts";
import { ProbeClients } from "./probe-clients.ts";

/** The objects of `charts` that labs wrote itself, as JSON. */
export function labsMadeObjects(charts: Chart[]): K8sObject[] {
  return charts.flatMap((chart) =>
    chart.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject)
      .filter((o) => !o.node.metadata.some((m) => m.type === ORIGIN_METADATA))
      .map((o) => o.toJson() as K8sObject),
  );
}

/** Host port mappings per node, with kind's node names (nodes listed in kind config order). */
export function portMappingsOf(nodes: KindNode[], props: KindNodeProps[]): PortMapping[] {
  return props.flatMap((n, i) =>
    (n.extraPortMappings ?? []).map((pm) => ({
      node: nodes[i]!.name,
      containerPort: pm.containerPort,
      hostPort: pm.hostPort,
      listenAddress: pm.listenAddress ?? DEFAULT_LISTEN_ADDRESS,
      protocol: pm.protocol ?? "TCP",
    })),
  );
}

export interface ProbesStage {
  plan: ProbesPlan;
  gates: Gate[];
  /** What the plan was made from: the lab, its Services and objects, nodes and port mappings. */
  probeLab: ProbeLab;
}

/** Plans the lab's probes and adds the probe clients to the `probes` chart. */
export function buildProbesStage(
  lab: ResolvedLab,
  charts: Readonly<Record<StageName, Chart>>,
  kindNodes: KindNodeProps[],
): ProbesStage {
  const before = (["crds", "cni", "platform", "apps"] as const).map((s) => charts[s]);
  const draft = probeLab(lab, labsMadeObjects(before));
  const pl = { ...draft, portMappings: portMappingsOf(draft.nodes, kindNodes) };
  const plan = planProbes(pl);
  const clients = new ProbeClients(charts.probes, "probe-clients", { plan, clients: pl.clients });
  return { plan, gates: clients.gates, probeLab: pl };
}
