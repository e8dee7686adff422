/**
 * What an attempt showed, in words, and whether it is the signature of a given block. The engine
 * records outcome and phase (how far the attempt got); these words are what reports print next to
 * a verdict, so a reader sees "the handshake completed in 0.4 ms, then no answer within 1000 ms"
 * instead of "timeout".
 */

import type { AttemptRecord, LookupEvidence, ProbeResult } from "../prober/result.ts";
import type { Denial } from "../probes-plan.ts";

/** The facts of one attempt the words are made from (an attempt record, or a result's shown attempt). */
type Seen = Pick<AttemptRecord, "outcome" | "phase" | "connectMs" | "status" | "lookup" | "detail" | "ms">;

const ms = (n: number | undefined) => (n === undefined ? "?" : n < 10 ? n.toFixed(1) : String(Math.round(n)));

function lookupWords(l: LookupEvidence): string {
  if (l.error === "NXDOMAIN") return `${l.name} does not exist (NXDOMAIN for every search candidate)`;
  if (l.error === "timeout") return `the lookup of ${l.name} got no answer in time (DNS did not answer)`;
  if (l.error === "cut-short") return `the lookup of ${l.name} was cut short by the plan deadline`;
  return `the lookup of ${l.name} failed (${l.error ?? "no address"})`;
}

/** One attempt in words: how far it got and how it ended. */
export function attemptInWords(a: Seen): string {
  const handshake =
    a.connectMs !== undefined ? `the handshake completed in ${ms(a.connectMs)} ms, then ` : "";
  switch (a.phase) {
    case "resolve":
      if (a.lookup) return lookupWords(a.lookup);
      if (a.outcome === "connected") return "the DNS server answered";
      return `the DNS query ended with ${a.outcome}${a.detail ? ` (${a.detail})` : ""}`;
    case "connect":
      if (a.outcome === "timeout")
        return `no handshake within the timeout: nothing answered the SYN (${a.detail ?? "dropped"})`;
      if (a.outcome === "refused")
        return "refused at once: a TCP RST (or ICMP port unreachable) answered — no listener on the target, or a reject rule";
      if (a.outcome === "unreachable")
        return `rejected on the path: an ICMP unreachable came back (${a.detail ?? ""})`.replace(" ()", "");
      return `the connection failed: ${a.outcome}${a.detail ? ` (${a.detail})` : ""}`;
    case "tls":
      return `${handshake}the TLS handshake failed: ${a.detail ?? a.outcome}`;
    case "response":
      if (a.outcome === "timeout") return `${handshake}no answer before the timeout`;
      if (a.outcome === "reset")
        return `${handshake}the connection was reset or closed before any answer (${a.detail ?? "reset"})`;
      if (/Parse Error|HPE_/.test(a.detail ?? ""))
        return `${handshake}the server answered with bytes that are not HTTP (${a.detail})`;
      return `${handshake}${a.outcome}${a.detail ? ` (${a.detail})` : ""}`;
    case "body":
      return `${handshake}HTTP ${a.status ?? "?"} began, but ${a.detail ?? "the body never completed"}`;
    case "done":
      if (a.outcome === "http-status")
        return `answered HTTP ${a.status}${a.status !== undefined && a.status >= 300 && a.status < 400 ? " (a redirect: not followed, not the answer asked for)" : ""}`;
      return a.status !== undefined ? `answered HTTP ${a.status}` : "answered";
    default:
      // Results recorded before phases were: only the outcome is known.
      return `${a.outcome}${a.detail ? ` (${a.detail})` : ""}`;
  }
}

/** The attempt a result reports, in words. */
export function resultInWords(r: ProbeResult): string {
  const seen: Seen = { outcome: r.outcome, ms: r.totalMs };
  if (r.phase !== undefined) seen.phase = r.phase;
  if (r.connectMs !== undefined) seen.connectMs = r.connectMs;
  if (r.status !== undefined) seen.status = r.status;
  if (r.lookup !== undefined) seen.lookup = r.lookup;
  if (r.detail !== undefined) seen.detail = r.detail;
  return attemptInWords(seen);
}

/** How each kind of block looks, in words, for expectations and verdicts. */
export const DENIAL_WORDS: Record<Denial, string> = {
  drop: "dropped: no handshake before the timeout",
  reject: "rejected: a TCP RST or ICMP unreachable before any handshake",
  nxdomain: "the name does not exist (NXDOMAIN)",
};

/** Whether an attempt ended exactly the way `denial` ends one. */
export function showsDenial(a: Pick<AttemptRecord, "outcome" | "phase" | "lookup">, denial: Denial): boolean {
  switch (denial) {
    case "drop":
      return a.phase === "connect" && a.outcome === "timeout";
    case "reject":
      return a.phase === "connect" && (a.outcome === "refused" || a.outcome === "unreachable");
    case "nxdomain":
      return a.phase === "resolve" && a.outcome === "dns-error" && a.lookup?.error === "NXDOMAIN";
  }
}
