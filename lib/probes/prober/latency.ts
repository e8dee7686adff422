/**
 * `latency`: N requests (HTTP) or connections (TCP) at concurrency C. Statistics cover the
 * successful ones; failures are counted by outcome. The result's outcome is `connected` when
 * every request succeeded, else the most frequent failure.
 */

import type { AttemptReport, KindReport, ProbeRunner } from "./context.ts";
import type { Outcome } from "./outcome.ts";
import type { LatencyProbe } from "./plan.ts";
import { forEachLimit } from "./pool.ts";
import { summarize } from "./stats.ts";
import { FailureSample, subAttempt, subProtocol } from "./sub-probe.ts";
import { mostCommon } from "./timing.ts";

export const runLatency: ProbeRunner<LatencyProbe> = async (probe, ctx) => {
  const attemptCtx = { timeoutMs: probe.timeoutMs ?? ctx.defaults.timeoutMs, signal: ctx.signal };
  const samples: number[] = [];
  const errorOutcomes: Partial<Record<Outcome, number>> = {};
  const failures = new FailureSample();
  let last: AttemptReport | undefined;
  let made = 0;
  const slots = Array.from({ length: probe.requests }, (_, i) => i);
  await forEachLimit(slots, probe.concurrency, async () => {
    if (ctx.signal.aborted) return;
    const report = await subAttempt(probe.target, attemptCtx);
    made++;
    last = report;
    if (report.outcome === "connected") samples.push(report.ms);
    else {
      errorOutcomes[report.outcome] = (errorOutcomes[report.outcome] ?? 0) + 1;
      failures.add(report);
    }
  });
  const errors = made - samples.length;
  const outcome = errors === 0 && made > 0 ? "connected" : (mostCommon(errorOutcomes) ?? "timeout");
  const report: KindReport = {
    protocol: subProtocol(probe.target),
    target: last?.target ?? { asked: "" },
    outcome,
    attempts: { count: made, list: failures.list },
    latency: {
      requests: probe.requests,
      concurrency: probe.concurrency,
      ok: samples.length,
      errors,
      errorOutcomes,
      ...summarize(samples),
    },
  };
  if (made < probe.requests)
    report.detail = `stopped after ${made} of ${probe.requests} requests: plan cancelled`;
  return report;
};
