/**
 * Runs a plan: probes concurrently (at most `concurrency` in flight), each with its own
 * timeouts, all under one plan deadline. Results come out as each probe finishes.
 *
 * On the host:    for await (const r of runPlan(plan)) { ... }
 *                 const results = await runPlanAll(plan, { onResult: (r) => ... });
 * In a probe pod: `node prober.js --plan /plan/plan.json` (see cli.ts), same code.
 */
import { setMaxListeners } from "node:events";
import { joinHostPort } from "./address.ts";
import type { ProbeContext, ProbeRunner } from "./context.ts";
import type { EnginePlan, Probe, SubProbe } from "./plan.ts";
import { PROBE_DEFAULTS, parsePlan } from "./plan.ts";
import { forEachLimit } from "./pool.ts";
import { PROBE_RUNNERS } from "./registry.ts";
import type { ProbeResult, ProbeSource, ProbeTarget, Protocol } from "./result.ts";
import { errorMessage, sourceFromEnv } from "./result.ts";
import { subProtocol } from "./sub-probe.ts";
import { now, since } from "./timing.ts";

/** How long probes still running at the plan deadline get to report "cut short" before the run ends without them. */
export const DEADLINE_GRACE_MS = 500;

export interface RunOptions {
  /** Probes in flight at once; overrides the plan's. */
  concurrency?: number;
  /** Deadline of the whole run in ms; overrides the plan's. */
  deadlineMs?: number;
  /** Stops the run early; probes in flight end as cut short, the others as not run. */
  signal?: AbortSignal;
  /** Where the probes run; default from POD_NAME / NODE_NAME / POD_IP, else "host". */
  source?: ProbeSource;
  /** Called with each result as soon as its probe finishes. */
  onResult?: (result: ProbeResult) => void;
}

/**
 * Validates the plan (throws `LabError`) and yields results in the order probes finish. Probes
 * start when iteration starts; leaving the loop early cancels those still running.
 */
export async function* runPlan(plan: EnginePlan, options: RunOptions = {}): AsyncGenerator<ProbeResult> {
  const valid = parsePlan(plan);
  const controller = new AbortController();
  // Every probe in flight listens on this one signal; hundreds of listeners are expected.
  setMaxListeners(0, controller.signal);
  const deadlineMs = options.deadlineMs ?? valid.deadlineMs ?? PROBE_DEFAULTS.deadlineMs;
  let grace: ReturnType<typeof setTimeout> | undefined;
  const deadline = setTimeout(() => {
    controller.abort(new Error(`plan deadline of ${deadlineMs} ms reached`));
    // Every attempt ends when the signal aborts; should one not, the run still ends, shortly
    // after its deadline, with that probe reported as an error.
    grace = setTimeout(cutOff, DEADLINE_GRACE_MS);
  }, deadlineMs);
  const stop = () => controller.abort(options.signal?.reason ?? new Error("run cancelled"));
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener("abort", stop, { once: true });

  const ctx: ProbeContext = {
    signal: controller.signal,
    source: options.source ?? sourceFromEnv(process.env),
    defaults: {
      timeoutMs: valid.defaults?.timeoutMs ?? PROBE_DEFAULTS.timeoutMs,
      retryWindowMs: valid.defaults?.retryWindowMs ?? PROBE_DEFAULTS.retryWindowMs,
    },
  };
  const ready: ProbeResult[] = [];
  const reported = new Set<string>();
  let wake: (() => void) | undefined;
  let finished = false;
  let cut = false;
  const report = (result: ProbeResult) => {
    reported.add(result.id);
    options.onResult?.(result);
    ready.push(result);
    wake?.();
  };
  function cutOff(): void {
    if (finished) return;
    cut = true;
    for (const probe of valid.probes) {
      if (reported.has(probe.id)) continue;
      const { protocol, target } = plannedTarget(probe);
      report({
        id: probe.id,
        kind: probe.kind,
        protocol,
        source: ctx.source,
        target,
        outcome: "error",
        startedAt: new Date().toISOString(),
        totalMs: 0,
        ...noAttempts(),
        error: `still running ${DEADLINE_GRACE_MS} ms after the plan deadline of ${deadlineMs} ms: given up`,
      });
    }
    finished = true;
    wake?.();
  }
  const concurrency = options.concurrency ?? valid.concurrency ?? PROBE_DEFAULTS.concurrency;
  const all = forEachLimit(valid.probes, concurrency, async (probe) => {
    const result = await runProbe(probe, ctx);
    if (!cut) report(result);
  }).finally(() => {
    finished = true;
    wake?.();
  });

  try {
    for (;;) {
      while (ready.length > 0) yield ready.shift()!;
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    if (!cut) await all;
  } finally {
    clearTimeout(deadline);
    clearTimeout(grace);
    options.signal?.removeEventListener("abort", stop);
    // The consumer stopped early (break/throw): do not leave probes running behind its back.
    if (!finished) controller.abort(new Error("the caller stopped reading results"));
  }
}

/** All results, in plan order; `onResult` still sees them as they finish. */
export async function runPlanAll(plan: EnginePlan, options: RunOptions = {}): Promise<ProbeResult[]> {
  const byId = new Map<string, ProbeResult>();
  for await (const result of runPlan(plan, options)) byId.set(result.id, result);
  return plan.probes.map((probe) => byId.get(probe.id)!);
}

/** Runs one probe. Never throws: a probe that cannot run is a result with outcome `error`. */
export async function runProbe(probe: Probe, ctx: ProbeContext): Promise<ProbeResult> {
  const startedAt = new Date().toISOString();
  const start = now();
  const planned = plannedTarget(probe);
  const head = { id: probe.id, kind: probe.kind, protocol: planned.protocol, source: ctx.source };
  if (ctx.signal.aborted) {
    const error = `not run: ${errorMessage(ctx.signal.reason)}`;
    return {
      ...head,
      target: planned.target,
      outcome: "error",
      startedAt,
      totalMs: 0,
      ...noAttempts(),
      error,
    };
  }
  try {
    const runner = PROBE_RUNNERS[probe.kind] as ProbeRunner<Probe>;
    const { target, outcome, ...rest } = await runner(probe, ctx);
    return { ...head, target, outcome, startedAt, totalMs: since(start), ...rest };
  } catch (err) {
    // A bug or an unexpected platform error: report it on this probe, keep the others running.
    const error = `prober failure: ${errorMessage(err)}`;
    return {
      ...head,
      target: planned.target,
      outcome: "error",
      startedAt,
      totalMs: since(start),
      ...noAttempts(),
      error,
    };
  }
}

function noAttempts() {
  return { attempts: { count: 0, list: [] } };
}

/** The protocol and target a probe will use, known before it runs. */
export function plannedTarget(probe: Probe): { protocol: Protocol; target: ProbeTarget } {
  switch (probe.kind) {
    case "tcp":
    case "udp":
      return { protocol: probe.kind, target: { asked: joinHostPort(probe.host, probe.port) } };
    case "http":
      return { protocol: subProtocol(probe), target: { asked: probe.url } };
    case "dns":
      return { protocol: "dns", target: { asked: probe.name } };
    case "coverage":
      return {
        protocol: subProtocol({ kind: "http", ...probe.request }),
        target: { asked: probe.request.url },
      };
    case "latency":
      return subTarget(probe.target);
    case "convergence":
      return subTarget(probe.probe);
  }
}

function subTarget(sub: SubProbe): { protocol: Protocol; target: ProbeTarget } {
  const asked = sub.kind === "tcp" ? joinHostPort(sub.host, sub.port) : sub.url;
  return { protocol: subProtocol(sub), target: { asked } };
}
