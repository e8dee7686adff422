/**
 * Flake discipline for single-shot probes (tcp, http, udp, dns).
 *
 * - `expect: "reachable"`: a failure is re-attempted, with a growing pause, until an attempt
 *   connects or `retryWindowMs` (from the first attempt's start) would be exceeded. Networks
 *   converge; a probe run right after a rollout should not fail on the first lost SYN.
 * - `expect: "blocked"`: exactly `PROBE_DEFAULTS.blockedAttempts` attempts, whatever they show,
 *   run at once on separate connections (staggered by `blockedStaggerMs`): a drop takes one
 *   timeout to observe, not one per attempt. `blockConfirmed` says every attempt ended before
 *   the target answered; one attempt that reached the target is kept as the reported evidence.
 *   Retrying can never turn a leak into a pass. Whether the way it ended is the lab's block (a
 *   drop, a reject) is the verdict's call, from each attempt's outcome and phase.
 * - no `expect`: one attempt.
 */

import type { AttemptContext, AttemptReport, KindReport, ProbeContext, ProbeRunner } from "./context.ts";
import type { Outcome } from "./outcome.ts";
import type { Expect } from "./plan.ts";
import { PROBE_DEFAULTS } from "./plan.ts";
import type { AttemptRecord } from "./result.ts";
import { now, sleep } from "./timing.ts";

interface Disciplined {
  timeoutMs?: number;
  expect?: Expect;
  retryWindowMs?: number;
}

export type Attempt<P> = (probe: P, ctx: AttemptContext) => Promise<AttemptReport>;

/** Turns a single attempt into a probe runner that applies the probe's `expect`. */
export function withDiscipline<P>(attempt: Attempt<P>): ProbeRunner<P & Disciplined> {
  return async (probe, ctx) => {
    const attemptCtx: AttemptContext = {
      timeoutMs: probe.timeoutMs ?? ctx.defaults.timeoutMs,
      signal: ctx.signal,
    };
    const once = () => attempt(probe, attemptCtx);
    if (probe.expect === "blocked") return blockedReport(await attemptsForBlocked(once, ctx));
    if (probe.expect === "reachable") {
      const window = probe.retryWindowMs ?? ctx.defaults.retryWindowMs;
      const reports = await attemptsForReachable(once, window, ctx);
      return toKindReport(reports.at(-1)!, reports, "reachable");
    }
    const report = await once();
    return toKindReport(report, [report]);
  };
}

async function attemptsForReachable(
  once: () => Promise<AttemptReport>,
  windowMs: number,
  ctx: ProbeContext,
): Promise<AttemptReport[]> {
  const start = now();
  const reports: AttemptReport[] = [];
  let pause: number = PROBE_DEFAULTS.backoffMs;
  for (;;) {
    const report = await once();
    reports.push(report);
    if (report.outcome === "connected" || ctx.signal.aborted) return reports;
    if (now() - start + pause > windowMs) return reports;
    await sleep(pause, ctx.signal);
    pause = Math.min(pause * 2, PROBE_DEFAULTS.maxBackoffMs);
  }
}

async function attemptsForBlocked(
  once: () => Promise<AttemptReport>,
  ctx: ProbeContext,
): Promise<AttemptReport[]> {
  const running: Promise<AttemptReport>[] = [];
  for (let i = 0; i < PROBE_DEFAULTS.blockedAttempts; i++) {
    if (i > 0) {
      // Staggered so the two SYNs are not one burst; each still gets its whole timeout.
      await sleep(PROBE_DEFAULTS.blockedStaggerMs, ctx.signal);
      if (ctx.signal.aborted) break;
    }
    running.push(once());
  }
  return Promise.all(running);
}

/** Outcomes that end an attempt before any answer: what a block can look like, never a pass by itself. */
const UNANSWERED: readonly Outcome[] = ["refused", "timeout", "reset", "unreachable", "dns-error"];

function blockedReport(reports: AttemptReport[]): KindReport {
  const leak = reports.find((r) => r.reached);
  const shown = leak ?? reports.at(-1)!;
  const confirmed =
    reports.length >= PROBE_DEFAULTS.blockedAttempts && reports.every((r) => UNANSWERED.includes(r.outcome));
  const report = toKindReport(shown, reports, "blocked");
  report.blockConfirmed = confirmed && leak === undefined;
  return report;
}

export function toKindReport(shown: AttemptReport, reports: AttemptReport[], expect?: Expect): KindReport {
  const { reached: _reached, ms: _ms, ...evidence } = shown;
  const report: KindReport = {
    ...evidence,
    attempts: { count: reports.length, list: reports.map(toRecord) },
  };
  if (expect) report.expect = expect;
  return report;
}

export function toRecord(report: AttemptReport): AttemptRecord {
  const record: AttemptRecord = {
    outcome: report.outcome,
    reached: report.reached,
    phase: report.phase,
    ms: report.ms,
  };
  if (report.connectMs !== undefined) record.connectMs = report.connectMs;
  if (report.status !== undefined) record.status = report.status;
  if (report.lookup !== undefined) record.lookup = report.lookup;
  if (report.detail !== undefined) record.detail = report.detail;
  return record;
}
