/**
 * `coverage`: repeat an HTTP request (each on a new connection) until every expected backend has
 * answered and at least `minRequests` were made, or the window ends, as the Kubernetes e2e tests
 * check a Service's endpoints; or, with `sample`, exactly that many times, counting answers per
 * backend (traffic splits). Every answer is counted, expected or not, and every failed request,
 * so the verdict can refuse a stray backend or a dead endpoint. The outcome is `connected` when no
 * backend is missing; else `timeout` if some answered, or the most frequent failure if none did.
 */

import type { AttemptReport, KindReport, ProbeRunner } from "./context.ts";
import { httpAttempt } from "./http.ts";
import type { Outcome } from "./outcome.ts";
import type { CoverageProbe } from "./plan.ts";
import { PROBE_DEFAULTS } from "./plan.ts";
import { FailureSample, subProtocol } from "./sub-probe.ts";
import { mostCommon, now, sleep } from "./timing.ts";

/** Pause after a failed request, so a refusing target is not hammered in a tight loop. */
const FAILURE_PAUSE_MS = 50;

export const runCoverage: ProbeRunner<CoverageProbe> = async (probe, ctx) => {
  const request = { ...probe.request, backendFrom: probe.request.backendFrom ?? { from: "body" as const } };
  const windowMs = probe.windowMs ?? PROBE_DEFAULTS.coverageWindowMs;
  const maxRequests = probe.maxRequests ?? PROBE_DEFAULTS.coverageMaxRequests;
  const timeoutMs = probe.timeoutMs ?? ctx.defaults.timeoutMs;
  const start = now();
  const missing = new Set(probe.backends);
  const counts: Record<string, number> = {};
  const errorOutcomes: Partial<Record<Outcome, number>> = {};
  const failures = new FailureSample();
  let last: AttemptReport | undefined;
  let requests = 0;
  let answered = 0;

  const minRequests = Math.min(probe.minRequests ?? 0, maxRequests);
  const more = () =>
    probe.sample === undefined
      ? (missing.size > 0 || requests < minRequests) && requests < maxRequests
      : requests < probe.sample;
  while (more() && !ctx.signal.aborted) {
    const left = Math.ceil(windowMs - (now() - start));
    if (left <= 0) break;
    const report = await httpAttempt(request, { timeoutMs: Math.min(timeoutMs, left), signal: ctx.signal });
    requests++;
    last = report;
    if (report.outcome === "connected" && report.backend !== undefined) {
      answered++;
      counts[report.backend] = (counts[report.backend] ?? 0) + 1;
      missing.delete(report.backend);
    } else {
      errorOutcomes[report.outcome] = (errorOutcomes[report.outcome] ?? 0) + 1;
      failures.add(report);
      await sleep(FAILURE_PAUSE_MS, ctx.signal);
    }
  }

  const seen = Object.keys(counts).sort();
  const outcome: Outcome =
    missing.size === 0 ? "connected" : answered > 0 ? "timeout" : (mostCommon(errorOutcomes) ?? "timeout");
  const report: KindReport = {
    protocol: subProtocol({ kind: "http", ...request }),
    target: last?.target ?? { asked: probe.request.url },
    outcome,
    attempts: { count: requests, list: failures.list },
    coverage: {
      expected: [...probe.backends],
      seen,
      missing: probe.backends.filter((b) => missing.has(b)),
      unexpected: seen.filter((b) => !probe.backends.includes(b)),
      counts,
      requests,
      errors: requests - answered,
      errorOutcomes,
    },
  };
  if (missing.size > 0) {
    report.detail = `${missing.size} of ${probe.backends.length} backends never answered in ${requests} requests`;
  } else if (probe.sample === undefined && requests < minRequests) {
    report.detail = `the window ended after ${requests} of the ${minRequests} requests asked for`;
  }
  return report;
};
