/**
 * The path of every planned check, as break-fix signatures need it: where the check runs (which
 * pod on which node, the host, a node), the name it resolves through cluster DNS, how it reaches
 * its target (pod IP, a node's own port, a Service's ClusterIP, a node port, a LoadBalancer IP, an
 * ingress or gateway route) and where the answering pods run when that is known. Everything is read
 * from the plan and the objects it was made from: no check is listed by name.
 */
import type { ResolvedLab } from "../components/resolve.ts";
import { kindNodeNames } from "../probes/clients.ts";
import { type PortMapping, type ProbeLab, type ServiceInfo, servicesOf } from "../probes/probe-lab.ts";
import type {
  AddressRef,
  Layer,
  PlannedCheck,
  PodSet,
  ProbesPlan,
  ServiceRef,
} from "../probes/probes-plan.ts";

/** kube-dns and kubeadm's cluster domain, as every kind cluster has them. */
const CLUSTER_DOMAIN = "cluster.local";
/** The `ndots` kubelet writes into every pod's resolv.conf. */
const NDOTS = 5;
/** The API server's Service. */
const API_SERVER: ServiceRef = { namespace: "default", service: "kubernetes" };

/** Where the pods that answer run: one known node, or unknown (the scheduler decides). */
export interface Target {
  namespace: string;
  /** Known only for pods bound to a node (the probe clients). */
  node?: string;
  pods?: PodSet;
  /** The API server, on the control-plane nodes' host network (not in the pod network). */
  apiServer?: boolean;
}

export type Via =
  /** Straight through the pod network, by pod IP. */
  | { kind: "pod-ip" }
  /** A node's own port (the kubelet): the node network only. */
  | { kind: "node-ip"; node: string }
  /** A Service's virtual IP, translated on the client's node. */
  | { kind: "cluster-ip"; service: ServiceRef; port?: number; protocol: "TCP" | "UDP" }
  /** A node port, translated on the node the traffic enters (unknown: any node). */
  | { kind: "node-port"; entry?: string; service?: ServiceRef; port?: number }
  /** A LoadBalancer IP from the lab's load balancer, then a node port on some node. */
  | { kind: "load-balancer"; service: ServiceRef }
  /**
   * An ingress or gateway route. `entry`: a host port mapped to a hostPort of the controller
   * (`host-port`), to a node port of its Service (`node-port`), or the address in its status.
   */
  | {
      kind: "route";
      serves: "ingress" | "gateway";
      entry: "host-port" | "node-port" | "address";
      entryNode?: string;
      /** The pods that must answer; none when the controller answers itself (404). */
      backends: PodSet[];
    }
  /** A DNS lookup only: nothing is sent to the target. */
  | { kind: "dns" }
  /** A command run in a node container. */
  | { kind: "inspect"; inspection: string; node: string };

export interface CheckPath {
  id: string;
  probe: string;
  layer: Layer;
  describes: string;
  from: { kind: "pod"; client: string; node: string } | { kind: "host" } | { kind: "node"; node: string };
  expectsBlocked: boolean;
  /** The expected outcome follows from NetworkPolicy (an allow, a deny, or policy not enforced). */
  policy: boolean;
  /** The name resolved through cluster DNS first, when there is one. */
  name?: {
    name: string;
    /** The answer needs a name outside the cluster (CoreDNS forwards it upstream). */
    outside: boolean;
    /** Search domains are tried before the name itself (a resolver with a search list, fewer dots than ndots). */
    searched: boolean;
  };
  via: Via;
  target?: Target;
}

export interface PathContext {
  lab: ResolvedLab;
  plan: ProbesPlan;
  services: ServiceInfo[];
  portMappings: PortMapping[];
  /** Node names in kind's order (index = NodeRef). */
  nodes: string[];
}

export function pathContext(lab: ResolvedLab, plan: ProbesPlan, probeLab?: ProbeLab): PathContext {
  const nodes = kindNodeNames(lab.clusterName, lab.spec.nodes).map((n) => n.name);
  return {
    lab,
    plan,
    services: probeLab ? servicesOf(probeLab) : [],
    portMappings: probeLab?.portMappings ?? [],
    nodes,
  };
}

/** `echo`, `echo.demo`, `echo.demo.svc.cluster.local` → the Service they name, seen from `namespace`. */
export function serviceOfName(name: string, namespace: string): ServiceRef | undefined {
  const bare = name.replace(/\.$/, "");
  const suffix = `.svc.${CLUSTER_DOMAIN}`;
  const parts = (bare.endsWith(suffix) ? bare.slice(0, -suffix.length) : bare).split(".");
  if (parts.length === 1) return { namespace, service: parts[0]! };
  if (parts.length === 2) return { namespace: parts[1]!, service: parts[0]! };
  return undefined;
}

/**
 * Whether CoreDNS answers the name from its own zone. An absolute name (a trailing dot) is taken as
 * it is; a relative one is completed by the pod's search domains first (`echo`, `echo.demo`).
 */
function inCluster(name: string): boolean {
  if (name.endsWith(".")) return name.endsWith(`.${CLUSTER_DOMAIN}.`);
  return !name.includes(".") || name.endsWith(`.${CLUSTER_DOMAIN}`) || name.split(".").length === 2;
}

function nameOf(check: PlannedCheck): CheckPath["name"] {
  const a = check.action;
  const name =
    a.kind === "dns" ? a.name : "to" in a && "dnsName" in a.to.address ? a.to.address.dnsName : undefined;
  if (!name) return undefined;
  // A DNS check with no answer to compare is an alias to a name outside the cluster (the
  // ExternalName probe expects addresses only when the alias stays inside).
  const outside = !inCluster(name) || (a.kind === "dns" && check.expect.answers === undefined);
  const dots = name.replace(/\.$/, "").split(".").length - 1;
  // A `dns` check asks the pod's nameserver for the name as it is (prober/dns.ts); a name in an
  // address goes through the search list first, as getaddrinfo does (prober/stub-resolver.ts).
  const searched = a.kind !== "dns" && !name.endsWith(".") && dots < NDOTS;
  return { name, outside, searched };
}

const sameRef = (a: ServiceRef, b: ServiceRef) => a.namespace === b.namespace && a.service === b.service;

function podTarget(
  set: PodSet & { name?: string; node?: "same" | "other" },
  ctx: PathContext,
  clientNode?: string,
): Target {
  const client = set.name
    ? ctx.plan.clients.find((c) => c.name === set.name && c.namespace === set.namespace)
    : undefined;
  const node = client?.node ?? (set.node === "same" ? clientNode : undefined);
  return {
    namespace: set.namespace,
    pods: { namespace: set.namespace, selector: set.selector },
    ...(node ? { node } : {}),
  };
}

/** The Service whose node port this is (a literal port, or the Service named in a nodePort reference). */
function nodePortService(
  port: number | { nodePort: ServiceRef & { port: string | number } },
  ctx: PathContext,
) {
  if (typeof port !== "number")
    return { service: { namespace: port.nodePort.namespace, service: port.nodePort.service } };
  const s = ctx.services.find((x) => x.ports.some((p) => p.nodePort === port));
  return s ? { service: { namespace: s.namespace, service: s.service }, port } : undefined;
}

/** Node ports are allocated from this range (kube-apiserver's default --service-node-port-range). */
const isNodePortNumber = (p: number) => p >= 30000 && p <= 32767;

function routeOf(check: PlannedCheck, ctx: PathContext): Via | undefined {
  const capability = check.expect.because?.capability;
  const serves = capability === "ingress" ? "ingress" : capability === "gatewayApi" ? "gateway" : undefined;
  const a = check.action;
  if (!serves || a.kind === "dns" || a.kind === "inspect") return undefined;
  const e = check.expect;
  const backends: PodSet[] = e.split
    ? e.split.shares.map((s) => s.pods)
    : e.backendIn
      ? [{ namespace: e.backendIn.namespace, selector: e.backendIn.selector }]
      : [];
  const address = a.to.address;
  const port = a.to.port;
  if ("ip" in address && typeof port === "number") {
    const mapping = ctx.portMappings.find((m) => m.hostPort === port);
    if (mapping) {
      return {
        kind: "route",
        serves,
        entry: isNodePortNumber(mapping.containerPort) ? "node-port" : "host-port",
        entryNode: mapping.node,
        backends,
      };
    }
  }
  return { kind: "route", serves, entry: "address", backends };
}

function viaOf(check: PlannedCheck, ctx: PathContext, clientNode?: string): { via: Via; target?: Target } {
  const a = check.action;
  const e = check.expect;
  const backends = e.backendIn ?? (a.kind === "coverage" ? a.backends : undefined);
  const named = e.backendIn?.name
    ? ctx.plan.clients.find((c) => c.name === e.backendIn!.name && c.namespace === e.backendIn!.namespace)
    : undefined;
  const backendTarget = (namespace: string): Target => ({
    namespace,
    ...(backends ? { pods: { namespace: backends.namespace, selector: backends.selector } } : {}),
    ...(named ? { node: named.node } : {}),
  });
  if (a.kind === "inspect") {
    const node = "node" in check.from ? check.from.node : "";
    return { via: { kind: "inspect", inspection: check.id.split("/")[1] ?? "", node } };
  }
  if (a.kind === "dns") return { via: { kind: "dns" } };
  if (e.outcome === "blocked" && e.denial === "nxdomain") return { via: { kind: "dns" } };
  const route = routeOf(check, ctx);
  if (route)
    return {
      via: route,
      ...(route.kind === "route" && route.backends[0]
        ? { target: { namespace: route.backends[0].namespace, pods: route.backends[0] } }
        : {}),
    };
  const address: AddressRef = a.to.address;
  const protocol = a.kind === "udp" ? "UDP" : "TCP";
  if ("podIp" in address)
    return { via: { kind: "pod-ip" }, target: podTarget(address.podIp, ctx, clientNode) };
  if ("clusterIp" in address) {
    const service = { namespace: address.clusterIp.namespace, service: address.clusterIp.service };
    const port = typeof a.to.port === "number" ? a.to.port : undefined;
    return {
      via: { kind: "cluster-ip", service, ...(port ? { port } : {}), protocol },
      target: backendTarget(service.namespace),
    };
  }
  if ("dnsName" in address) {
    const client = ctx.plan.clients.find((c) => "client" in check.from && c.name === check.from.client);
    const service = serviceOfName(address.dnsName, client?.namespace ?? "default") ?? API_SERVER;
    const port = typeof a.to.port === "number" ? a.to.port : undefined;
    const via: Via = { kind: "cluster-ip", service, ...(port ? { port } : {}), protocol };
    if (sameRef(service, API_SERVER)) return { via, target: { namespace: "default", apiServer: true } };
    return { via, target: backendTarget(service.namespace) };
  }
  if ("loadBalancerIp" in address) {
    const service = { namespace: address.loadBalancerIp.namespace, service: address.loadBalancerIp.service };
    return { via: { kind: "load-balancer", service }, target: backendTarget(service.namespace) };
  }
  if ("nodeIp" in address) {
    const node =
      address.node ??
      (address.nodeIp === "same" ? clientNode : ctx.nodes.find((n) => n !== clientNode)) ??
      "";
    const np = backends ? nodePortService(a.to.port, ctx) : undefined;
    if (np || typeof a.to.port !== "number" || (backends && isNodePortNumber(a.to.port)))
      return {
        via: { kind: "node-port", entry: node, ...(np ?? {}) },
        target: backendTarget(np?.service.namespace ?? backends?.namespace ?? ""),
      };
    return { via: { kind: "node-ip", node }, target: { namespace: "", node } };
  }
  if ("ip" in address && typeof a.to.port === "number") {
    const mapping = ctx.portMappings.find((m) => m.hostPort === a.to.port);
    const np = mapping ? nodePortService(mapping.containerPort, ctx) : undefined;
    return {
      via: { kind: "node-port", ...(mapping ? { entry: mapping.node } : {}), ...(np ?? {}) },
      target: backendTarget(np?.service.namespace ?? backends?.namespace ?? ""),
    };
  }
  // An ingress or gateway status address without a route capability: treat as a route of unknown kind.
  return { via: { kind: "pod-ip" }, ...(backends ? { target: backendTarget(backends.namespace) } : {}) };
}

export function checkPath(check: PlannedCheck, ctx: PathContext): CheckPath {
  const layer = ctx.plan.probes.find((p) => p.id === check.probe)?.layer ?? "service";
  const client =
    "client" in check.from
      ? ctx.plan.clients.find((c) => c.name === (check.from as { client: string }).client)
      : undefined;
  const from: CheckPath["from"] =
    "client" in check.from
      ? { kind: "pod", client: check.from.client, node: client?.node ?? "" }
      : "host" in check.from
        ? { kind: "host" }
        : { kind: "node", node: check.from.node };
  const name = nameOf(check);
  const { via, target } = viaOf(check, ctx, client?.node);
  return {
    id: check.id,
    probe: check.probe,
    layer,
    describes: check.describes,
    from,
    expectsBlocked: check.expect.outcome === "blocked",
    policy: check.expect.because?.capability === "networkPolicy",
    ...(name ? { name } : {}),
    via,
    ...(target ? { target } : {}),
  };
}

export const checkPaths = (ctx: PathContext): CheckPath[] => ctx.plan.checks.map((c) => checkPath(c, ctx));

/** The Services a path goes through (its own, or the one its name or node port names). */
export function serviceOf(path: CheckPath): ServiceRef | undefined {
  const v = path.via;
  if (v.kind === "cluster-ip" || v.kind === "load-balancer") return v.service;
  if (v.kind === "node-port") return v.service;
  return undefined;
}

type End = string | undefined;

/** Legs of a path that travel through the pod network between nodes (an end is unknown when the scheduler decides). */
export function podLegs(path: CheckPath): { from: End; to: End; what: string }[] {
  const legs: { from: End; to: End; what: string }[] = [];
  const client = path.from.kind === "pod" ? path.from.node : undefined;
  const v = path.via;
  if (path.name && path.from.kind === "pod")
    legs.push({ from: client, to: undefined, what: "the name lookup to CoreDNS" });
  if (v.kind === "pod-ip" && path.from.kind === "pod")
    legs.push({ from: client, to: path.target?.node, what: "the pod-to-pod path" });
  if (v.kind === "cluster-ip" && path.from.kind === "pod" && !path.target?.apiServer)
    legs.push({ from: client, to: path.target?.node, what: "the path to the Service's pods" });
  if (v.kind === "node-port")
    legs.push({ from: v.entry, to: undefined, what: "the path from the node port's node to a backend" });
  if (v.kind === "load-balancer")
    legs.push({
      from: undefined,
      to: undefined,
      what: "the path from the load balancer's node to a backend",
    });
  if (v.kind === "route" && v.backends.length)
    legs.push({
      from: v.entry === "host-port" ? v.entryNode : undefined,
      to: undefined,
      what: "the path from the controller to a backend",
    });
  return legs;
}

/** Whether a path travels through the pod network between two nodes (or may). */
export const podLegsCross = (p: CheckPath) =>
  podLegs(p).some((l) => l.from === undefined || l.to === undefined || l.from !== l.to);
