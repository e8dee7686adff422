/** The tcp/http probe that latency and convergence probes repeat, and what they keep of it. */

import type { AttemptContext, AttemptReport } from "./context.ts";
import { toRecord } from "./discipline.ts";
import { httpAttempt } from "./http.ts";
import type { SubProbe } from "./plan.ts";
import type { AttemptRecord, Protocol } from "./result.ts";
import { tcpAttempt } from "./tcp.ts";

export function subAttempt(sub: SubProbe, ctx: AttemptContext): Promise<AttemptReport> {
  return sub.kind === "tcp" ? tcpAttempt(sub, ctx) : httpAttempt(sub, ctx);
}

export function subProtocol(sub: SubProbe): Protocol {
  if (sub.kind === "tcp") return "tcp";
  return sub.url.startsWith("https:") ? "https" : "http";
}

/** Repeating probes make hundreds of attempts; their results keep a sample of the failures. */
export const KEPT_FAILURES = 10;

export class FailureSample {
  readonly list: AttemptRecord[] = [];
  add(report: AttemptReport): void {
    if (this.list.length < KEPT_FAILURES) this.list.push(toRecord(report));
  }
}
