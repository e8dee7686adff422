/**
 * A fault's signature: for every check of the lab's plan, whether it must fail, cannot run, may
 * fail or must still pass under the fault, and why. Derived from the check's path (paths.ts) and
 * the fault's effect, never listed per lab. Where the outcome depends on what labs cannot know
 * (where the scheduler put a Service's pods, which node a load balancer sends to), the check
 * "may fail", and the reason says what it depends on.
 */
import type { BrokenInspection, CarriedPath, FaultEffect, NodeRef } from "../components/fault.ts";
import { serviceProxyText } from "../components/resolve.ts";
import type { ServiceInfo } from "../probes/probe-lab.ts";
import type { ServiceRef } from "../probes/probes-plan.ts";
import type { Expect } from "../probes/verdicts/fault-check.ts";
import { type CheckPath, type PathContext, podLegs, serviceOf } from "./paths.ts";

export interface CheckSignature {
  id: string;
  expect: Expect;
  /** Why, in words (absent for checks the fault does not touch). */
  why?: string;
}

export interface SignatureContext extends PathContext {
  /** Paths components carry although the capabilities name another component. */
  carries: CarriedPath[];
  /** The lab's main Service (`main` in fault declarations), when it has one. */
  main?: ServiceInfo;
}

interface Outcome {
  expect: Expect;
  why?: string;
}
const passes: Outcome = { expect: "passes" };
const fails = (why: string): Outcome => ({ expect: "fails", why });
const may = (why: string): Outcome => ({ expect: "may-fail", why });
const cannotRun = (why: string): Outcome => ({ expect: "cannot-run", why });

/** The worst of several outcomes: a check fails if any leg of its path fails. */
function worst(...outcomes: Outcome[]): Outcome {
  const rank: Record<Expect, number> = { "cannot-run": 3, fails: 2, "may-fail": 1, passes: 0 };
  return outcomes.reduce((a, b) => (rank[b.expect] > rank[a.expect] ? b : a), passes);
}

const UNKNOWN = undefined;

/** Nodes a path needs on the node network, besides the pod network. */
function nodeLegs(path: CheckPath): { node: string; what: string }[] {
  const out: { node: string; what: string }[] = [];
  const v = path.via;
  if (v.kind === "node-ip") out.push({ node: v.node, what: `it connects to ${v.node} itself` });
  if (v.kind === "node-port" && v.entry) out.push({ node: v.entry, what: `it enters through ${v.entry}` });
  if (v.kind === "route" && v.entryNode)
    out.push({ node: v.entryNode, what: `it enters through ${v.entryNode}` });
  if (path.target?.node && path.via.kind === "pod-ip")
    out.push({ node: path.target.node, what: `its target runs on ${path.target.node}` });
  return out;
}

const nodeOf = (ctx: PathContext, ref: NodeRef) => ctx.nodes[ref] ?? `node #${ref}`;
const serviceText = (s: ServiceRef) => `${s.service}.${s.namespace}`;
const sameService = (a: ServiceRef | undefined, b: ServiceRef | undefined) =>
  !!a && !!b && a.namespace === b.namespace && a.service === b.service;

function mainService(
  effect: { service: "main" | ServiceRef },
  ctx: SignatureContext,
): ServiceRef | undefined {
  if (effect.service !== "main") return effect.service;
  return ctx.main && { namespace: ctx.main.namespace, service: ctx.main.service };
}

/** Route checks whose backends are the pods of `service` (which Service a route names is not in the plan). */
function routeToPodsOf(path: CheckPath, service: ServiceRef, ctx: SignatureContext): boolean {
  if (path.via.kind !== "route") return false;
  const info = ctx.services.find((s) => sameService({ namespace: s.namespace, service: s.service }, service));
  if (!info?.selector) return false;
  const selector = JSON.stringify(info.selector);
  return path.via.backends.some(
    (b) => b.namespace === info.namespace && JSON.stringify(b.selector) === selector,
  );
}

function isolated(path: CheckPath, node: string): Outcome {
  const outcomes = podLegs(path).map((leg): Outcome => {
    if (leg.from !== UNKNOWN && leg.to !== UNKNOWN)
      return (leg.from === node) !== (leg.to === node)
        ? fails(`${leg.what} crosses between ${leg.from} and ${leg.to}`)
        : passes;
    return may(
      `${leg.what} crosses to or from ${node} only if the pods it reaches run there or elsewhere (the scheduler decides)`,
    );
  });
  return worst(...outcomes);
}

function cut(path: CheckPath, a: string, b: string): Outcome {
  const pair = new Set([a, b]);
  const outcomes = podLegs(path).map((leg): Outcome => {
    const known = [leg.from, leg.to].filter((e): e is string => e !== UNKNOWN);
    if (known.length === 2)
      return pair.has(known[0]!) && pair.has(known[1]!) && known[0] !== known[1]
        ? fails(`${leg.what} goes between ${a} and ${b}`)
        : passes;
    if (known.length === 1 && !pair.has(known[0]!)) return passes;
    return may(`${leg.what} goes between ${a} and ${b} only if the pods it reaches run on the other one`);
  });
  return worst(...outcomes);
}

/** Where the service proxy is on the path, and what its absence does there. */
function withoutServiceProxy(path: CheckPath, ctx: SignatureContext, nodePortsMayAnswer?: string): Outcome {
  const carried = ctx.carries.find((c) => c.path === "cluster-ip-from-pods");
  const proxy = serviceProxyText(ctx.lab.claims.serviceProxy);
  const fromPod = path.from.kind === "pod";
  const outcomes: Outcome[] = [];
  if (path.name && fromPod)
    outcomes.push(
      carried
        ? passes
        : fails(`its name is resolved through the kube-dns ClusterIP, which ${proxy} no longer translates`),
    );
  const v = path.via;
  if (v.kind === "cluster-ip" && fromPod)
    outcomes.push(
      carried
        ? passes
        : fails(
            `it goes through the ClusterIP of ${serviceText(v.service)}, which ${proxy} no longer translates`,
          ),
    );
  const nodePort = (what: string) =>
    nodePortsMayAnswer
      ? may(`${what}: ${nodePortsMayAnswer}`)
      : fails(`${what}, which ${proxy} no longer translates`);
  if (v.kind === "node-port") outcomes.push(nodePort("it goes through a node port"));
  if (v.kind === "load-balancer")
    outcomes.push(
      ctx.lab.capabilities.loadBalancerSource === "proxy"
        ? nodePort("the load balancer sends it to a node port")
        : fails(
            `the load balancer delivers it to a node, where ${proxy} no longer translates the LoadBalancer IP`,
          ),
    );
  if (v.kind === "route") {
    if (v.entry === "node-port") outcomes.push(nodePort(`it enters the ${v.serves} through a node port`));
    if (v.backends.length)
      outcomes.push(
        may(
          `whether the ${v.serves} reaches its backends through their Service or their pod IPs is up to the controller`,
        ),
      );
  }
  return worst(...outcomes);
}

function throughService(
  path: CheckPath,
  service: ServiceRef,
  ctx: SignatureContext,
  what: string,
  onPort?: { port: number; protocol: string },
): Outcome {
  const v = path.via;
  if (sameService(serviceOf(path), service) && v.kind !== "route") {
    if (
      onPort &&
      v.kind === "cluster-ip" &&
      (v.protocol !== onPort.protocol || (v.port !== undefined && v.port !== onPort.port))
    )
      return passes;
    if (path.expectsBlocked)
      return may(
        `it must be blocked on its way to ${serviceText(service)}, which ${what}: which comes first, the block or the Service's failure, decides how it ends`,
      );
    return fails(`it goes through ${serviceText(service)}, which ${what}`);
  }
  if (routeToPodsOf(path, service, ctx))
    return may(
      `its route reaches the pods of ${serviceText(service)}, through ${serviceText(service)} or a sibling Service with the same pods (the route's own Service is not in the plan)`,
    );
  return passes;
}

function denyIngress(path: CheckPath, namespace: string): Outcome {
  if (path.target?.namespace !== namespace || path.via.kind === "dns" || path.via.kind === "inspect")
    return passes;
  if (path.expectsBlocked) return passes;
  const v = path.via;
  if ((v.kind === "pod-ip" || v.kind === "cluster-ip") && path.from.kind === "pod")
    return fails(
      `its answer comes from a pod in ${namespace}, and the policy denies every connection from another pod`,
    );
  if (v.kind === "route" && !v.backends.length) return passes;
  return may(
    `its packets reach the pods in ${namespace} from a node address or a proxy, not from a pod: whether a default-deny refuses those depends on the CNI`,
  );
}

function inspection(path: CheckPath, broken: BrokenInspection[], ctx: PathContext): Outcome {
  if (path.via.kind !== "inspect") return passes;
  const { inspection: id, node } = path.via;
  const hit = broken.find((b) => b.id === id && (b.node === undefined || nodeOf(ctx, b.node) === node));
  return hit ? fails(`the fault removes what this inspection looks for on ${node}`) : passes;
}

/** What one check does under one fault. */
export function checkUnder(
  effect: FaultEffect,
  path: CheckPath,
  ctx: SignatureContext,
  broken: BrokenInspection[] = [],
): Outcome {
  if (path.via.kind === "inspect") return inspection(path, broken, ctx);
  switch (effect.kind) {
    case "node-unreachable": {
      const n = nodeOf(ctx, effect.node);
      if (path.from.kind === "pod" && path.from.node === n)
        return cannotRun(
          `the probe runs in a pod on ${n}, and kubectl exec reaches pods through their node's kubelet`,
        );
      const legs = nodeLegs(path).filter((l) => l.node === n);
      if (legs.length) return fails(`${legs[0]!.what}, which cannot be reached`);
      return worst(
        ...podLegs(path).map((leg) =>
          leg.from === n || leg.to === n
            ? fails(`${leg.what} ends on ${n}`)
            : leg.from === UNKNOWN || leg.to === UNKNOWN
              ? may(`${leg.what} may end on ${n} (the scheduler decides where those pods run)`)
              : passes,
        ),
      );
    }
    case "kubelet-down": {
      const n = nodeOf(ctx, effect.node);
      if (path.from.kind === "pod" && path.from.node === n)
        return cannotRun(
          `the probe runs in a pod on ${n}, and kubectl exec reaches pods through its kubelet`,
        );
      if (path.via.kind === "node-ip" && path.via.node === n)
        return fails(`nothing listens on ${n}'s kubelet port`);
      if (path.target?.node === n)
        return may(
          `its target runs on ${n}: once the node is NotReady (about 40 s) its pods are no longer Ready and the probes stop aiming at them`,
        );
      return passes;
    }
    case "pod-network-isolated":
      return isolated(path, nodeOf(ctx, effect.node));
    case "pod-network-cut":
      return cut(path, nodeOf(ctx, effect.between[0]), nodeOf(ctx, effect.between[1]));
    case "service-proxy-down":
      return withoutServiceProxy(path, ctx, effect.nodePortsMayAnswer);
    case "service-unprogrammed": {
      const s = mainService(effect, ctx);
      return s ? throughService(path, s, ctx, "no service proxy programs any more") : passes;
    }
    case "service-no-endpoints": {
      const s = mainService(effect, ctx);
      return s ? throughService(path, s, ctx, "has no endpoints") : passes;
    }
    case "service-port-refused": {
      const s = mainService(effect, ctx);
      const http =
        ctx.main?.ports.find((p) => p.protocol === "TCP" && p.name === "http") ??
        ctx.main?.ports.find((p) => p.protocol === "TCP");
      if (!s || !http) return passes;
      return throughService(path, s, ctx, `sends its TCP port ${http.port} to a port nothing listens on`, {
        port: http.port,
        protocol: "TCP",
      });
    }
    case "dns-down":
      return path.name
        ? fails(`it resolves ${path.name.name} through CoreDNS, which answers nothing`)
        : passes;
    case "dns-upstream-down": {
      if (!path.name) return passes;
      if (path.name.outside)
        return fails(
          `${path.name.name} is outside the cluster: CoreDNS forwards it upstream, and its upstream does not answer`,
        );
      if (path.name.searched && (path.name.name.endsWith(".cluster.local") || path.expectsBlocked))
        return may(
          `the pod's search domains are tried before ${path.name.name} itself: the ones the node inherited from the host go upstream, and so does a name no cluster domain answers, asked at last as it is`,
        );
      return passes;
    }
    case "namespace-deny-ingress":
      return denyIngress(path, effect.namespace);
    case "north-south-down":
      return path.via.kind === "route" && path.via.serves === effect.serves
        ? fails(`it goes through the ${effect.serves}, which serves nothing`)
        : passes;
    case "load-balancer-addresses-gone":
      if (path.via.kind === "load-balancer")
        return cannotRun(
          `${serviceText(path.via.service)} has no LoadBalancer IP, so there is no address to aim at`,
        );
      if (path.via.kind === "route" && path.via.entry === "address")
        return may("its entry address may come from the load balancer");
      return passes;
  }
}

export function signatureOf(
  effect: FaultEffect,
  paths: CheckPath[],
  ctx: SignatureContext,
  broken: BrokenInspection[] = [],
): CheckSignature[] {
  return paths.map((p) => {
    const o = checkUnder(effect, p, ctx, broken);
    return { id: p.id, expect: o.expect, ...(o.why ? { why: o.why } : {}) };
  });
}
