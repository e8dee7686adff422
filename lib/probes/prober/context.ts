/**
 * The shapes passed between the runner, the probe kinds and the helpers. Node built-ins only:
 * everything under `prober/` ends up in the bundled prober.
 */
import type { Phase, ProbeResult, ProbeSource } from "./result.ts";

/** Limits of one attempt: its own timer, and the plan's cancellation (deadline, early stop). */
export interface AttemptContext {
  timeoutMs: number;
  signal: AbortSignal;
}

/** The evidence one attempt gathered: the fields of a result that describe a single try. */
export type Evidence = Pick<
  ProbeResult,
  | "protocol"
  | "target"
  | "outcome"
  | "connectMs"
  | "lookup"
  | "localAddress"
  | "localPort"
  | "status"
  | "headers"
  | "body"
  | "bodyTruncated"
  | "backend"
  | "backendVia"
  | "clientIp"
  | "clientPort"
  | "reply"
  | "dns"
  | "detail"
  | "error"
>;

export interface AttemptReport extends Evidence {
  /** The target answered at all (a TCP handshake, any HTTP response, a UDP reply, any DNS reply). */
  reached: boolean;
  /** How far the attempt got before it ended (see PHASES in result.ts). */
  phase: Phase;
  ms: number;
}

/** What every probe of a run shares. */
export interface ProbeContext {
  signal: AbortSignal;
  source: ProbeSource;
  defaults: { timeoutMs: number; retryWindowMs: number };
}

/** What a probe kind returns; the runner adds id, kind, source and timing. */
export type KindReport = Omit<ProbeResult, "id" | "kind" | "source" | "startedAt" | "totalMs">;

export type ProbeRunner<P> = (probe: P, ctx: ProbeContext) => Promise<KindReport>;
