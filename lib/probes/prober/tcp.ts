/** `tcp`: resolve the name (if any), open a TCP connection to host:port and close it at once. */
import net from "node:net";
import { joinHostPort, resolveTarget } from "./address.ts";
import type { AttemptContext, AttemptReport } from "./context.ts";
import type { HostPort } from "./plan.ts";
import { bounded, connectedReport, failureReport, now, since, timeoutReport } from "./timing.ts";

export async function tcpAttempt(target: HostPort, ctx: AttemptContext): Promise<AttemptReport> {
  const resolution = await resolveTarget("tcp", joinHostPort(target.host, target.port), target.host, ctx);
  if ("failed" in resolution) return resolution.failed;
  const { start, seen, resolved, extra } = resolution;
  const connectStart = now();
  return bounded(
    ctx,
    (finish) => {
      const socket = net.connect({ host: resolved.address, port: target.port });
      socket.once("connect", () => {
        const report = connectedReport("tcp", seen, start, { connectMs: since(connectStart), ...extra });
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
