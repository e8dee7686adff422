/**
 * Flake discipline: expected-blocked probes are attempted twice, at once on separate connections,
 * and never retried into a pass; expected-reachable probes re-attempt failures within their window.
 */
import { once } from "node:events";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { startStalledListener } from "./support/blackhole.ts";
import { probeOnce } from "./support/run.ts";
import { closedPort, closeServer, eventually, startTcpServer } from "./support/servers.ts";

/** Starts a TCP server on `port` after `delayMs`; accepts and closes. */
function listenLater(port: number, delayMs: number): { server: net.Server; accepted: () => number } {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    socket.end();
  });
  setTimeout(() => server.listen(port, "127.0.0.1"), delayMs);
  return { server, accepted: () => accepted };
}

describe("expected-blocked probes", () => {
  it("confirm a block only after two blocked attempts", async () => {
    const port = await closedPort();
    const result = await probeOnce({ id: "b", kind: "tcp", host: "127.0.0.1", port, expect: "blocked" });
    expect(result.outcome).toBe("refused");
    expect(result.attempts.count).toBe(2);
    expect(result.attempts.list.map((a) => a.outcome)).toEqual(["refused", "refused"]);
    expect(result.blockConfirmed).toBe(true);
    expect(result.expect).toBe("blocked");
  });

  it("confirm a silent drop after two timeouts", async () => {
    const stalled = await startStalledListener();
    try {
      const result = await probeOnce({
        id: "b",
        kind: "tcp",
        host: stalled.host,
        port: stalled.port,
        timeoutMs: 250,
        expect: "blocked",
      });
      expect(result.attempts.list.map((a) => [a.outcome, a.phase])).toEqual([
        ["timeout", "connect"],
        ["timeout", "connect"],
      ]);
      expect(result.blockConfirmed).toBe(true);
      // Both attempts run at once, the second started 100 ms after the first: one timeout, not two.
      expect(result.totalMs).toBeGreaterThanOrEqual(250 + 100 - 1);
      expect(result.totalMs).toBeLessThan(2 * 250 + 100);
    } finally {
      await stalled.close();
    }
  });

  it("attempt twice even when the first attempt connected, and report the leak", async () => {
    const server = await startTcpServer();
    const result = await probeOnce({
      id: "b",
      kind: "tcp",
      host: "127.0.0.1",
      port: server.port,
      expect: "blocked",
    });
    await eventually(() => server.accepted === 2);
    await server.close();
    expect(server.accepted).toBe(2);
    expect(result.outcome).toBe("connected");
    expect(result.blockConfirmed).toBe(false);
  });

  it("keep a connection seen on the second attempt as the result: a late leak is still a leak", async () => {
    const port = await closedPort();
    // Appears between the first attempt (refused at once) and the second (after a 100 ms gap).
    const late = listenLater(port, 50);
    const result = await probeOnce({ id: "b", kind: "tcp", host: "127.0.0.1", port, expect: "blocked" });
    await closeServer(late.server);
    expect(result.attempts.list.map((a) => a.outcome)).toEqual(["refused", "connected"]);
    expect(result.outcome).toBe("connected");
    expect(result.blockConfirmed).toBe(false);
  });

  it("keep a connection seen on the first attempt even when the second is refused", async () => {
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      socket.end();
      server.close(); // gone before the second attempt
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    const result = await probeOnce({ id: "b", kind: "tcp", host: "127.0.0.1", port, expect: "blocked" });
    expect(accepted).toBe(1);
    expect(result.attempts.list.map((a) => a.outcome)).toEqual(["connected", "refused"]);
    expect(result.outcome).toBe("connected");
    expect(result.blockConfirmed).toBe(false);
  });
});

describe("expected-reachable probes", () => {
  it("re-attempt past an initial refusal until the server appears", async () => {
    const port = await closedPort();
    const late = listenLater(port, 500);
    const result = await probeOnce({
      id: "r",
      kind: "tcp",
      host: "127.0.0.1",
      port,
      expect: "reachable",
      retryWindowMs: 5_000,
    });
    await eventually(() => late.accepted() === 1);
    await closeServer(late.server);
    expect(result.outcome).toBe("connected");
    expect(result.attempts.count).toBeGreaterThan(1);
    expect(result.attempts.list.slice(0, -1).every((a) => a.outcome === "refused")).toBe(true);
    expect(result.attempts.list.at(-1)!.outcome).toBe("connected");
    expect(late.accepted()).toBe(1);
    expect(result.totalMs).toBeGreaterThanOrEqual(450);
  });

  it("give up when the window would be exceeded, reporting every attempt", async () => {
    const port = await closedPort();
    const result = await probeOnce({
      id: "r",
      kind: "tcp",
      host: "127.0.0.1",
      port,
      expect: "reachable",
      retryWindowMs: 500,
    });
    expect(result.outcome).toBe("refused");
    // Pauses of 100, 200 ms fit in 500 ms; the next pause (400 ms) would not.
    expect(result.attempts.count).toBe(3);
    expect(result.totalMs).toBeLessThan(500);
  });

  it("without expect, a probe is attempted once", async () => {
    const port = await closedPort();
    const result = await probeOnce({ id: "r", kind: "tcp", host: "127.0.0.1", port });
    expect(result.attempts.count).toBe(1);
    expect(result.expect).toBeUndefined();
    expect(result.blockConfirmed).toBeUndefined();
  });
});
