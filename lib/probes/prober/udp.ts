/**
 * `udp`: send one datagram and wait for one reply. The socket is connected, so an ICMP port
 * unreachable comes back as ECONNREFUSED (`refused`); silence is `timeout`, which on UDP cannot
 * tell a dropped packet from a server that does not answer.
 */
import dgram from "node:dgram";
import { isFailedLookup, joinHostPort, lookupFailureReport, resolveHost, splitHostPort } from "./address.ts";
import type { AttemptContext, AttemptReport } from "./context.ts";
import type { UdpProbe } from "./plan.ts";
import type { ProbeTarget } from "./result.ts";
import { bounded, failureReport, now, since, timeoutReport } from "./timing.ts";

export async function udpAttempt(
  probe: Pick<UdpProbe, "host" | "port" | "payload">,
  ctx: AttemptContext,
): Promise<AttemptReport> {
  const start = now();
  const seen: ProbeTarget = { asked: joinHostPort(probe.host, probe.port) };
  const resolved = await resolveHost(probe.host, ctx);
  if (isFailedLookup(resolved)) return lookupFailureReport("udp", seen, start, resolved);
  seen.resolved = resolved.address;
  const extra: Partial<AttemptReport> = resolved.lookup ? { lookup: resolved.lookup } : {};
  let phase: "connect" | "response" = "connect";
  return bounded(
    ctx,
    (finish) => {
      const socket = dgram.createSocket(resolved.family === 6 ? "udp6" : "udp4");
      socket.on("error", (err) => finish(failureReport("udp", seen, start, err, phase, extra)));
      socket.on("message", (message) =>
        finish({ ...replyReport(probe.payload, message.toString("utf8"), seen, start), ...extra }),
      );
      socket.connect(probe.port, resolved.address, () => {
        socket.send(probe.payload, (err) => {
          if (err) finish(failureReport("udp", seen, start, err, phase, extra));
          else phase = "response";
        });
      });
      return () => {
        try {
          socket.close();
        } catch {
          // Already closed by an error: nothing left to release.
        }
      };
    },
    () => timeoutReport("udp", seen, start, ctx, phase, extra),
    (err) => failureReport("udp", seen, start, err, phase, extra),
  );
}

/** agnhost netexec answers `hostname` with the pod name and `clientip` with `ip:port`. */
function replyReport(payload: string, reply: string, seen: ProbeTarget, start: number): AttemptReport {
  const report: AttemptReport = {
    protocol: "udp",
    target: { ...seen },
    outcome: "connected",
    reached: true,
    phase: "done",
    ms: since(start),
    reply,
  };
  const command = payload.trim();
  if (command === "hostname" && reply.trim() !== "") report.backend = reply.trim();
  if (command === "clientip") {
    const address = splitHostPort(reply);
    if (address) {
      report.clientIp = address.ip;
      if (address.port !== undefined) report.clientPort = address.port;
    }
  }
  return report;
}
