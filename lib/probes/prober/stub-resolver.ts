/**
 * Name resolution as a pod's getaddrinfo does it — /etc/hosts, then the search list of
 * /etc/resolv.conf under its `ndots` rule — but through c-ares (`dns.Resolver`) on the event loop
 * instead of getaddrinfo on libuv's thread pool. Two reasons:
 *
 * - Evidence: every candidate name tried is recorded with its answer (NXDOMAIN, NODATA, no reply),
 *   so "the short name does not resolve" is shown, not assumed.
 * - Exit: a getaddrinfo call stuck on a silent DNS server cannot be cancelled, holds a pool thread
 *   for as long as the resolver's own retries last, and Node joins the pool's threads on exit, so
 *   the process (and the `kubectl exec` waiting for it) would outlive the plan by many seconds.
 *   c-ares queries are cancelled when the attempt ends.
 *
 * The search rule is glibc's and musl's: a name with fewer dots than `ndots` is tried with each
 * search domain first and as given last; otherwise as given first; a trailing dot means as given
 * only. NXDOMAIN and NODATA move on to the next candidate; anything else (no reply, SERVFAIL,
 * REFUSED) ends the lookup, as musl does.
 */
import dns from "node:dns";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { LookupEvidence } from "./result.ts";

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], ndots: 1 };
  let domain: string | undefined;
  for (const raw of text.split("\n")) {
    const [key, ...values] = raw
      .replace(/[#;].*$/, "")
      .trim()
      .split(/\s+/);
    if (key === "nameserver" && values[0] && isIP(values[0].replace(/%.*$/, "")))
      conf.nameservers.push(values[0]);
    else if (key === "search") conf.search = values.filter(Boolean);
    else if (key === "domain" && values[0]) domain = values[0];
    else if (key === "options") {
      for (const o of values) {
        const ndots = /^ndots:(\d+)$/.exec(o);
        if (ndots) conf.ndots = Math.min(15, Number(ndots[1]));
      }
    }
  }
  if (!conf.search.length && domain) conf.search = [domain];
  return conf;
}

/** /etc/hosts as name → addresses (lower-case names). */
export function parseHosts(text: string): Map<string, string[]> {
  const hosts = new Map<string, string[]>();
  for (const raw of text.split("\n")) {
    const [address, ...names] = raw.replace(/#.*$/, "").trim().split(/\s+/);
    if (!address || !isIP(address)) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      hosts.set(key, [...(hosts.get(key) ?? []), address]);
    }
  }
  return hosts;
}

/** The names getaddrinfo would ask DNS for, in order. */
export function searchCandidates(name: string, conf: Pick<ResolvConf, "search" | "ndots">): string[] {
  if (name.endsWith(".")) return [name.slice(0, -1)];
  const searched = conf.search.map((s) => `${name}.${s.replace(/\.$/, "")}`);
  const dots = name.split(".").length - 1;
  return dots >= conf.ndots ? [name, ...searched] : [...searched, name];
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

export type StubAnswer =
  | { ok: true; address: string; family: 4 | 6; lookup: LookupEvidence }
  | { ok: false; lookup: LookupEvidence; code: string }
  /** No resolv.conf with a nameserver: the caller falls back to getaddrinfo. */
  | { ok: "unconfigured" };

const RCODE: Record<string, string> = {
  ENOTFOUND: "NXDOMAIN",
  ENODATA: "NODATA",
  ESERVFAIL: "SERVFAIL",
  EREFUSED: "REFUSED",
  ETIMEOUT: "no reply",
  ECONNREFUSED: "no DNS server reachable",
};

/**
 * Resolves `name` like the pod's libc would. `cancel` on the returned handle stops every query
 * in flight (the attempt's timer ran out).
 */
export function stubLookup(
  name: string,
  timeoutMs: number,
  done: (answer: StubAnswer) => void,
  files = { resolvConf: "/etc/resolv.conf", hosts: "/etc/hosts" },
): { cancel: () => void; tried: LookupEvidence["tried"] } {
  const start = performance.now();
  const tried: NonNullable<LookupEvidence["tried"]> = [];
  const ms = () => Math.round((performance.now() - start) * 100) / 100;
  const evidence = (answers: string[], error?: string): LookupEvidence => {
    const l: LookupEvidence = { name, answers, ms: ms(), tried: [...tried] };
    if (error !== undefined) l.error = error;
    return l;
  };
  const hosts = parseHosts(readText(files.hosts) ?? "").get(name.toLowerCase().replace(/\.$/, ""));
  if (hosts?.length) {
    const first = hosts[0]!;
    tried.push({ name, answer: "/etc/hosts" });
    queueMicrotask(() =>
      done({ ok: true, address: first, family: isIP(first) === 6 ? 6 : 4, lookup: evidence(hosts) }),
    );
    return { cancel: () => {}, tried };
  }
  const conf = parseResolvConf(readText(files.resolvConf) ?? "");
  if (!conf.nameservers.length) {
    queueMicrotask(() => done({ ok: "unconfigured" }));
    return { cancel: () => {}, tried };
  }
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers(conf.nameservers.map((s) => s.replace(/%.*$/, "")));
  const candidates = searchCandidates(name, conf);
  let cancelled = false;
  let sawNoData = false;
  const next = (i: number) => {
    if (cancelled) return;
    const candidate = candidates[i];
    if (candidate === undefined) {
      const code = sawNoData ? "ENODATA" : "ENOTFOUND";
      done({ ok: false, lookup: evidence([], sawNoData ? "NODATA" : "NXDOMAIN"), code });
      return;
    }
    const ask = (family: 4 | 6) => {
      const answered = (err: NodeJS.ErrnoException | null, addresses: string[]) => {
        if (cancelled) return;
        if (!err && addresses.length) {
          tried.push({ name: candidate, answer: addresses.join(", ") });
          done({ ok: true, address: addresses[0]!, family, lookup: evidence(addresses) });
          return;
        }
        const code = err?.code ?? "ENODATA";
        if (code === "ENODATA" && family === 4) return ask(6);
        tried.push({ name: candidate, answer: RCODE[code] ?? code });
        if (code === "ENOTFOUND" || code === "ENODATA") {
          if (code === "ENODATA") sawNoData = true;
          return next(i + 1);
        }
        done({
          ok: false,
          lookup: evidence([], code === "ETIMEOUT" ? "timeout" : (RCODE[code] ?? code)),
          code,
        });
      };
      if (family === 4) resolver.resolve4(candidate, answered);
      else resolver.resolve6(candidate, answered);
    };
    ask(4);
  };
  next(0);
  return {
    cancel: () => {
      cancelled = true;
      resolver.cancel();
    },
    tried,
  };
}
