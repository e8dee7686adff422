/** `tcp`: resolve the name (if any), open a TCP connection to host:port and close it at once. */
import net from "node:net";
import { isFailedLookup, joinHostPort, lookupFailureReport, resolveHost } from "./address.ts";
import type { AttemptContext, AttemptReport } from "./context.ts";
import type { HostPort } from "./plan.ts";
import type { ProbeTarget } from "./result.ts";
import { bounded, failureReport, now, since, timeoutReport } from "./timing.ts";

export async function tcpAttempt(target: HostPort, ctx: AttemptContext): Promise<AttemptReport> {
  const start = now();
  const seen: ProbeTarget = { asked: joinHostPort(target.host, target.port) };
  const resolved = await resolveHost(target.host, ctx);
  if (isFailedLookup(resolved)) return lookupFailureReport("tcp", seen, start, resolved);
  seen.resolved = resolved.address;
  const extra: Partial<AttemptReport> = resolved.lookup ? { lookup: resolved.lookup } : {};
  const connectStart = now();
  return bounded(
    ctx,
    (finish) => {
      const socket = net.connect({ host: resolved.address, port: target.port });
      socket.once("connect", () => {
        const report: AttemptReport = {
          protocol: "tcp",
          target: { ...seen },
          outcome: "connected",
          reached: true,
          phase: "done",
          ms: since(start),
          connectMs: since(connectStart),
          ...extra,
        };
        if (socket.localAddress) report.localAddress = socket.localAddress;
        if (socket.localPort) report.localPort = socket.localPort;
        finish(report);
      });
      socket.once("error", (err) => finish(failureReport("tcp", seen, start, err, "connect", extra)));
      return () => socket.destroy();
    },
    () => timeoutReport("tcp", seen, start, ctx, "connect", extra),
    (err) => failureReport("tcp", seen, start, err, "connect", extra),
  );
}
