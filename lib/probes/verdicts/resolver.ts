/**
 * Turns the symbolic plan into what runs: one engine plan per source (each probe client pod, and
 * the host), the node inspections, and every expectation with its runtime facts filled in (which
 * pod names may answer, which IP the server must see, which DNS answers are right).
 *
 * Pure: the runtime gathers `ClusterFacts` with kubectl and passes them in; tests pass fakes.
 * A check whose addresses cannot be resolved (client pod missing, Service without a
 * LoadBalancer IP) is not run; it carries the problem, which its verdict reports as `error`.
 */
import { isIP } from "node:net";
import { containsAddress, parseCidr } from "../../model/cidr.ts";
import { type EnginePlan, PLAN_VERSION, type Probe } from "../prober/plan.ts";
import type {
  Action,
  AddressRef,
  Denial,
  Endpoint,
  Expectation,
  Labels,
  PlannedCheck,
  PodSet,
  PortRef,
  ProbesPlan,
  ServiceRef,
} from "../probes-plan.ts";
import { selectorText } from "../probes-plan.ts";

/** What the runtime reads from the running cluster (kubectl get nodes,pods,services,…). */
export interface ClusterFacts {
  nodes: { name: string; internalIp: string }[];
  pods: { name: string; namespace: string; labels: Labels; ip?: string; node?: string; ready: boolean }[];
  services: {
    name: string;
    namespace: string;
    clusterIp?: string;
    loadBalancerIps?: string[];
    ports: { name?: string; port: number; nodePort?: number; protocol?: string }[];
  }[];
  ingresses?: { namespace: string; name: string; addresses: string[] }[];
  gateways?: { namespace: string; name: string; addresses: string[] }[];
  /** The lab's pod CIDR(s), comma-separated for dual stack: addresses there are cluster-side. */
  podSubnet: string;
}

/** The client address the server must have seen, resolved. */
export interface ResolvedClientIp {
  /** Exactly this address (the client pod's IP, the L4 proxy's address). */
  equals?: string;
  /** The prober's own address on the connection: nothing rewrote the source. */
  ownAddress?: boolean;
  /** A node's address or one in the pod network (SNAT by the service proxy). */
  clusterSide?: boolean;
  /**
   * Per answering pod: the address that arrived at the node when the pod runs on the node the
   * traffic entered, else the address of that node, which is not the pod's own node.
   */
  perBackend?: {
    unchanged: { ownAddress: true } | { equals: string };
    /** Pod name → the InternalIPs of the nodes it does not run on. */
    otherNodes: Record<string, string[]>;
  };
  describes: string;
}

/** An expectation with the facts it depends on resolved to concrete values. */
export interface ResolvedExpectation {
  outcome: Expectation["outcome"];
  reason: string;
  because?: Expectation["because"];
  /** For `blocked`: how every attempt must end. Absent: labs does not know, and the check cannot pass. */
  denial?: Denial;
  /** The HTTP status the answer must have (200 for a reachable HTTP check unless the plan says otherwise). */
  status?: number;
  /** The answer must come from one of these pod names. */
  backends?: string[];
  /** Every one of these must answer (endpoint coverage), and nothing else may. */
  coverage?: string[];
  /** Coverage makes at least this many requests, so a stray backend taking a share shows. */
  coverageMinRequests?: number;
  /** The address the server saw. */
  clientIp?: ResolvedClientIp;
  answers?: string[];
  body?: string;
  split?: {
    shares: { label: string; percent: number; backends: string[] }[];
    tolerance: number;
    requests: number;
  };
  contains?: string;
}

export interface ResolvedCheck {
  check: PlannedCheck;
  expect: ResolvedExpectation;
  /** Set when the check cannot run; the verdict is `error` with this reason. */
  problem?: string;
  /** Where it runs, as the report names it: a pod, `host`, or a node. */
  source: string;
  /** The target as resolved, e.g. `10.244.1.5:8080` or a URL. */
  target?: string;
}

export type BatchSource = { client: string; namespace: string; node?: string } | { host: true };

export interface Batch {
  source: BatchSource;
  plan: EnginePlan;
}

export interface InspectionRun {
  id: string;
  node: string;
  command: string[];
}

export interface ResolvedRun {
  lab: string;
  batches: Batch[];
  inspections: InspectionRun[];
  checks: ResolvedCheck[];
}

/** Coverage probes in sample mode ask for a backend that never exists, so they run every request. */
export const SAMPLE_SENTINEL = "labs-sample:count-every-answer";

/** Engine defaults for cluster paths: a rollout may still be settling, so allow a longer retry window. */
export const CLUSTER_PROBE_DEFAULTS = { timeoutMs: 2_000, retryWindowMs: 5_000 } as const;

/**
 * Coverage keeps asking past the last expected backend until this many requests per backend were
 * made: a stray endpoint taking a quarter of the connections is missed with odds (3/4)^30 for
 * three pods, about 1 in 5,000.
 */
export const COVERAGE_REQUESTS_PER_BACKEND = 10;

class Unresolved extends Error {}
const fail = (message: string): never => {
  throw new Unresolved(message);
};

interface Context {
  facts: ClusterFacts;
  client?: ClusterFacts["pods"][number];
}

const matches = (selector: Labels, labels: Labels) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

function podsIn(facts: ClusterFacts, set: PodSet & { name?: string }) {
  return facts.pods.filter(
    (p) =>
      p.namespace === set.namespace &&
      matches(set.selector, p.labels) &&
      (set.name === undefined || p.name === set.name),
  );
}

const readyPods = (facts: ClusterFacts, set: PodSet & { name?: string }) =>
  podsIn(facts, set).filter((p) => p.ready && p.ip);

function service(facts: ClusterFacts, ref: ServiceRef) {
  return (
    facts.services.find((s) => s.namespace === ref.namespace && s.name === ref.service) ??
    fail(`Service ${ref.namespace}/${ref.service} does not exist in the cluster`)
  );
}

function nodeOf(ctx: Context, relative: "same" | "other", explicit?: string): ClusterFacts["nodes"][number] {
  if (explicit)
    return ctx.facts.nodes.find((n) => n.name === explicit) ?? fail(`node ${explicit} is not in the cluster`);
  const own = ctx.client?.node ?? fail("a node-relative address needs a client pod");
  const node =
    relative === "same"
      ? ctx.facts.nodes.find((n) => n.name === own)
      : ctx.facts.nodes.find((n) => n.name !== own);
  return node ?? fail(relative === "same" ? `node ${own} is not in the cluster` : "there is no other node");
}

function address(ref: AddressRef, ctx: Context): string {
  const { facts } = ctx;
  if ("ip" in ref) return ref.ip;
  if ("dnsName" in ref) return ref.dnsName;
  if ("nodeIp" in ref) return nodeOf(ctx, ref.nodeIp, ref.node).internalIp;
  if ("clusterIp" in ref) {
    const s = service(facts, ref.clusterIp);
    if (!s.clusterIp || s.clusterIp === "None")
      fail(`Service ${ref.clusterIp.namespace}/${ref.clusterIp.service} has no ClusterIP`);
    return s.clusterIp!;
  }
  if ("loadBalancerIp" in ref) {
    const s = service(facts, ref.loadBalancerIp);
    return (
      s.loadBalancerIps?.[0] ??
      fail(
        `Service ${ref.loadBalancerIp.namespace}/${ref.loadBalancerIp.service} has no LoadBalancer IP (still pending?)`,
      )
    );
  }
  if ("ingressIp" in ref || "gatewayIp" in ref) {
    const [what, key, list] =
      "ingressIp" in ref
        ? (["Ingress", ref.ingressIp, facts.ingresses] as const)
        : (["Gateway", ref.gatewayIp, facts.gateways] as const);
    const found = (list ?? []).find((x) => x.namespace === key.namespace && x.name === key.name);
    return found?.addresses[0] ?? fail(`${what} ${key.namespace}/${key.name} has no address in its status`);
  }
  const set = ref.podIp;
  let pods = readyPods(facts, set);
  if (set.node) {
    const own = ctx.client?.node;
    pods = pods.filter((p) => (set.node === "same" ? p.node === own : p.node !== own));
  }
  const where = set.node
    ? ` on ${set.node === "same" ? "the client's node" : "another node than the client's"}`
    : "";
  const what = set.name
    ? `pod ${set.namespace}/${set.name}`
    : `a ready pod ${selectorText(set.selector)} in ${set.namespace}`;
  return pods[0]?.ip ?? fail(`no ${what}${where} with an IP`);
}

function port(ref: PortRef, facts: ClusterFacts): number {
  if (typeof ref === "number") return ref;
  const s = service(facts, ref.nodePort);
  const p = s.ports.find((x) => x.name === ref.nodePort.port || x.port === ref.nodePort.port);
  return (
    p?.nodePort ??
    fail(`Service ${ref.nodePort.namespace}/${ref.nodePort.service} has no node port ${ref.nodePort.port}`)
  );
}

const hostPort = (host: string, p: number) => (isIP(host) === 6 ? `[${host}]:${p}` : `${host}:${p}`);

function endpoint(e: Endpoint, ctx: Context): { host: string; port: number } {
  return { host: address(e.address, ctx), port: port(e.port, ctx.facts) };
}

type HttpLike = Extract<Action, { kind: "http" | "coverage" }>;

function request(a: HttpLike, ctx: Context) {
  const to = endpoint(a.to, ctx);
  const scheme = a.kind === "http" ? (a.scheme ?? "http") : "http";
  const req: {
    url: string;
    method?: string;
    host?: string;
    headers?: Record<string, string>;
    insecureSkipVerify?: boolean;
    backendPath?: string;
  } = { url: `${scheme}://${hostPort(to.host, to.port)}${a.path}` };
  if (a.method) req.method = a.method;
  if (a.host) req.host = a.host;
  if (a.headers) req.headers = a.headers;
  if (a.insecureSkipVerify) req.insecureSkipVerify = true;
  if (a.backendPath) req.backendPath = a.backendPath;
  return req;
}

/** The engine probe of a check; expectations set the engine's flake discipline. */
function engineProbe(c: PlannedCheck, expect: ResolvedExpectation, ctx: Context): Probe {
  const a = c.action;
  const discipline =
    expect.outcome === "blocked" ? { expect: "blocked" as const } : { expect: "reachable" as const };
  switch (a.kind) {
    case "tcp":
      return { id: c.id, kind: "tcp", ...endpoint(a.to, ctx), ...discipline };
    case "udp":
      return { id: c.id, kind: "udp", ...endpoint(a.to, ctx), payload: a.payload, ...discipline };
    case "http": {
      const probe: Probe = { id: c.id, kind: "http", ...request(a, ctx), ...discipline };
      // Only the expected status is an answer: a redirect or an error page is not.
      if (expect.status !== undefined) probe.successStatus = [expect.status];
      // The planner chose a path whose answer is the pod's name (the app declares it), whatever
      // the path is called: read the backend from the body.
      if (expect.backends && !a.backendPath) probe.backendFrom = { from: "body" };
      return probe;
    }
    case "dns":
      return { id: c.id, kind: "dns", name: a.name, ...(a.type ? { type: a.type } : {}), ...discipline };
    case "coverage":
      return a.sample
        ? {
            id: c.id,
            kind: "coverage",
            request: request(a, ctx),
            backends: [SAMPLE_SENTINEL],
            maxRequests: a.sample,
            windowMs: 120_000,
          }
        : {
            id: c.id,
            kind: "coverage",
            request: request(a, ctx),
            backends: expect.coverage ?? [],
            windowMs: 20_000,
            ...(expect.coverageMinRequests ? { minRequests: expect.coverageMinRequests } : {}),
          };
    case "inspect":
      throw new Error("inspections do not run in the prober");
  }
}

function podNames(facts: ClusterFacts, set: PodSet & { name?: string }): string[] {
  const names = readyPods(facts, set).map((p) => p.name);
  if (names.length) return names;
  return fail(
    set.name
      ? `no ready pod ${set.namespace}/${set.name}`
      : `no ready pod ${selectorText(set.selector)} in ${set.namespace}`,
  );
}

/** Fills in an expectation's facts; may turn a Local-policy path into blocked. */
function resolveExpectation(c: PlannedCheck, ctx: Context): ResolvedExpectation {
  const e = c.expect;
  const { facts } = ctx;
  const out: ResolvedExpectation = { outcome: e.outcome, reason: e.reason };
  if (e.because) out.because = e.because;
  if (e.denial) out.denial = e.denial;
  if (e.status !== undefined) out.status = e.status;
  else if (c.action.kind === "http" && e.outcome === "reachable") out.status = 200;
  if (e.body !== undefined) out.body = e.body;
  if (e.contains !== undefined) out.contains = e.contains;
  if (e.backendIn) out.backends = podNames(facts, e.backendIn);
  if (c.action.kind === "coverage" && !c.action.sample && c.action.backends) {
    out.coverage = podNames(facts, c.action.backends);
    out.coverageMinRequests = Math.max(20, COVERAGE_REQUESTS_PER_BACKEND * out.coverage.length);
  }
  if (e.localEndpointsOnly) {
    const a = c.action;
    const addr = "to" in a ? a.to.address : undefined;
    const node =
      e.localEndpointsOnly.node ??
      (addr && "nodeIp" in addr
        ? nodeOf(ctx, addr.nodeIp, addr.node).name
        : fail("cannot tell which node the traffic enters"));
    const local = readyPods(facts, e.localEndpointsOnly).filter((p) => p.node === node);
    if (local.length) {
      out.reason = `${e.reason} — ${local.map((p) => p.name).join(", ")} runs on ${node}`;
      out.backends = local.map((p) => p.name);
    } else {
      out.outcome = "blocked";
      delete out.backends;
      delete out.status;
      if (e.noLocalEndpoint) {
        out.denial = e.noLocalEndpoint;
        out.reason = `${e.reason} — no pod of the Service runs on ${node}, so the service proxy drops the traffic there`;
      } else {
        out.reason = `${e.reason} — no pod of the Service runs on ${node}; labs does not know how this service proxy blocks it, so the check cannot pass`;
      }
    }
  }
  if (e.clientIp) out.clientIp = clientIp(e.clientIp, c, ctx);
  if (e.answers) {
    const a = e.answers;
    if ("podsOf" in a) out.answers = readyPods(facts, a.podsOf).map((p) => p.ip!);
    else if ("clusterIpOf" in a) out.answers = [address({ clusterIp: a.clusterIpOf }, ctx)];
    else if ("nodeIpOf" in a) {
      const ip = nodeOf(ctx, "same", a.nodeIpOf).internalIp;
      out.answers = [ip || fail(`node ${a.nodeIpOf} has no InternalIP`)];
    } else {
      const pod = facts.pods.find((p) => p.namespace === a.namespace && p.name === a.podName && p.ip);
      out.answers = [pod?.ip ?? fail(`pod ${a.namespace}/${a.podName} has no IP`)];
    }
    if (!out.answers.length) fail("no ready pod to expect in the DNS answer");
  }
  if (e.split) {
    const sample = c.action.kind === "coverage" ? (c.action.sample ?? 0) : 0;
    out.split = {
      tolerance: e.split.tolerance,
      requests: sample,
      shares: e.split.shares.map((s) => ({
        label: s.label,
        percent: s.percent,
        backends: podNames(facts, s.pods),
      })),
    };
  }
  return out;
}

function clientIp(
  kind: NonNullable<Expectation["clientIp"]>,
  c: PlannedCheck,
  ctx: Context,
): ResolvedClientIp {
  const proxyAddress = () => {
    const to = "to" in c.action ? c.action.to.address : undefined;
    if (!to || !("loadBalancerIp" in to)) return fail("a proxy's address needs a LoadBalancer target");
    return address(to, ctx);
  };
  if (kind === "source") {
    const own = ctx.client?.ip ?? fail("the client pod has no IP");
    return { equals: own, describes: `the client pod's own IP ${own}` };
  }
  if (kind === "kept") return { ownAddress: true, describes: "the client's own address on the connection" };
  if (kind === "proxy") {
    const lb = proxyAddress();
    return {
      equals: lb,
      describes: `the L4 proxy's address ${lb} (the Envoy container behind the LoadBalancer IP)`,
    };
  }
  if (kind === "snat") return { clusterSide: true, describes: "a node or pod-network address (SNAT)" };
  const pods = c.expect.backendIn ?? fail("checking SNAT per answering pod needs the Service's pods");
  const unchanged = kind.snatIfRemote === "kept" ? { ownAddress: true as const } : { equals: proxyAddress() };
  const otherNodes: Record<string, string[]> = {};
  for (const pod of readyPods(ctx.facts, pods)) {
    otherNodes[pod.name] = ctx.facts.nodes.filter((n) => n.name !== pod.node).map((n) => n.internalIp);
  }
  if (!Object.keys(otherNodes).length) fail("no ready pod of the Service to check SNAT against");
  const before =
    "ownAddress" in unchanged ? "the client's own address" : `the proxy's address ${unchanged.equals}`;
  return {
    perBackend: { unchanged, otherNodes },
    describes: `${before} when the answering pod runs on the node the traffic entered, else another node's address (SNAT)`,
  };
}

/** Whether an address belongs to the cluster: a node's InternalIP or inside the pod CIDR. */
export function isClusterSide(ip: string, facts: Pick<ClusterFacts, "nodes" | "podSubnet">): boolean {
  if (facts.nodes.some((n) => n.internalIp === ip)) return true;
  return facts.podSubnet
    .split(",")
    .map((c) => parseCidr(c.trim()))
    .some((cidr) => cidr !== undefined && containsAddress(cidr, ip));
}

/** Resolves the plan against the cluster's facts. */
export function resolvePlan(plan: ProbesPlan, facts: ClusterFacts): ResolvedRun {
  const batches = new Map<string, Batch>();
  const inspections: InspectionRun[] = [];
  const checks: ResolvedCheck[] = [];
  const clientPods = new Map(plan.clients.map((c) => [c.name, c]));

  for (const c of plan.checks) {
    const from = c.from;
    const source = "client" in from ? from.client : "host" in from ? "host" : from.node;
    const fallback: ResolvedExpectation = { outcome: c.expect.outcome, reason: c.expect.reason };
    try {
      if ("node" in from) {
        if (c.action.kind !== "inspect") throw new Error(`check ${c.id}: only inspections run on nodes`);
        if (!facts.nodes.some((n) => n.name === from.node)) fail(`node ${from.node} is not in the cluster`);
        inspections.push({ id: c.id, node: from.node, command: c.action.command });
        checks.push({ check: c, expect: resolveExpectation(c, { facts }), source, target: from.node });
        continue;
      }
      let ctx: Context = { facts };
      let key = "host";
      let batchSource: BatchSource = { host: true };
      if ("client" in from) {
        const declared = clientPods.get(from.client);
        const namespace = declared?.namespace ?? "labs-probes";
        const pod = facts.pods.find((p) => p.namespace === namespace && p.name === from.client);
        if (!pod) fail(`probe client pod ${namespace}/${from.client} is missing`);
        if (!pod!.ready) fail(`probe client pod ${namespace}/${from.client} is not ready`);
        ctx = { facts, client: pod };
        key = `${namespace}/${from.client}`;
        batchSource = { client: from.client, namespace, ...(pod!.node ? { node: pod!.node } : {}) };
      }
      const expect = resolveExpectation(c, ctx);
      const probe = engineProbe(c, expect, ctx);
      const batch = batches.get(key) ?? {
        source: batchSource,
        plan: { version: PLAN_VERSION, probes: [], defaults: { ...CLUSTER_PROBE_DEFAULTS } },
      };
      batch.plan.probes.push(probe);
      batches.set(key, batch);
      checks.push({ check: c, expect, source, target: targetText(probe) });
    } catch (e) {
      if (!(e instanceof Unresolved)) throw e;
      checks.push({ check: c, expect: fallback, source, problem: e.message });
    }
  }
  return { lab: plan.lab, batches: [...batches.values()], inspections, checks };
}

function targetText(p: Probe): string {
  switch (p.kind) {
    case "tcp":
    case "udp":
      return hostPort(p.host, p.port);
    case "http":
      return p.url;
    case "dns":
      return p.name;
    case "coverage":
      return p.request.url;
    default:
      return p.id;
  }
}
