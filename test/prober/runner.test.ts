/** The runner: streaming results, the concurrency limit, the plan deadline, cancellation, the source. */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { LabError } from "../../lib/model/errors.ts";
import type { EnginePlan } from "../../lib/probes/prober/plan.ts";
import type { ProbeResult } from "../../lib/probes/prober/result.ts";
import { runPlan, runPlanAll } from "../../lib/probes/prober/runner.ts";
import { type Blackhole, startStalledListener } from "./support/blackhole.ts";
import { plan } from "./support/run.ts";
import { closedPort, type NetexecServer, startNetexec } from "./support/servers.ts";

let slow: NetexecServer;
let hole: Blackhole;
beforeAll(async () => {
  slow = await startNetexec({ name: "slow", delayMs: () => 150 });
  hole = await startStalledListener();
});
afterAll(async () => {
  await slow.close();
  await hole.close();
});

const source = { name: "runner-test" };

describe("runPlan", () => {
  it("yields results as probes finish; runPlanAll returns them in plan order", async () => {
    const port = await closedPort();
    const p = plan(
      { id: "slow", kind: "http", url: slow.url("/hostname") },
      { id: "fast", kind: "tcp", host: "127.0.0.1", port },
    );
    const streamed: string[] = [];
    for await (const result of runPlan(p, { source })) streamed.push(result.id);
    expect(streamed).toEqual(["fast", "slow"]);
    const seen: string[] = [];
    const all = await runPlanAll(p, { source, onResult: (r) => seen.push(r.id) });
    expect(all.map((r) => r.id)).toEqual(["slow", "fast"]);
    expect(seen).toEqual(["fast", "slow"]);
  });

  it("keeps at most `concurrency` probes in flight", async () => {
    const before = slow.log.length;
    const probes = Array.from({ length: 6 }, (_, i) => ({
      id: `p${i}`,
      kind: "http" as const,
      url: slow.url(`/hostname?i=${i}`),
    }));
    const started = Date.now();
    const results = await runPlanAll({ version: 1, concurrency: 2, probes }, { source });
    expect(results.every((r) => r.outcome === "connected")).toBe(true);
    expect(slow.log.length - before).toBe(6);
    expect(slow.maxInFlight).toBe(2);
    // Three waves of two requests, each held 150 ms by the server.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 150 - 10);
  });

  it("cuts probes at the plan deadline and reports the ones it never started", async () => {
    const blackholed = (id: string) => ({
      id,
      kind: "tcp" as const,
      host: hole.host,
      port: hole.port,
      timeoutMs: 5_000,
    });
    const p: EnginePlan = {
      version: 1,
      concurrency: 1,
      deadlineMs: 300,
      probes: [blackholed("a"), blackholed("b")],
    };
    const started = Date.now();
    const [a, b] = await runPlanAll(p, { source });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(a).toMatchObject({ outcome: "timeout", detail: "cut short: plan deadline of 300 ms reached" });
    expect(b).toMatchObject({ outcome: "error", error: "not run: plan deadline of 300 ms reached" });
    expect(b!.attempts.count).toBe(0);
  });

  it("stops the probes still running when the caller stops reading", async () => {
    const port = await closedPort();
    const p = plan(
      { id: "quick", kind: "tcp", host: "127.0.0.1", port },
      { id: "stuck", kind: "tcp", host: hole.host, port: hole.port, timeoutMs: 10_000 },
    );
    const late = new Promise<ProbeResult>((resolve) => {
      const stream = runPlan(p, { source, onResult: (r) => r.id === "stuck" && resolve(r) });
      void (async () => {
        for await (const _ of stream) break;
      })();
    });
    const stuck = await late;
    expect(stuck.outcome).toBe("timeout");
    expect(stuck.detail).toBe("cut short: the caller stopped reading results");
    expect(stuck.totalMs).toBeLessThan(1_000);
  });

  it("honours an external abort signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("operator pressed Ctrl-C")), 100);
    const [result] = await runPlanAll(
      plan({ id: "stuck", kind: "tcp", host: hole.host, port: hole.port, timeoutMs: 10_000 }),
      { source, signal: controller.signal },
    );
    expect(result!.detail).toBe("cut short: operator pressed Ctrl-C");
  });

  it("names the source from the pod's downward-API environment", async () => {
    vi.stubEnv("POD_NAME", "probe-client-w1");
    vi.stubEnv("NODE_NAME", "lab-worker");
    vi.stubEnv("POD_IP", "10.244.1.9");
    try {
      const port = await closedPort();
      const [result] = await runPlanAll(plan({ id: "t", kind: "tcp", host: "127.0.0.1", port }));
      expect(result!.source).toEqual({ name: "probe-client-w1", node: "lab-worker", ip: "10.244.1.9" });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("refuses an invalid plan with a LabError before running anything", async () => {
    const bad = {
      version: 1,
      probes: [{ id: "x", kind: "tcp", host: "127.0.0.1", port: 0 }],
    } as unknown as EnginePlan;
    await expect(runPlanAll(bad)).rejects.toBeInstanceOf(LabError);
    await expect(runPlanAll(bad)).rejects.toThrow("invalid probe plan: probes[0].port");
  });
});
