/** Clocks, pauses and the bounded-attempt helper every probe kind uses. */

import type { AttemptContext, AttemptReport } from "./context.ts";
import type { Outcome } from "./outcome.ts";
import type { Phase, ProbeTarget, Protocol } from "./result.ts";
import { errorMessage, outcomeOfError } from "./result.ts";

/** A monotonic clock in ms; wall-clock jumps must not distort latencies. */
export function now(): number {
  return performance.now();
}

/** Elapsed ms since `start`, rounded to 0.01 ms so results stay readable. */
export function since(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The report of an attempt that ended in an error in `phase`, classified by errno. */
export function failureReport(
  protocol: Protocol,
  target: ProbeTarget,
  start: number,
  err: unknown,
  phase: Phase,
  extra: Partial<AttemptReport> = {},
): AttemptReport {
  const outcome = outcomeOfError(err);
  const report: AttemptReport = {
    protocol,
    target: { ...target },
    outcome,
    reached: false,
    phase,
    ms: since(start),
    detail: errorMessage(err),
    ...extra,
  };
  if (outcome === "error") report.error = report.detail;
  return report;
}

/** The report of an attempt its own timer (or the plan's cancellation) ended in `phase`. */
export function timeoutReport(
  protocol: Protocol,
  target: ProbeTarget,
  start: number,
  ctx: AttemptContext,
  phase: Phase,
  extra: Partial<AttemptReport> = {},
): AttemptReport {
  const detail = ctx.signal.aborted
    ? `cut short: ${errorMessage(ctx.signal.reason)}`
    : `no answer within ${ctx.timeoutMs} ms`;
  return {
    protocol,
    target: { ...target },
    outcome: "timeout",
    reached: false,
    phase,
    ms: since(start),
    detail,
    ...extra,
  };
}

/**
 * Runs one attempt that ends exactly once: by calling `finish`, by its own timer, or when the
 * plan is cancelled. `start` opens the sockets and returns how to close them; that runs once,
 * whichever way the attempt ends, so no socket outlives its attempt. `onThrow` turns an
 * exception thrown by `start` itself (e.g. an invalid header value) into a report.
 */
export function bounded<T = AttemptReport>(
  ctx: AttemptContext,
  start: (finish: (report: T) => void) => () => void,
  onTimeout: () => T,
  onThrow: (err: unknown) => T,
): Promise<T> {
  return new Promise((resolve) => {
    let done = false;
    let cleanup: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => finish(onTimeout());
    function finish(report: T): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ctx.signal.removeEventListener("abort", onAbort);
      cleanup?.();
      resolve(report);
    }
    if (ctx.signal.aborted) return finish(onTimeout());
    timer = setTimeout(() => finish(onTimeout()), ctx.timeoutMs);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      cleanup = start(finish);
    } catch (err) {
      finish(onThrow(err));
    }
    // `finish` may have run synchronously inside `start`, before `cleanup` was known.
    if (done) cleanup?.();
  });
}

/** The outcome seen most often; ties go to the first seen. */
export function mostCommon(counts: Partial<Record<Outcome, number>>): Outcome | undefined {
  let best: Outcome | undefined;
  for (const [outcome, n] of Object.entries(counts) as [Outcome, number][]) {
    if (best === undefined || n > (counts[best] ?? 0)) best = outcome;
  }
  return best;
}
