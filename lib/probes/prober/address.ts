/** Host/port text, and name resolution as a step of its own before a connection. */
import dns from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import type { AttemptContext, AttemptReport } from "./context.ts";
import type { LookupEvidence, ProbeTarget, Protocol } from "./result.ts";
import { errorCode, errorMessage, outcomeOfError } from "./result.ts";
import { stubLookup } from "./stub-resolver.ts";
import { bounded, now, since } from "./timing.ts";

/** `host:port`, with brackets around an IPv6 address. */
export function joinHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Splits `ip:port` or `[ipv6]:port` (agnhost `/clientip`); a bare address has no port. */
export function splitHostPort(text: string): { ip: string; port?: number } | undefined {
  const value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracketed) return withPort(bracketed[1]!, bracketed[2]);
  if (isIP(value) !== 0) return { ip: value };
  const cut = value.lastIndexOf(":");
  if (cut <= 0) return undefined;
  return withPort(value.slice(0, cut), value.slice(cut + 1));
}

function withPort(ip: string, port: string | undefined): { ip: string; port?: number } | undefined {
  if (isIP(ip) === 0) return undefined;
  const n = Number(port);
  return port !== undefined && Number.isInteger(n) && n > 0 && n < 65_536 ? { ip, port: n } : { ip };
}

/** A name resolved before connecting: the address used, and the lookup that found it. */
export interface ResolvedHost {
  address: string;
  family: 4 | 6;
  /** Absent when the host was an IP literal. */
  lookup?: LookupEvidence;
}

/** A lookup that did not give an address. */
export interface FailedLookup {
  lookup: LookupEvidence;
  err: unknown;
}

/**
 * Resolves `host` as its own step, with its own timer, before any packet goes to the target: a
 * check that depends on a name records what the name resolved to, or why it did not, and a lookup
 * that outlives the attempt is a DNS failure, never a timeout of the path. getaddrinfo, like the
 * programs in the pod: the pod's search domains, ndots and /etc/hosts apply.
 */
export function resolveHost(host: string, ctx: AttemptContext): Promise<ResolvedHost | FailedLookup> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  const family = isIP(bare);
  if (family === 4 || family === 6) return Promise.resolve({ address: bare, family });
  const start = now();
  let tried: LookupEvidence["tried"] = [];
  const evidence = (answers: string[], error?: string): LookupEvidence => {
    const lookup: LookupEvidence = { name: host, answers, ms: since(start) };
    if (tried?.length) lookup.tried = [...tried];
    if (error !== undefined) lookup.error = error;
    return lookup;
  };
  return bounded<ResolvedHost | FailedLookup | typeof UNCONFIGURED>(
    ctx,
    (finish) => {
      const stub = stubLookup(host, ctx.timeoutMs, (answer) => {
        if (answer.ok === true)
          finish({ address: answer.address, family: answer.family, lookup: answer.lookup });
        else if (answer.ok === false) {
          const detail = `${answer.lookup.error ?? answer.code}${answer.lookup.tried?.length ? ` (asked ${answer.lookup.tried.map((t) => `${t.name}: ${t.answer}`).join("; ")})` : ""}`;
          finish({
            lookup: answer.lookup,
            err: Object.assign(new Error(`${host}: ${detail}`), { code: answer.code }),
          });
        } else finish(UNCONFIGURED);
      });
      tried = stub.tried;
      return stub.cancel;
    },
    () => {
      if (ctx.signal.aborted) {
        const why = `cut short: ${errorMessage(ctx.signal.reason)}`;
        return {
          lookup: evidence([], "cut-short"),
          err: Object.assign(new Error(why), { code: "ETIMEDOUT" }),
        };
      }
      const asked = tried?.length
        ? ` (answered so far: ${tried.map((t) => `${t.name}: ${t.answer}`).join("; ")})`
        : "";
      const why = `the lookup of ${host} got no answer within ${ctx.timeoutMs} ms${asked}`;
      return { lookup: evidence([], "timeout"), err: Object.assign(new Error(why), { code: "EAI_AGAIN" }) };
    },
    (err) => ({ lookup: evidence([], errorCode(err) ?? "error"), err }),
  ).then((r) => (r === UNCONFIGURED ? systemLookup(host, ctx) : r));
}

/** No resolv.conf names a server here: resolve as the system does. */
const UNCONFIGURED = Symbol("no resolv.conf");

/**
 * getaddrinfo, when there is no resolv.conf to follow (a host without one). It cannot be
 * cancelled: a late answer is ignored.
 */
function systemLookup(host: string, ctx: AttemptContext): Promise<ResolvedHost | FailedLookup> {
  const start = now();
  const evidence = (answers: string[], error?: string): LookupEvidence => {
    const lookup: LookupEvidence = { name: host, answers, ms: since(start) };
    if (error !== undefined) lookup.error = error;
    return lookup;
  };
  return bounded<ResolvedHost | FailedLookup>(
    ctx,
    (finish) => {
      dns.lookup(host, { all: true }, (err, addresses) => {
        const first = addresses?.[0];
        if (err || !first) {
          const code = errorCode(err) ?? "ENODATA";
          const failure = err ?? Object.assign(new Error(`${host} has no address`), { code });
          finish({ lookup: evidence([], code === "ENOTFOUND" ? "NXDOMAIN" : code), err: failure });
          return;
        }
        finish({
          address: first.address,
          family: first.family === 6 ? 6 : 4,
          lookup: evidence(addresses.map((a) => a.address)),
        });
      });
      return () => {};
    },
    () => {
      const why = `the lookup of ${host} got no answer within ${ctx.timeoutMs} ms`;
      return { lookup: evidence([], "timeout"), err: Object.assign(new Error(why), { code: "EAI_AGAIN" }) };
    },
    (err) => ({ lookup: evidence([], errorCode(err) ?? "error"), err }),
  );
}

export function isFailedLookup(r: ResolvedHost | FailedLookup): r is FailedLookup {
  return "err" in r;
}

/** The report of an attempt whose name did not resolve: a DNS failure, before any connection. */
export function lookupFailureReport(
  protocol: Protocol,
  target: ProbeTarget,
  start: number,
  failed: FailedLookup,
): AttemptReport {
  const { lookup } = failed;
  const detail =
    lookup.error === "NXDOMAIN"
      ? `${lookup.name} does not resolve: NXDOMAIN for every search candidate (${errorMessage(failed.err)})`
      : lookup.error === "timeout" || lookup.error === "cut-short"
        ? errorMessage(failed.err)
        : `${lookup.name} did not resolve: ${errorMessage(failed.err)}`;
  const outcome =
    lookup.error === "cut-short" ? "timeout" : outcomeOfError(failed.err) === "error" ? "error" : "dns-error";
  const report: AttemptReport = {
    protocol,
    target: { ...target },
    outcome,
    reached: false,
    phase: "resolve",
    ms: since(start),
    lookup,
    detail,
  };
  if (outcome === "error") report.error = detail;
  return report;
}

/** A `lookup` for net/http that answers with the address resolved beforehand. */
export function pinnedLookup(resolved: ResolvedHost): LookupFunction {
  return (_hostname, options, callback) => {
    const cb = callback as (e: unknown, a: unknown, f?: number) => void;
    const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all;
    process.nextTick(() =>
      all
        ? cb(null, [{ address: resolved.address, family: resolved.family }])
        : cb(null, resolved.address, resolved.family),
    );
  };
}
