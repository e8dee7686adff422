/**
 * The symbolic probe plan: what `labs` will check in a lab and what it expects, written at synth
 * time when no address is known yet. Pod IPs, node IPs and load-balancer IPs are named by what
 * they are (`{ podIp: { selector, node: "other" } }`); the resolver turns the plan into concrete
 * engine plans once the cluster runs (verdicts/resolver.ts). Synth writes it as `probes.plan.json`.
 */
import type { HttpRequestSpec } from "./prober/plan.ts";

/** Bumped when a field changes meaning; readers refuse other versions. */
export const PROBES_PLAN_VERSION = 1;

/** The layers of Kubernetes networking a probe can check, in the order reports show them. */
export const LAYERS = ["node", "pod", "service", "north-south", "policy", "dataplane"] as const;
export type Layer = (typeof LAYERS)[number];

export type Labels = Record<string, string>;

/** Pods chosen by namespace and labels (a Service's selector, say). */
export interface PodSet {
  namespace: string;
  selector: Labels;
}

/** Where a check runs. */
export type SourceRef =
  /** A probe client pod in the `labs-probes` namespace (kubectl exec). */
  | { client: string }
  /** The machine that runs `labs` (in-process prober). */
  | { host: true }
  /** A kind node container (docker exec), for dataplane inspections. */
  | { node: string };

/** An address known only once the cluster runs, or a literal one. */
export type AddressRef =
  /** The IP of one pod: by name, or the first ready pod of a set, optionally on the client's node or another. */
  | { podIp: PodSet & { name?: string; node?: "same" | "other" } }
  | { clusterIp: ServiceRef }
  | { loadBalancerIp: ServiceRef }
  /** The InternalIP of the client's own node, or of another node than the client's. */
  | { nodeIp: "same" | "other"; node?: string }
  /** The address in an Ingress's or a Gateway's status. */
  | { ingressIp: { namespace: string; name: string } }
  | { gatewayIp: { namespace: string; name: string } }
  /** A name the client resolves itself (through the pod's resolver, with its search path). */
  | { dnsName: string }
  /** A literal address, e.g. a host port on 127.0.0.1. */
  | { ip: string };

export interface ServiceRef {
  namespace: string;
  service: string;
}

/** A port known at synth time, or a node port the API server allocates. */
export type PortRef = number | { nodePort: ServiceRef & { port: string | number } };

export interface Endpoint {
  address: AddressRef;
  port: PortRef;
}

type HttpFields = Pick<HttpRequestSpec, "method" | "host" | "headers" | "insecureSkipVerify" | "backendPath">;

/** What a check does. The probe kinds mirror the engine's (prober/plan.ts); `inspect` runs on a node. */
export type Action =
  | { kind: "tcp"; to: Endpoint }
  | { kind: "udp"; to: Endpoint; payload: string }
  | ({ kind: "http"; to: Endpoint; scheme?: "http" | "https"; path: string } & HttpFields)
  | { kind: "dns"; name: string; type?: "A" | "AAAA" }
  /**
   * Repeat a request until every pod of `backends` has answered; or, with `sample`, exactly that
   * many times, counting the answers per pod (a traffic split).
   */
  | ({ kind: "coverage"; to: Endpoint; path: string; backends?: PodSet; sample?: number } & HttpFields)
  | { kind: "inspect"; command: string[] };

/**
 * How a blocked path ends, seen from the client. A "blocked" check passes only when every attempt
 * ends this way: anything else (a handshake, a reset after it, a name that does not resolve when a
 * drop was expected) is something else than the block the lab's dataplane produces.
 * - drop: no handshake before the timeout (the SYN vanishes): NetworkPolicy on kindnet, Calico,
 *   Cilium by default (the `policyDenial` capability says which, and why).
 * - reject: a TCP RST or an ICMP unreachable before any handshake.
 * - nxdomain: the name does not exist for any search candidate; nothing is sent to the target.
 */
export type Denial = "drop" | "reject" | "nxdomain";

/**
 * The client address the server must see:
 * - source: the client pod's own IP (no NAT on the way).
 * - kept: the client's own address on the connection, as the prober saw it.
 * - proxy: the address of the L4 proxy in front of the node (cloud-provider-kind's Envoy container,
 *   whose IP is the LoadBalancer IP).
 * - snat: a node's address (or one in the pod network): the service proxy SNATed.
 * - snatIfRemote: the address that arrived at the node (`kept` or `proxy`) when the backend that
 *   answered runs on the node the traffic entered, else the address of that other node. Needs the
 *   answering pod, so the check asks `backendPath` first on the same connection.
 */
export type ClientIpExpectation = "source" | "kept" | "proxy" | "snat" | { snatIfRemote: "kept" | "proxy" };

/** The expected outcome, and the evidence that must come with it. */
export interface Expectation {
  /**
   * reachable: the path answers (HTTP 200 unless `status` says otherwise); blocked: it must not,
   * and must end the way `denial` says; status: an HTTP answer with `status` (e.g. 404 from an
   * ingress controller).
   */
  outcome: "reachable" | "blocked" | "status";
  /** For `blocked`: how the block looks from the client. Without it the check cannot pass. */
  denial?: Denial;
  /** Why, in words: repeated in every report. */
  reason: string;
  /** The capability the expectation follows from, and the component that claimed it. */
  because?: { capability: string; by: string };
  status?: number;
  /** The answer came from one of these pods (agnhost /hostname). */
  backendIn?: PodSet & { name?: string };
  /** What the server saw as client address (agnhost /clientip). */
  clientIp?: ClientIpExpectation;
  /** DNS answers equal the IPs of these pods, this Service's ClusterIP, or this kind node's InternalIP. */
  answers?:
    | { podsOf: PodSet }
    | { clusterIpOf: ServiceRef }
    | { podName: string; namespace: string }
    | { nodeIpOf: string };
  /** The response body equals this (after trimming). */
  body?: string;
  /** Shares of answers per pod set, e.g. 80/20, each within `tolerance` percentage points. */
  split?: { shares: { label: string; pods: PodSet; percent: number }[]; tolerance: number };
  /**
   * externalTrafficPolicy Local: the path answers only when the node it enters has a ready pod of
   * this set; the resolver decides reachable or blocked from where the pods run.
   */
  localEndpointsOnly?: PodSet & { node?: string };
  /** With `localEndpointsOnly`: how the service proxy blocks a node without a local endpoint, when known. */
  noLocalEndpoint?: Denial;
  /** Node inspections: the output contains this. */
  contains?: string;
}

export interface PlannedCheck {
  /** Unique in the plan: `<probe id>` or `<probe id>/<variant>`. Engine results carry it back. */
  id: string;
  /** The catalogue probe this check belongs to. */
  probe: string;
  from: SourceRef;
  action: Action;
  expect: Expectation;
  /** One line naming the path, e.g. "probe-worker → echo.demo (ClusterIP)". */
  describes: string;
}

/** A catalogue probe that does not apply to this lab, and why. */
export interface SkippedProbe {
  probe: string;
  reason: string;
}

/** One catalogue entry as the plan records it (so reports need not load the catalogue). */
export interface ProbeInfo {
  id: string;
  layer: Layer;
  title: string;
  teaches: string;
}

/** A check a probe could not plan in this lab, and why (a route whose backend cannot prove it answered). */
export interface LeftOutCheck {
  probe: string;
  describes: string;
  reason: string;
}

/** `probes.plan.json`: the lab's symbolic plan (the prober runs `EnginePlan`s resolved from it). */
export interface ProbesPlan {
  version: typeof PROBES_PLAN_VERSION;
  lab: string;
  clusterName: string;
  /** Every catalogue probe considered, in catalogue order. */
  probes: ProbeInfo[];
  checks: PlannedCheck[];
  skipped: SkippedProbe[];
  /** Checks left out of probes that still run, each with the reason. */
  leftOut?: LeftOutCheck[];
  /** Probe client pods, so the runtime knows where batches run. */
  clients: { name: string; namespace: string; node: string; labels: Labels }[];
}

/** A selector as `k=v,k2=v2`, for messages. */
export function selectorText(selector: Labels): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
