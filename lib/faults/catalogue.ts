/**
 * A lab's faults: the ones its components declare and the cluster-level ones, with node names and
 * the main Service filled in, each with its signature over the lab's probe plan. A fault no check
 * of the plan can see is listed as unavailable, with that reason: a break-fix exercise needs the
 * probes to point at something.
 */
import {
  type Fault,
  type FaultCommand,
  type FaultLayer,
  type FaultLookup,
  type FaultOffer,
  isAvailable,
  type UnavailableFault,
} from "../components/fault.ts";
import { carriedPathsOf, type ResolvedLab } from "../components/resolve.ts";
import { PROBES_NAMESPACE } from "../probes/clients.ts";
import type { ProbeLab, ServiceInfo } from "../probes/probe-lab.ts";
import type { ProbesPlan } from "../probes/probes-plan.ts";
import { clusterFaults } from "./cluster-faults.ts";
import {
  type CheckPath,
  checkPaths,
  type PathContext,
  pathContext,
  podLegs,
  podLegsCross,
  serviceOf,
} from "./paths.ts";
import { type CheckSignature, signatureOf } from "./signature.ts";

/** Who declares the faults that are not a component's: kind and Kubernetes themselves. */
export const CLUSTER = "kind";

export type ResolvedCommand = { kubectl: string[]; stdin?: string } | { node: string; command: string[] };

export interface ResolvedStep {
  does: string;
  run: ResolvedCommand;
  alreadyDone?: string;
}

export interface ResolvedLookup extends Omit<FaultLookup, "run"> {
  run: ResolvedCommand;
}

export interface LabFault extends Omit<Fault, "look" | "lookups" | "apply" | "revert"> {
  /** The component that declares it, or `kind` for cluster-level faults. */
  by: string;
  look: { run: ResolvedCommand; shows: string }[];
  lookups: ResolvedLookup[];
  apply: ResolvedStep[];
  revert: ResolvedStep[];
  /** Every check of the plan, with what it does under the fault. */
  signature: CheckSignature[];
}

export interface LabUnavailableFault extends UnavailableFault {
  by: string;
}

export interface LabFaultList {
  lab: string;
  clusterName: string;
  faults: LabFault[];
  unavailable: LabUnavailableFault[];
  /** What each check's path crosses (see `crossingsOf`), so `labs verify` can say where failures point. */
  crossings: Record<string, string[]>;
}

/** The lab's main app Service: the first ClusterIP Service of its apps that its probes reach. */
export function mainServiceOf(plan: ProbesPlan, services: ServiceInfo[]): ServiceInfo | undefined {
  for (const c of plan.checks) {
    if (c.action.kind === "dns" || c.action.kind === "inspect") continue;
    const a = c.action.to.address;
    if (!("clusterIp" in a) || a.clusterIp.namespace === PROBES_NAMESPACE) continue;
    const found = services.find(
      (s) => s.namespace === a.clusterIp.namespace && s.service === a.clusterIp.service,
    );
    if (found) return found;
  }
  return undefined;
}

type Replace = (text: string) => string;

function resolveCommand(run: FaultCommand, nodes: string[], text: Replace): ResolvedCommand[] {
  if ("kubectl" in run)
    return [
      { kubectl: run.kubectl.map(text), ...(run.stdin !== undefined ? { stdin: text(run.stdin) } : {}) },
    ];
  const targets = run.node === "every" ? nodes : [nodes[run.node]!];
  return targets.map((node) => ({ node, command: run.command.map(text) }));
}

/** Why a declared fault cannot be resolved in this lab (a node it names does not exist, no main Service). */
function unresolvable(f: Fault, nodes: string[], main: ServiceInfo | undefined): string | undefined {
  const refs: number[] = [];
  const e = f.effect;
  if ("node" in e) refs.push(e.node);
  if ("between" in e) refs.push(...e.between);
  for (const s of [...f.apply, ...f.revert, ...(f.lookups ?? []).map((l) => ({ run: l.run })), ...f.look])
    if ("node" in s.run && s.run.node !== "every") refs.push(s.run.node);
  const missing = refs.find((r) => r >= nodes.length);
  if (missing !== undefined) return `it needs a node #${missing + 1}, and the lab has ${nodes.length}`;
  const usesMain = JSON.stringify(f).includes("${SERVICE}") || ("service" in e && e.service === "main");
  if (usesMain && !main) return "the lab has no app Service its probes reach by name (no `apps`)";
  return undefined;
}

function resolveFault(
  f: Fault,
  by: string,
  ctx: PathContext,
  main: ServiceInfo | undefined,
): Omit<LabFault, "signature"> {
  const nodes = ctx.nodes;
  const text: Replace = (s) =>
    s
      .replace(/\$\{SERVICE\}/g, main?.service ?? "")
      .replace(/\$\{NAMESPACE\}/g, main?.namespace ?? "")
      .replace(/\$\{NODE_(\d+)\}/g, (_, i: string) => nodes[Number(i)] ?? "");
  const lookups = (f.lookups ?? []).map((l) => ({
    ...l,
    describes: text(l.describes),
    run: resolveCommand(l.run, nodes, text)[0]!,
  }));
  const steps = (list: Fault["apply"]) =>
    list.flatMap((s) =>
      resolveCommand(s.run, nodes, text).map((run) => ({
        does: text(s.does),
        run,
        ...(s.alreadyDone ? { alreadyDone: s.alreadyDone } : {}),
      })),
    );
  const known = new Set(lookups.map((l) => l.name));
  const resolved = {
    id: f.id,
    layer: f.layer,
    title: text(f.title),
    does: text(f.does),
    undo: text(f.undo),
    effect: "namespace" in f.effect ? { ...f.effect, namespace: text(f.effect.namespace) } : f.effect,
    ...(f.breaksInspections ? { breaksInspections: f.breaksInspections } : {}),
    observe: text(f.observe),
    look: f.look.flatMap((l) =>
      resolveCommand(l.run, nodes, text).map((run) => ({ run, shows: text(l.shows) })),
    ),
    lookups,
    apply: steps(f.apply),
    revert: steps(f.revert),
    ...(f.source ? { source: f.source } : {}),
    by,
  };
  for (const m of JSON.stringify(resolved).matchAll(/\$\{([A-Z0-9_]+)(?::json)?\}/g))
    if (!known.has(m[1]!))
      throw new Error(`fault ${f.id} of ${by} uses \${${m[1]}}, which no lookup defines`);
  return resolved;
}

const NOTHING_SEEN =
  "no check of this lab's probes goes through what it breaks, so the probes could not point at it";

/** Every fault of a lab, with signatures over its probe plan. */
export function labFaults(lab: ResolvedLab, plan: ProbesPlan, probeLab?: ProbeLab): LabFaultList {
  const ctx = pathContext(lab, plan, probeLab);
  const paths = checkPaths(ctx);
  const main = mainServiceOf(plan, ctx.services);
  const offers: { offer: FaultOffer; by: string }[] = [];
  for (const s of lab.components) {
    const declared = s.component.faults?.(s.options, lab);
    if (declared) offers.push(...declared.faults.map((offer) => ({ offer, by: s.component.name })));
  }
  const carries = carriedPathsOf(lab);
  offers.push(...clusterFaults({ lab, main }).map((offer) => ({ offer, by: CLUSTER })));

  const faults: LabFault[] = [];
  const unavailable: LabUnavailableFault[] = [];
  const skip = (o: { id: string; layer: FaultLayer; title: string }, by: string, why: string) =>
    unavailable.push({ id: o.id, layer: o.layer, title: o.title, unavailable: why, by });
  for (const { offer, by } of offers) {
    if (!isAvailable(offer)) {
      unavailable.push({ ...offer, by });
      continue;
    }
    const why = unresolvable(offer, ctx.nodes, main);
    if (why) {
      skip(offer, by, why);
      continue;
    }
    const resolved = resolveFault(offer, by, ctx, main);
    const signature = signatureOf(
      resolved.effect,
      paths,
      { ...ctx, carries, ...(main ? { main } : {}) },
      offer.breaksInspections,
    );
    if (!signature.some((s) => s.expect === "fails" || s.expect === "cannot-run")) {
      skip(offer, by, NOTHING_SEEN);
      continue;
    }
    if (faults.some((f) => f.id === offer.id))
      throw new Error(`two components of ${lab.spec.name} declare fault ${offer.id}`);
    faults.push({ ...resolved, signature });
  }
  // An unavailable entry for an id that is available from another component says nothing.
  const listed = unavailable.filter((u) => !faults.some((f) => f.id === u.id));
  return {
    lab: lab.spec.name,
    clusterName: lab.clusterName,
    faults,
    unavailable: listed,
    crossings: Object.fromEntries(paths.map((p) => [p.id, crossingsOf(p)])),
  };
}

/**
 * What a check's path crosses, as keys `labs verify` counts failures by: `dns`, `dns-upstream`, `service-proxy`,
 * `service:<ns>/<name>`, `pod-network`, `node:<name>`, `policy`, `ingress`, `gateway`,
 * `load-balancer`, `dataplane:<inspection>`.
 */
export function crossingsOf(p: CheckPath): string[] {
  const out = new Set<string>();
  const v = p.via;
  if (p.name) out.add("dns");
  if (p.name?.outside) out.add("dns-upstream");
  if (p.from.kind === "pod") out.add(`node:${p.from.node}`);
  if (
    v.kind === "cluster-ip" ||
    v.kind === "node-port" ||
    v.kind === "load-balancer" ||
    (p.name && p.from.kind === "pod")
  )
    out.add("service-proxy");
  const s = serviceOf(p);
  if (s) out.add(`service:${s.namespace}/${s.service}`);
  if (podLegsCross(p)) out.add("pod-network");
  for (const leg of podLegs(p))
    if (leg.from && leg.to && leg.from !== leg.to) out.add(`pods:${[leg.from, leg.to].sort().join("|")}`);
  if (p.target?.namespace && v.kind !== "dns" && !p.target.apiServer)
    out.add(`namespace:${p.target.namespace}`);
  if (v.kind === "node-ip") out.add(`node:${v.node}`);
  if (v.kind === "node-port" && v.entry) out.add(`node:${v.entry}`);
  if (p.target?.node) out.add(`node:${p.target.node}`);
  if (p.policy) out.add("policy");
  if (v.kind === "route") out.add(v.serves);
  if (v.kind === "load-balancer") out.add("load-balancer");
  if (v.kind === "inspect") out.add(`dataplane:${v.inspection}`);
  return [...out];
}
