import { describe, expect, it } from "vitest";
import { LabError } from "../../lib/model/errors.ts";
import { checkPlan, parseDnsServer, parsePlan } from "../../lib/probes/prober/plan.ts";

const validPlan = {
  version: 1,
  concurrency: 16,
  deadlineMs: 60_000,
  defaults: { timeoutMs: 1500, retryWindowMs: 4000 },
  probes: [
    { id: "pod-to-pod", kind: "tcp", host: "10.244.1.5", port: 8080, expect: "reachable" },
    {
      id: "ingress",
      kind: "http",
      url: "https://127.0.0.1:443/hostname",
      host: "echo.labs.test",
      headers: { "x-probe": "1" },
      insecureSkipVerify: true,
      captureHeaders: ["Server"],
      successStatus: [200, 204],
      backendFrom: { from: "json", path: "pod.name" },
      expect: "blocked",
    },
    { id: "udp-hostname", kind: "udp", host: "echo.demo.svc.cluster.local", port: 8081, payload: "hostname" },
    { id: "dns-svc", kind: "dns", name: "echo.demo.svc.cluster.local", type: "A", server: "10.96.0.10:53" },
    { id: "dns-lookup", kind: "dns", name: "echo.demo", resolver: "lookup" },
    {
      id: "latency",
      kind: "latency",
      requests: 100,
      concurrency: 10,
      target: { kind: "http", url: "http://10.96.0.20/hostname" },
    },
    {
      id: "coverage",
      kind: "coverage",
      request: { url: "http://10.96.0.20/hostname" },
      backends: ["echo-1", "echo-2", "echo-3"],
      windowMs: 10_000,
    },
    {
      id: "converge",
      kind: "convergence",
      probe: { kind: "tcp", host: "10.96.0.20", port: 80 },
      intervalMs: 100,
      windowMs: 20_000,
      until: { outcome: "refused" },
    },
  ],
};

/** A deep copy of the valid plan with one probe's fields replaced. */
function withProbe(index: number, patch: Record<string, unknown>) {
  const copy = structuredClone(validPlan) as { probes: Record<string, unknown>[] };
  copy.probes[index] = { ...copy.probes[index], ...patch };
  return copy;
}

function paths(input: unknown): string[] {
  return checkPlan(input).map((p) => p.path);
}

describe("probe plan validation", () => {
  it("accepts a plan using every probe kind", () => {
    expect(checkPlan(validPlan)).toEqual([]);
    expect(parsePlan(validPlan).probes).toHaveLength(8);
  });

  it("names the path of a bad field", () => {
    expect(paths(withProbe(0, { port: 70_000 }))).toEqual(["probes[0].port"]);
    expect(paths(withProbe(0, { port: "80" }))).toEqual(["probes[0].port"]);
    expect(paths(withProbe(1, { url: "ftp://x/" }))).toEqual(["probes[1].url"]);
    expect(paths(withProbe(1, { backendFrom: { from: "json" } }))).toEqual(["probes[1].backendFrom.path"]);
    expect(paths(withProbe(5, { target: { kind: "udp", host: "a", port: 1 } }))).toEqual([
      "probes[5].target.kind",
    ]);
    expect(paths(withProbe(7, { until: {} }))).toEqual(["probes[7].until"]);
  });

  it("rejects unknown fields, so a typo cannot drop an expectation silently", () => {
    const problems = checkPlan(withProbe(0, { expects: "blocked" }));
    expect(problems).toEqual([{ path: "probes[0].expects", message: "unknown field" }]);
  });

  it("rejects a host with a port or brackets, and a Host header set through headers", () => {
    expect(paths(withProbe(0, { host: "10.0.0.1:80" }))).toEqual(["probes[0].host"]);
    expect(paths(withProbe(0, { host: "[::1]" }))).toEqual(["probes[0].host"]);
    expect(checkPlan(withProbe(0, { host: "fd00::1" }))).toEqual([]);
    expect(paths(withProbe(1, { headers: { Host: "x" } }))).toEqual(["probes[1].headers.Host"]);
  });

  it("reports duplicate ids, the wrong version and a missing kind", () => {
    const dup = withProbe(1, { id: "pod-to-pod" });
    expect(checkPlan(dup)).toContainEqual({
      path: "probes[1].id",
      message: 'duplicate id "pod-to-pod" (also probes[0])',
    });
    expect(paths({ ...validPlan, version: 2 })).toEqual(["version"]);
    expect(paths({ version: 1, probes: [{ id: "x", host: "a", port: 1 }] })).toEqual(["probes[0].kind"]);
  });

  it("rejects option combinations the resolver cannot honour", () => {
    expect(paths(withProbe(4, { server: "10.96.0.10" }))).toEqual(["probes[4].server"]);
    expect(paths(withProbe(4, { type: "SRV" }))).toEqual(["probes[4].type"]);
    expect(paths(withProbe(3, { server: "kube-dns:53" }))).toEqual(["probes[3].server"]);
  });

  it("parsePlan throws a one-line LabError with exit code 2", () => {
    let caught: unknown;
    try {
      parsePlan(withProbe(0, { port: 0, timeoutMs: -1 }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LabError);
    const err = caught as LabError;
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      "invalid probe plan: probes[0].timeoutMs: expected an integer from 1 to 600000, got -1 (and 1 more)",
    );
    expect(err.message).not.toContain("\n");
  });

  it("reads DNS server addresses in the forms the resolver takes", () => {
    expect(parseDnsServer("10.96.0.10")).toEqual({ ip: "10.96.0.10", port: 53 });
    expect(parseDnsServer("127.0.0.1:5353")).toEqual({ ip: "127.0.0.1", port: 5353 });
    expect(parseDnsServer("[fd00::10]:53")).toEqual({ ip: "fd00::10", port: 53 });
    expect(parseDnsServer("fd00::10")).toEqual({ ip: "fd00::10", port: 53 });
    expect(parseDnsServer("10.96.0.10:99999")).toBeUndefined();
    expect(parseDnsServer("kube-dns")).toBeUndefined();
  });
});
