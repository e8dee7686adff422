/**
 * The evidence an attempt records, against servers that lie on loopback (no root needed): how far
 * the attempt got (phase), whether the target answered at all, bodies that end early, redirects,
 * the name lookup, the client's own address, the backend tied to its connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Personality } from "./support/liars.ts";
import { type Liar, startLiar } from "./support/liars.ts";
import { probeOnce } from "./support/run.ts";

const HOST = "127.0.0.9";
const liars: Liar[] = [];
async function liar(personality: Personality, host = HOST): Promise<string> {
  const l = await startLiar({ host, port: 0, personality });
  liars.push(l);
  return `http://${host}:${l.port}`;
}
afterAll(async () => {
  await Promise.all(liars.map((l) => l.close()));
});

const get = (base: string, path = "/hostname", extra = {}) =>
  probeOnce({ id: "h", kind: "http", url: `${base}${path}`, timeoutMs: 400, ...extra });

describe("what an http attempt records", () => {
  it("a whole answer: phase done, the handshake time, the client's own address", async () => {
    const r = await get(await liar({ kind: "netexec", name: "echo-a" }));
    expect(r).toMatchObject({ outcome: "connected", phase: "done", status: 200, backend: "echo-a" });
    expect(r.connectMs).toBeGreaterThan(0);
    expect(r.localAddress).toBe("127.0.0.1");
    expect(r.localPort).toBeGreaterThan(0);
    expect(r.attempts.list[0]).toMatchObject({ reached: true, phase: "done" });
  });

  it("accepts and never answers: a timeout after the handshake, the target reached", async () => {
    const r = await get(await liar({ kind: "silent" }));
    expect(r).toMatchObject({ outcome: "timeout", phase: "response" });
    expect(r.connectMs).toBeGreaterThan(0);
    expect(r.attempts.list[0]!.reached).toBe(true);
  });

  it("answers the request with RST: a reset after the handshake", async () => {
    const r = await get(await liar({ kind: "reset-on-request" }));
    expect(r).toMatchObject({ outcome: "reset", phase: "response" });
    expect(r.attempts.list[0]!.reached).toBe(true);
  });

  it("closes on the request without a response: a reset after the handshake", async () => {
    const r = await get(await liar({ kind: "close-on-request" }));
    expect(r).toMatchObject({ outcome: "reset", phase: "response" });
  });

  it.each(["fin", "rst"] as const)("Content-Length 100, 6 bytes, then %s: cut mid-response", async (then) => {
    const r = await get(await liar({ kind: "short-body", ending: then }));
    expect(r).toMatchObject({ outcome: "reset", phase: "body", status: 200 });
    expect(r.detail).toContain("6 of the 100 bytes its Content-Length announced");
    expect(r.attempts.list[0]!.reached).toBe(true);
  });

  it("a chunked body without its last chunk: cut mid-response", async () => {
    const r = await get(await liar({ kind: "chunked-cut" }));
    expect(r).toMatchObject({ outcome: "reset", phase: "body" });
    expect(r.detail).toContain("without its last chunk");
  });

  it("a redirect is not followed and not success", async () => {
    for (const status of [301, 302] as const) {
      const r = await get(await liar({ kind: "redirect", status }));
      expect(r).toMatchObject({ outcome: "http-status", phase: "done", status });
    }
  });

  it("a status line, then nothing: a timeout waiting for the response", async () => {
    const r = await get(await liar({ kind: "slow-headers" }));
    expect(r).toMatchObject({ outcome: "timeout", phase: "response" });
  });

  it("bytes that are not HTTP: the attempt fails after the handshake", async () => {
    const r = await get(await liar({ kind: "garbage" }));
    expect(r.outcome).not.toBe("connected");
    expect(r.attempts.list[0]!.reached).toBe(true);
  });

  it("resolves a name first and records its answers", async () => {
    const base = await liar({ kind: "netexec", name: "echo-a" }, "127.0.0.1");
    const r = await get(base.replace("127.0.0.1", "localhost"));
    expect(r.outcome).toBe("connected");
    expect(r.lookup).toMatchObject({ name: "localhost", answers: expect.arrayContaining(["127.0.0.1"]) });
  });

  it("a name that does not exist ends in the resolve phase, before any packet", async () => {
    const r = await get("http://no-such-service.invalid:80");
    expect(r).toMatchObject({ outcome: "dns-error", phase: "resolve", lookup: { error: "NXDOMAIN" } });
    expect(r.connectMs).toBeUndefined();
  });

  it("ties the answer to its backend by asking its name first on the same connection", async () => {
    const base = await liar({ kind: "netexec", name: "echo-b" });
    const r = await get(base, "/clientip", { backendPath: "/hostname" });
    expect(r).toMatchObject({
      outcome: "connected",
      backend: "echo-b",
      backendVia: "same-connection",
      clientIp: "127.0.0.1",
    });
    expect(r.clientPort).toBe(r.localPort);
  });

  it("refuses to tie an answer to a backend when the server closes between the two requests", async () => {
    const base = await liar({ kind: "close-after-each", name: "echo-c" });
    const r = await get(base, "/clientip", { backendPath: "/hostname" });
    expect(r.outcome).toBe("error");
    expect(r.error).toContain("cannot be tied to the backend");
  });
});

describe("coverage keeps asking past the last backend", () => {
  let base: string;
  beforeAll(async () => {
    const a = await startLiar({ host: "127.0.0.10", port: 0, personality: { kind: "netexec", name: "a" } });
    const b = await startLiar({ host: "127.0.0.11", port: 0, personality: { kind: "netexec", name: "b" } });
    const stray = await startLiar({
      host: "127.0.0.12",
      port: 0,
      personality: { kind: "netexec", name: "stray" },
    });
    const proxy = await startLiar({
      host: "127.0.0.13",
      port: 0,
      personality: {
        kind: "proxy",
        targets: [
          { host: "127.0.0.10", port: a.port },
          { host: "127.0.0.11", port: b.port },
          { host: "127.0.0.12", port: stray.port },
        ],
      },
    });
    liars.push(a, b, stray, proxy);
    base = `http://127.0.0.13:${proxy.port}`;
  });

  it("until minRequests, so a stray backend taking a third of the connections shows", async () => {
    const r = await probeOnce({
      id: "c",
      kind: "coverage",
      request: { url: `${base}/hostname` },
      backends: ["a", "b"],
      minRequests: 12,
    });
    expect(r.coverage).toMatchObject({ requests: 12, missing: [], unexpected: ["stray"] });
    expect(r.coverage!.counts).toEqual({ a: 4, b: 4, stray: 4 });
  });
});
