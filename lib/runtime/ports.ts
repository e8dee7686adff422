/**
 * Host ports a lab maps (kind extraPortMappings). Two labs can run at once only on distinct
 * ports: a clash with another running lab is named from that lab's state, and any other program
 * holding a port is found by trying to bind it, before kind fails with a Docker error.
 */
import { createSocket } from "node:dgram";
import { createServer, isIPv6 } from "node:net";
import { EXIT, LabError } from "../model/errors.ts";
import type { HostPort } from "../model/lab-json.ts";

export type BindResult =
  | { state: "free" }
  | { state: "in-use"; detail: string }
  /** The test itself was not possible (a port below 1024 without privileges: Docker binds it as root). */
  | { state: "unknown"; detail: string }
  | { state: "bad-address"; detail: string };

export async function tryBind(address: string, port: number, protocol = "TCP"): Promise<BindResult> {
  try {
    if (protocol.toUpperCase() === "UDP") await bindUdp(address, port);
    else await bindTcp(address, port);
    return { state: "free" };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE")
      return { state: "in-use", detail: `${address}:${port}/${protocol} is already in use` };
    if (err.code === "EACCES" || err.code === "EPERM")
      return { state: "unknown", detail: `cannot test ${address}:${port} without privileges` };
    if (err.code === "EADDRNOTAVAIL")
      return { state: "bad-address", detail: `${address} is not an address of this host` };
    return { state: "unknown", detail: `${address}:${port}: ${err.message}` };
  }
}

function bindTcp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

function bindUdp(address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(address) ? "udp6" : "udp4");
    socket.once("error", (e) => {
      socket.close();
      reject(e);
    });
    socket.bind({ address, port, exclusive: true }, () => socket.close(() => resolve()));
  });
}

const WILDCARD = new Set(["0.0.0.0", "::", ""]);

/** Whether two mappings want the same host socket. */
export function samePort(a: HostPort, b: HostPort): boolean {
  if (a.hostPort !== b.hostPort) return false;
  if ((a.protocol || "TCP").toUpperCase() !== (b.protocol || "TCP").toUpperCase()) return false;
  return (
    a.listenAddress === b.listenAddress || WILDCARD.has(a.listenAddress) || WILDCARD.has(b.listenAddress)
  );
}

export interface PortClash {
  port: HostPort;
  lab: string;
}

/** Ports of `mine` that a running lab already maps. */
export function clashesWithLabs(
  mine: HostPort[],
  others: { lab: string; hostPorts: HostPort[] }[],
): PortClash[] {
  const out: PortClash[] = [];
  for (const port of mine) {
    for (const other of others) {
      if (other.hostPorts.some((p) => samePort(p, port))) out.push({ port, lab: other.lab });
    }
  }
  return out;
}

export const formatPort = (p: HostPort) => `${p.listenAddress}:${p.hostPort}/${p.protocol || "TCP"}`;

/**
 * Binds once, and again after short pauses if the port is taken: another `labs up` probing the
 * same port holds it for a moment only, while a program that owns it still holds it later.
 */
async function bindSettled(port: HostPort, tries = 4, pauseMs = 150): Promise<BindResult> {
  let bound = await tryBind(port.listenAddress, port.hostPort, port.protocol);
  for (let i = 1; i < tries && bound.state === "in-use"; i++) {
    await new Promise((r) => setTimeout(r, pauseMs));
    bound = await tryBind(port.listenAddress, port.hostPort, port.protocol);
  }
  return bound;
}

/**
 * Refuses, with the reason, a lab whose host ports another running lab maps or another program
 * holds. `others` are the running labs with their ports (from their state folders).
 */
export async function checkHostPorts(
  lab: string,
  mine: HostPort[],
  others: { lab: string; hostPorts: HostPort[] }[],
): Promise<void> {
  const clash = clashesWithLabs(mine, others)[0];
  if (clash) {
    throw new LabError(
      `host port ${formatPort(clash.port)} of lab ${lab} is already mapped by the running lab ${clash.lab}`,
      `stop it first (\`labs down ${clash.lab}\`), or give one of the labs other host ports`,
      EXIT.environment,
    );
  }
  for (const port of mine) {
    const bound = await bindSettled(port);
    if (bound.state === "in-use") {
      throw new LabError(
        `host port ${formatPort(port)} that lab ${lab} maps is already in use by another program`,
        `free it (\`ss -lntup | grep :${port.hostPort}\` or \`lsof -i :${port.hostPort}\` shows who holds it), or change the lab's host ports`,
        EXIT.environment,
      );
    }
    if (bound.state === "bad-address") {
      throw new LabError(
        `lab ${lab} maps ${formatPort(port)}, but ${bound.detail}`,
        "set the lab's listenAddress to an address of this host (127.0.0.1 by default)",
        EXIT.usage,
      );
    }
  }
}
