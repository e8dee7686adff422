/**
 * `dns`: resolve a name. The default asks a DNS server directly (`dns.Resolver`: the servers of
 * /etc/resolv.conf, or the plan's `server`) so the result can say NXDOMAIN vs SERVFAIL vs no
 * answer; `resolver: "lookup"` uses getaddrinfo instead, with search domains, as most programs do.
 */
import dns from "node:dns";
import type { AttemptContext, AttemptReport } from "./context.ts";
import type { DnsProbe } from "./plan.ts";
import { parseDnsServer } from "./plan.ts";
import type { DnsEvidence, ProbeTarget } from "./result.ts";
import { errorCode } from "./result.ts";
import { bounded, failureReport, now, since, timeoutReport } from "./timing.ts";

type DnsAsk = Pick<DnsProbe, "name" | "type" | "server" | "resolver">;

/** Resolver error codes that mean the server answered, with the rcode they stand for. */
const ANSWERED: Record<string, string> = {
  ENOTFOUND: "NXDOMAIN",
  ENODATA: "NODATA",
  ESERVFAIL: "SERVFAIL",
  EREFUSED: "REFUSED",
  EFORMERR: "FORMERR",
  ENOTIMP: "NOTIMP",
};

export function dnsAttempt(probe: DnsAsk, ctx: AttemptContext): Promise<AttemptReport> {
  const start = now();
  const type = probe.type ?? "A";
  const useLookup = probe.resolver === "lookup";
  const server = probe.server ? serverText(probe.server) : "system";
  const seen: ProbeTarget = { asked: useLookup || !probe.server ? probe.name : `${probe.name} @${server}` };
  const evidence = (): DnsEvidence => ({ type, server: useLookup ? "getaddrinfo" : server, answers: [] });

  const failed = (err: unknown): AttemptReport => {
    const code = errorCode(err) ?? "";
    const rcode = useLookup ? undefined : ANSWERED[code];
    // getaddrinfo says ENOTFOUND only after a server answered; EAI_AGAIN is its timeout.
    const reached = rcode !== undefined || (useLookup && code === "ENOTFOUND");
    const dnsEvidence = { ...evidence(), rcode: rcode ?? code };
    return failureReport("dns", seen, start, err, "resolve", { reached, dns: dnsEvidence });
  };

  return bounded(
    ctx,
    (finish) => {
      const answered = (answers: string[]) => {
        if (answers[0] !== undefined && type !== "SRV") seen.resolved = answers[0];
        finish({
          protocol: "dns",
          target: { ...seen },
          outcome: "connected",
          reached: true,
          phase: "done",
          ms: since(start),
          dns: { ...evidence(), rcode: "NOERROR", answers },
        });
      };
      if (useLookup) {
        dns.lookup(probe.name, { all: true, family: type === "AAAA" ? 6 : 4 }, (err, addresses) => {
          if (err) finish(failed(err));
          else answered(addresses.map((a) => a.address));
        });
        return () => {};
      }
      const resolver = new dns.Resolver({ timeout: ctx.timeoutMs, tries: 1 });
      if (probe.server) resolver.setServers([probe.server]);
      const done = (err: NodeJS.ErrnoException | null, answers: string[]) => {
        if (err) finish(failed(err));
        else answered(answers);
      };
      if (type === "A") resolver.resolve4(probe.name, done);
      else if (type === "AAAA") resolver.resolve6(probe.name, done);
      else {
        resolver.resolveSrv(probe.name, (err, records) =>
          done(
            err,
            (records ?? []).map((r) => `${r.priority} ${r.weight} ${r.port} ${r.name}`),
          ),
        );
      }
      return () => resolver.cancel();
    },
    () => timeoutReport("dns", seen, start, ctx, "resolve", { dns: evidence() }),
    failed,
  );
}

function serverText(server: string): string {
  const parsed = parseDnsServer(server);
  if (!parsed) return server;
  return parsed.ip.includes(":") ? `[${parsed.ip}]:${parsed.port}` : `${parsed.ip}:${parsed.port}`;
}
