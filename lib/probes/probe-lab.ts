/**
 * What the catalogue plans from: the resolved lab (capabilities with their reasons, components,
 * inspections), the objects labs itself wrote for it (its apps' Services, StatefulSets, Ingresses,
 * Gateways and routes: upstream controllers' objects are left out), and the kind nodes with their
 * host port mappings. Probes follow what the lab really deploys, whatever the apps are named.
 */
import {
  ANSWERS_ANNOTATION,
  type HttpAnswers,
  parseAnswers,
  pathSaying,
  type Says,
} from "../components/apps/answers.ts";
import type { ResolvedLab } from "../components/resolve.ts";
import type { K8sObject } from "../model/k8s-object.ts";
import {
  type ClientPod,
  type KindNode,
  kindNodeNames,
  NETPOL_NAMESPACE,
  PROBES_NAMESPACE,
  probeClients,
  TARGET_ANSWERS,
} from "./clients.ts";
import type { Labels, PodSet, ServiceRef } from "./probes-plan.ts";

/** A manifest fragment read field by field (shapes vary by kind and by author). */
// biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary JSON
export type Loose = Record<string, any>;

export interface PortMapping {
  node: string;
  containerPort: number;
  hostPort: number;
  listenAddress: string;
  protocol: string;
}

export interface ProbeLab {
  lab: ResolvedLab;
  /** Objects written by labs (not upstream), from every stage before `probes`. */
  objects: K8sObject[];
  nodes: KindNode[];
  portMappings: PortMapping[];
  clients: ClientPod[];
}

export function probeLab(lab: ResolvedLab, objects: K8sObject[], portMappings: PortMapping[] = []): ProbeLab {
  const nodes = kindNodeNames(lab.clusterName, lab.spec.nodes);
  return { lab, objects, nodes, portMappings, clients: probeClients(lab.clusterName, nodes) };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol: string;
}

export interface ServiceInfo extends ServiceRef {
  type: "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
  headless: boolean;
  selector?: Labels;
  ports: ServicePort[];
  externalName?: string;
  externalTrafficPolicy: "Cluster" | "Local";
  labels: Labels;
}

const nsOf = (o: K8sObject) => o.metadata?.namespace ?? "default";

export function servicesOf(pl: ProbeLab): ServiceInfo[] {
  return pl.objects
    .filter((o) => o.apiVersion === "v1" && o.kind === "Service")
    .map((o): ServiceInfo => {
      const spec = o.spec ?? {};
      const selector =
        spec.selector && Object.keys(spec.selector).length ? (spec.selector as Labels) : undefined;
      return {
        namespace: nsOf(o),
        service: o.metadata?.name ?? "",
        type: spec.type ?? "ClusterIP",
        headless: spec.clusterIP === "None",
        selector,
        ports: ((spec.ports ?? []) as Record<string, unknown>[]).map((p) => ({
          name: p.name as string | undefined,
          port: p.port as number,
          targetPort: p.targetPort as number | string | undefined,
          nodePort: p.nodePort as number | undefined,
          protocol: (p.protocol as string | undefined) ?? "TCP",
        })),
        externalName: spec.externalName,
        externalTrafficPolicy: spec.externalTrafficPolicy === "Local" ? "Local" : "Cluster",
        labels: o.metadata?.labels ?? {},
      };
    });
}

export const podsOf = (s: ServiceInfo): PodSet | undefined =>
  s.selector ? { namespace: s.namespace, selector: s.selector } : undefined;

/** The HTTP port of a Service: named `http`, else the first TCP port. */
export function httpPortOf(s: ServiceInfo): ServicePort | undefined {
  const tcp = s.ports.filter((p) => p.protocol === "TCP");
  return tcp.find((p) => p.name === "http") ?? tcp[0];
}

export const udpPortOf = (s: ServiceInfo): ServicePort | undefined =>
  s.ports.find((p) => p.protocol === "UDP");

/** Services of the lab's apps that probes can exercise: labs-made, with pods behind them. */
export function appServices(pl: ProbeLab): ServiceInfo[] {
  return servicesOf(pl).filter((s) => s.selector && s.type !== "ExternalName");
}

/** The path that makes a Service's pods say their name (agnhost `/hostname`), if they declare one. */
export const namePath = (pl: ProbeLab, s: ServiceInfo): string | undefined =>
  pathFor(pl, podsOf(s)!, "pod-name");

/**
 * App Services of one type whose pods answer HTTP with their pod name: the ones a check can judge
 * by which pod answered.
 */
export function servicesNamingPods(pl: ProbeLab, type: ServiceInfo["type"]): ServiceInfo[] {
  return appServices(pl).filter((s) => s.type === type && httpPortOf(s) && namePath(pl, s));
}

export function findService(pl: ProbeLab, ref: ServiceRef): ServiceInfo | undefined {
  return servicesOf(pl).find((s) => s.namespace === ref.namespace && s.service === ref.service);
}

export interface StatefulSetInfo {
  namespace: string;
  name: string;
  serviceName: string;
  replicas: number;
  labels: Labels;
}

export function statefulSetsOf(pl: ProbeLab): StatefulSetInfo[] {
  return pl.objects
    .filter((o) => o.kind === "StatefulSet" && o.apiVersion === "apps/v1" && o.spec?.serviceName)
    .map((o) => ({
      namespace: nsOf(o),
      name: o.metadata?.name ?? "",
      serviceName: o.spec.serviceName as string,
      replicas: (o.spec.replicas as number | undefined) ?? 1,
      labels: (o.spec.template?.metadata?.labels ?? {}) as Labels,
    }));
}

export const byKind = (pl: ProbeLab, kind: string, group: string): K8sObject[] =>
  pl.objects.filter((o) => o.kind === kind && o.apiVersion.startsWith(group));

/** The host port that reaches `containerPort` on a node, if the lab maps one. */
export function hostPortFor(pl: ProbeLab, containerPort: number, protocol = "TCP"): PortMapping | undefined {
  return pl.portMappings.find((m) => m.containerPort === containerPort && m.protocol === protocol);
}

/** The client pods by role: the planner hands them to every probe's `plan`. */
export interface Clients {
  /** The node client on the first node: the source of checks that need only one. */
  first: ClientPod;
  /** One client on each node. */
  nodeClients: ClientPod[];
  /** A second client on the first node, beside `first`. */
  peer: ClientPod;
  /** The client under the DNS-only egress policy. */
  egress: ClientPod;
}

export function clientsOf(pl: ProbeLab): Clients {
  const nodeClients = pl.clients.filter((c) => c.role === "node");
  return {
    first: nodeClients[0]!,
    nodeClients,
    peer: pl.clients.find((c) => c.role === "peer")!,
    egress: pl.clients.find((c) => c.role === "egress")!,
  };
}

export interface PodTemplate {
  namespace: string;
  kind: string;
  name: string;
  labels: Labels;
  annotations: Record<string, string>;
  containers: {
    image?: string;
    args?: string[];
    command?: string[];
    ports?: { containerPort: number; protocol?: string }[];
  }[];
}

/** Pod templates of the lab's workloads (and bare pods). */
export function podTemplatesOf(pl: ProbeLab): PodTemplate[] {
  return pl.objects.flatMap((o): PodTemplate[] => {
    const template = o.kind === "Pod" ? { metadata: o.metadata, spec: o.spec } : o.spec?.template;
    if (
      !template?.spec?.containers ||
      !["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"].includes(o.kind)
    )
      return [];
    return [
      {
        namespace: nsOf(o),
        kind: o.kind,
        name: o.metadata?.name ?? "",
        labels: (template.metadata?.labels ?? {}) as Labels,
        annotations: (template.metadata?.annotations ?? {}) as Record<string, string>,
        containers: template.spec.containers,
      },
    ];
  });
}

const matches = (selector: Labels, labels: Labels) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

export function templatesFor(pl: ProbeLab, pods: PodSet): PodTemplate[] {
  return podTemplatesOf(pl).filter((t) => t.namespace === pods.namespace && matches(pods.selector, t.labels));
}

/**
 * What every pod of the set declares it answers over HTTP (components/apps/answers.ts), or
 * undefined when a pod declares nothing or the pods disagree: then no check may rely on what
 * they answer. The probe clients and policy targets are labs' own (clients.ts).
 */
export function answersOf(pl: ProbeLab, pods: PodSet): HttpAnswers | undefined {
  const templates = templatesFor(pl, pods);
  if (!templates.length && (pods.namespace === PROBES_NAMESPACE || pods.namespace === NETPOL_NAMESPACE))
    return TARGET_ANSWERS;
  if (!templates.length) return undefined;
  const declared = templates.map((t) => parseAnswers(t.annotations[ANSWERS_ANNOTATION]));
  const first = declared[0];
  if (!first || declared.some((d) => JSON.stringify(d) !== JSON.stringify(first))) return undefined;
  return first;
}

/** The path a direct request asks for an answer from `pods` that says `says`, if they have one. */
export function pathFor(pl: ProbeLab, pods: PodSet, says: Says): string | undefined {
  const answers = answersOf(pl, pods);
  return answers && pathSaying(answers, says);
}
