import { describe, expect, it } from "vitest";
import { splitHostPort } from "../../lib/probes/prober/address.ts";
import {
  errorCode,
  outcomeOfError,
  parseResultLines,
  sourceFromEnv,
} from "../../lib/probes/prober/result.ts";
import { percentile, summarize } from "../../lib/probes/prober/stats.ts";

const errno = (code: string) => Object.assign(new Error(code), { code });

describe("error classification", () => {
  it.each([
    ["ECONNREFUSED", "refused"],
    ["ETIMEDOUT", "timeout"],
    ["ETIMEOUT", "timeout"],
    ["ECONNRESET", "reset"],
    ["EPIPE", "reset"],
    ["ENOTFOUND", "dns-error"],
    ["EAI_AGAIN", "dns-error"],
    ["ESERVFAIL", "dns-error"],
    ["EHOSTUNREACH", "unreachable"],
    ["ENETUNREACH", "unreachable"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "error"],
  ])("%s is %s", (code, outcome) => {
    expect(outcomeOfError(errno(code))).toBe(outcome);
  });

  it("reads the code of a happy-eyeballs AggregateError from its first inner error", () => {
    const aggregate = new AggregateError([errno("ECONNREFUSED"), errno("EHOSTUNREACH")], "");
    expect(errorCode(aggregate)).toBe("ECONNREFUSED");
    expect(outcomeOfError(aggregate)).toBe("refused");
    expect(outcomeOfError("not an error")).toBe("error");
  });
});

describe("probe source", () => {
  it("comes from the downward-API variables of a probe pod", () => {
    expect(
      sourceFromEnv({
        POD_NAME: "client-abc",
        POD_NAMESPACE: "probes",
        NODE_NAME: "w1",
        POD_IP: "10.244.1.7",
      }),
    ).toEqual({ name: "client-abc", namespace: "probes", node: "w1", ip: "10.244.1.7" });
  });
  it('is "host" outside a pod', () => {
    expect(sourceFromEnv({ HOME: "/root" })).toEqual({ name: "host" });
  });
});

describe("result lines", () => {
  it("keeps results and sets aside lines that are not results", () => {
    const text = [
      JSON.stringify({ id: "a", outcome: "connected" }),
      "Warning: something on stdout",
      JSON.stringify({ id: "b", outcome: "not-an-outcome" }),
      "",
      JSON.stringify({ id: "c", outcome: "timeout" }),
    ].join("\n");
    const { results, junk } = parseResultLines(text);
    expect(results.map((r) => r.id)).toEqual(["a", "c"]);
    expect(junk).toHaveLength(2);
  });
});

describe("agnhost client addresses", () => {
  it("splits ip:port and [ipv6]:port", () => {
    expect(splitHostPort("10.244.1.7:41234")).toEqual({ ip: "10.244.1.7", port: 41234 });
    expect(splitHostPort("[fd00:10:244::7]:41234\n")).toEqual({ ip: "fd00:10:244::7", port: 41234 });
    expect(splitHostPort("fd00::7")).toEqual({ ip: "fd00::7" });
    expect(splitHostPort("pod-a")).toBeUndefined();
  });
});

describe("latency statistics", () => {
  it("uses nearest-rank percentiles: every value was observed", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 90)).toBe(90);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    const summary = summarize([30, 10, 20]);
    expect(summary).toEqual({ minMs: 10, maxMs: 30, meanMs: 20, p50Ms: 20, p90Ms: 30, p99Ms: 30 });
  });
  it("is all zero without samples", () => {
    expect(summarize([]).p99Ms).toBe(0);
  });
});
