/**
 * What one probe observed, with the evidence a report needs to explain a pass or a fail.
 * The prober prints one `ProbeResult` per line (JSON lines); the host reads them back with
 * `parseResultLines`. Whether a result passes is decided by the caller, from the lab's
 * expectations: the prober only records what happened.
 */

import { OUTCOMES, type Outcome } from "./outcome.ts";
import type { ProbeKind } from "./plan.ts";

/**
 * How far an attempt got before it ended. With the outcome, the phase is the evidence that tells
 * a policy's drop (a timeout while connecting) from a server that accepted and then said nothing
 * (a timeout waiting for the response), or a name that never resolved from a path that is cut.
 */
export const PHASES = [
  /** Looking up the target's name (getaddrinfo, as programs in the pod do). */
  "resolve",
  /** The TCP handshake (or, for UDP, sending the datagram). */
  "connect",
  /** The TLS handshake, after the TCP handshake completed. */
  "tls",
  /** The request is sent (the handshake completed); waiting for the answer to begin. */
  "response",
  /** Reading the HTTP body. */
  "body",
  /** The attempt finished: an answer arrived whole. */
  "done",
] as const;
export type Phase = (typeof PHASES)[number];

/** The name lookup a tcp, http or udp attempt made before connecting. */
export interface LookupEvidence {
  name: string;
  /** Every address getaddrinfo returned; the first is the one used. */
  answers: string[];
  ms: number;
  /**
   * Why it failed: NXDOMAIN (no search candidate exists), NODATA (names exist, without an
   * address), SERVFAIL or REFUSED (the server said so), `timeout` (no reply before the attempt's
   * timer), `cut-short` (the plan's deadline).
   */
  error?: string;
  /** Each name asked, in order (search domains applied), with its answer: addresses or an rcode. */
  tried?: { name: string; answer: string }[];
}

export type Protocol = "tcp" | "udp" | "http" | "https" | "dns";

/** Where the probe ran: a pod (from the downward API env vars) or the host. */
export interface ProbeSource {
  /** POD_NAME, or "host" when the prober runs outside a pod. */
  name: string;
  namespace?: string;
  node?: string;
  ip?: string;
}

export interface ProbeTarget {
  /** The target as the plan asked for it: `host:port`, a URL, or a DNS name. */
  asked: string;
  /** The IP address the name resolved to (or the first DNS answer), when known. */
  resolved?: string;
}

/** One try of a probe. A probe with `expect` may make several. */
export interface AttemptRecord {
  outcome: Outcome;
  /**
   * Whether the target answered at all: a completed TCP handshake (even if nothing followed), an
   * HTTP response, a UDP reply, a DNS reply. A TCP RST or an ICMP error is not an answer: it may
   * come from a rule on the path as well as from the target's kernel.
   */
  reached: boolean;
  /** How far the attempt got (absent in results written before phases were recorded). */
  phase?: Phase;
  ms: number;
  /** Time to the completed TCP handshake, when there was one. */
  connectMs?: number;
  status?: number;
  /** The name lookup's answers or failure, when the target was a name. */
  lookup?: LookupEvidence;
  detail?: string;
}

export interface DnsEvidence {
  type: "A" | "AAAA" | "SRV";
  /** The server asked (`host:port`), or "system" for the resolver configured in /etc/resolv.conf. */
  server: string;
  /** NOERROR, NXDOMAIN, NODATA, SERVFAIL, REFUSED, or the resolver's error code. */
  rcode?: string;
  answers: string[];
}

/** The spread of a set of latencies, in ms (nearest-rank percentiles: stats.ts). */
export interface LatencySummary {
  minMs: number;
  maxMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

/** Latency over the successful requests only; errors are counted apart. All times in ms. */
export interface LatencyStats extends LatencySummary {
  requests: number;
  concurrency: number;
  ok: number;
  errors: number;
  errorOutcomes: Partial<Record<Outcome, number>>;
}

export interface CoverageStats {
  expected: string[];
  seen: string[];
  missing: string[];
  /** Backends that answered but were not expected. */
  unexpected: string[];
  /** Answers per backend name. */
  counts: Record<string, number>;
  requests: number;
  errors: number;
  /** Failed requests by outcome (absent in results written before it was recorded). */
  errorOutcomes?: Partial<Record<Outcome, number>>;
}

export interface ConvergenceStats {
  /** The outcome of the first poll: the state the change is measured from. */
  initial: Outcome;
  final: Outcome;
  converged: boolean;
  /** From the start of the first poll to the start of the poll that saw the change. */
  afterMs: number | null;
  polls: number;
  intervalMs: number;
  /** Each change of outcome (or status/backend when a target names them), in order. */
  changes: { atMs: number; outcome: Outcome; status?: number; backend?: string }[];
}

export interface ProbeResult {
  id: string;
  kind: ProbeKind;
  protocol: Protocol;
  source: ProbeSource;
  target: ProbeTarget;
  outcome: Outcome;
  /** ISO time the probe started; evidence for reports, not used for decisions. */
  startedAt: string;
  /** Time to establish the TCP connection in the attempt the result reports, when it got that far. */
  connectMs?: number;
  /** How far the reported attempt got (see PHASES). */
  phase?: Phase;
  /** The name lookup of the reported attempt, when the target was a name. */
  lookup?: LookupEvidence;
  /** The client's own address and port on the connection (what a server sees when nothing rewrites it). */
  localAddress?: string;
  localPort?: number;
  /** Wall time of the whole probe, all attempts and pauses included. */
  totalMs: number;
  attempts: { count: number; list: AttemptRecord[] };
  /** Copied from the plan so the result can be judged alone. */
  expect?: "reachable" | "blocked";
  /**
   * For expected-blocked probes: every attempt (at least two) ended before the target answered.
   * Whether that is the block the lab's dataplane produces is the verdict's call (verdict.ts).
   */
  blockConfirmed?: boolean;
  status?: number;
  /** Response headers the plan asked to capture (lower-case names). */
  headers?: Record<string, string>;
  body?: string;
  bodyTruncated?: boolean;
  /** Which backend answered: agnhost `/hostname` body, a UDP `hostname` reply, or the field the plan names. */
  backend?: string;
  /**
   * How `backend` was learnt: `same-connection` when it came from a first request (`backendPath`)
   * on the connection that then carried the probe's own request, so both answers are one backend's.
   */
  backendVia?: "response" | "same-connection";
  /** The client address the server saw (agnhost `/clientip`), without the port: shows SNAT. */
  clientIp?: string;
  clientPort?: number;
  /** UDP reply payload. */
  reply?: string;
  dns?: DnsEvidence;
  latency?: LatencyStats;
  coverage?: CoverageStats;
  convergence?: ConvergenceStats;
  /** Human-readable detail of a failure (the errno message, the TLS error, ...). */
  detail?: string;
  /** Set only when the probe itself could not run (outcome `error`). */
  error?: string;
}

/** Maps a Node.js socket/DNS error to an outcome, by errno. Unknown codes are `error`. */
export function outcomeOfError(err: unknown): Outcome {
  switch (errorCode(err)) {
    case "ECONNREFUSED":
      return "refused";
    case "ETIMEDOUT":
    case "ETIMEOUT": // c-ares spelling, from dns.Resolver
      return "timeout";
    case "ECONNRESET":
    case "EPIPE":
      return "reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
    case "EAI_NODATA":
    case "ENODATA":
    case "ESERVFAIL":
    case "EREFUSED":
      return "dns-error";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENETDOWN":
      return "unreachable";
    default:
      return "error";
  }
}

/**
 * The errno-style code of an error. With happy eyeballs (`autoSelectFamily`) Node reports an
 * AggregateError whose own code may be missing: the first inner error's code stands for it.
 */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") return code;
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.length > 0) return errorCode(inner[0]);
  return undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    if (err.message) return err.message;
    const inner = (err as { errors?: unknown }).errors;
    if (Array.isArray(inner)) return inner.map(errorMessage).join("; ");
    return err.name;
  }
  return String(err);
}

/** The probe source from the downward-API environment of a probe pod, else "host". */
export function sourceFromEnv(env: Record<string, string | undefined>): ProbeSource {
  const source: ProbeSource = { name: env["POD_NAME"] || "host" };
  if (env["POD_NAMESPACE"]) source.namespace = env["POD_NAMESPACE"];
  if (env["NODE_NAME"]) source.node = env["NODE_NAME"];
  if (env["POD_IP"]) source.ip = env["POD_IP"];
  return source;
}

/**
 * Reads the prober's stdout (one JSON result per line). Lines that are not JSON objects with an
 * `id` and an `outcome` are returned apart, so a caller can show them instead of losing them.
 */
export function parseResultLines(text: string): { results: ProbeResult[]; junk: string[] } {
  const results: ProbeResult[] = [];
  const junk: string[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    try {
      const value: unknown = JSON.parse(trimmed);
      if (isResultLike(value)) results.push(value);
      else junk.push(trimmed);
    } catch {
      junk.push(trimmed);
    }
  }
  return { results, junk };
}

function isResultLike(value: unknown): value is ProbeResult {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["id"] === "string" && (OUTCOMES as readonly unknown[]).includes(v["outcome"]);
}
