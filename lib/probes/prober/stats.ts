/** Latency statistics, pure. */
import type { LatencySummary } from "./result.ts";

/**
 * Nearest-rank percentiles (the smallest sample with at least p% of samples at or below it):
 * every reported value is a latency that was actually observed. All zero for no samples.
 */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { minMs: 0, maxMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, x) => total + x, 0);
  return {
    minMs: round(sorted[0]!),
    maxMs: round(sorted[sorted.length - 1]!),
    meanMs: round(sum / sorted.length),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
  };
}

/** Nearest-rank percentile of ascending `sorted` (non-empty). */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
