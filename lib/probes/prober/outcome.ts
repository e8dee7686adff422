/**
 * How an attempt ends, from the client's point of view: the words a plan asks for (a
 * convergence probe's `until`) and a result reports, so the plan and the result both read them
 * from here rather than from each other.
 */
export const OUTCOMES = [
  /** The target answered: TCP connected, HTTP status accepted, UDP reply, DNS answer. */
  "connected",
  /** The target actively refused: TCP RST to the SYN, ICMP port unreachable for UDP. */
  "refused",
  /** Nothing came back before the probe's own timer (or the kernel's ETIMEDOUT). */
  "timeout",
  /** The name did not resolve (NXDOMAIN, SERVFAIL, no data, resolver unavailable). */
  "dns-error",
  /** The connection was established and then reset (ECONNRESET, EPIPE). */
  "reset",
  /** HTTP answered, with a status the probe does not count as success (e.g. 503 from an ingress). */
  "http-status",
  /** ICMP host or network unreachable: no route, or a REJECT rule. */
  "unreachable",
  /** The probe itself could not run or failed for a reason not listed above; see `error`/`detail`. */
  "error",
] as const;
export type Outcome = (typeof OUTCOMES)[number];
