/**
 * `convergence`: poll a tcp/http probe every `intervalMs` and report how long it took until the
 * outcome (or HTTP status) changed from the first poll's, or until a poll matched `until`.
 * Polls never overlap: a poll that times out delays the next one. The time reported runs from
 * the first poll's start to the start of the poll that saw the change, so its resolution is one
 * interval (plus a timeout when the old state was a timeout).
 */

import type { AttemptReport, KindReport, ProbeRunner } from "./context.ts";
import { toKindReport } from "./discipline.ts";
import type { Outcome } from "./outcome.ts";
import type { ConvergenceProbe, ConvergenceTarget } from "./plan.ts";
import { PROBE_DEFAULTS } from "./plan.ts";
import type { ConvergenceStats } from "./result.ts";
import { FailureSample, subAttempt } from "./sub-probe.ts";
import { now, sleep } from "./timing.ts";

/** A flapping target must not grow the result without bound. */
const MAX_CHANGES = 50;

interface Observation {
  outcome: Outcome;
  status?: number;
  backend?: string;
}

export const runConvergence: ProbeRunner<ConvergenceProbe> = async (probe, ctx) => {
  const intervalMs = probe.intervalMs ?? PROBE_DEFAULTS.convergenceIntervalMs;
  const windowMs = probe.windowMs ?? PROBE_DEFAULTS.convergenceWindowMs;
  const attemptCtx = { timeoutMs: probe.timeoutMs ?? ctx.defaults.timeoutMs, signal: ctx.signal };
  // Behind a Service every request may reach another backend: that is balancing, not a change,
  // unless the target names a backend to wait for.
  const trackBackend = probe.until?.backend !== undefined;
  const start = now();
  const changes: ConvergenceStats["changes"] = [];
  const failures = new FailureSample();
  let first: Observation | undefined;
  let previous: Observation | undefined;
  let last: AttemptReport | undefined;
  let afterMs: number | null = null;
  let polls = 0;

  for (;;) {
    const pollStart = now();
    const report = await subAttempt(probe.probe, attemptCtx);
    polls++;
    last = report;
    if (report.outcome !== "connected") failures.add(report);
    const seen = observe(report);
    const atMs = Math.round((pollStart - start) * 100) / 100;
    if (!previous || differs(seen, previous, trackBackend)) {
      if (changes.length < MAX_CHANGES) changes.push({ atMs, ...seen });
    }
    first ??= seen;
    previous = seen;
    const done = probe.until ? matches(seen, probe.until) : differs(seen, first, false);
    if (done) {
      afterMs = atMs;
      break;
    }
    if (ctx.signal.aborted || now() - start >= windowMs) break;
    await sleep(pollStart + intervalMs - now(), ctx.signal);
  }

  const final = last!;
  const report: KindReport = toKindReport(final, [final]);
  report.attempts = { count: polls, list: failures.list };
  report.convergence = {
    initial: first!.outcome,
    final: final.outcome,
    converged: afterMs !== null,
    afterMs,
    polls,
    intervalMs,
    changes,
  };
  if (afterMs === null) report.detail = `no change within ${windowMs} ms (${polls} polls)`;
  return report;
};

function observe(report: AttemptReport): Observation {
  const seen: Observation = { outcome: report.outcome };
  if (report.status !== undefined) seen.status = report.status;
  if (report.backend !== undefined) seen.backend = report.backend;
  return seen;
}

function differs(a: Observation, b: Observation, withBackend: boolean): boolean {
  return a.outcome !== b.outcome || a.status !== b.status || (withBackend && a.backend !== b.backend);
}

function matches(seen: Observation, target: ConvergenceTarget): boolean {
  return (
    (target.outcome === undefined || seen.outcome === target.outcome) &&
    (target.status === undefined || seen.status === target.status) &&
    (target.backend === undefined || seen.backend === target.backend)
  );
}
