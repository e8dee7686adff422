import { mkdtempSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseResultLines } from "../../lib/probes/prober/result.ts";
import type { ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { runLabs } from "../support/run-labs.ts";

describe("labs probes", () => {
  it("prints kindnet-iptables' plan as JSON: every check with its expectation and reason", () => {
    const r = runLabs(["probes", "kindnet-iptables", "--json"], {
      LABS_CACHE_DIR: mkdtempSync(join(tmpdir(), "labs-cache-")),
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as ProbesPlan;
    expect(plan).toMatchObject({ version: 1, lab: "kindnet-iptables", clusterName: "labs-kindnet-iptables" });
    expect(plan.clients.map((c) => [c.name, c.node])).toEqual([
      ["probe-control-plane", "labs-kindnet-iptables-control-plane"],
      ["probe-worker", "labs-kindnet-iptables-worker"],
      ["probe-worker2", "labs-kindnet-iptables-worker2"],
      ["probe-peer", "labs-kindnet-iptables-control-plane"],
      ["probe-egress", "labs-kindnet-iptables-control-plane"],
    ]);
    const check = (id: string) => plan.checks.find((c) => c.id === id)!;
    // kindnet enforces NetworkPolicy: the deny target is blocked and the reason says who enforces it.
    expect(check("netpol-ingress/probe-worker/netpol-deny").expect).toMatchObject({
      outcome: "blocked",
      because: { capability: "networkPolicy", by: "kindnet" },
      reason: expect.stringContaining("kindnet enforces NetworkPolicy"),
    });
    expect(check("pod-to-cluster-ip/demo/echo/probe-worker")).toMatchObject({
      from: { client: "probe-worker" },
      action: {
        kind: "http",
        to: { address: { clusterIp: { namespace: "demo", service: "echo" } }, port: 80 },
        path: "/clientip",
      },
      expect: { outcome: "reachable", clientIp: "source" },
    });
    expect(check("dataplane-inspection/kube-proxy-mode/worker")).toMatchObject({
      from: { node: "labs-kindnet-iptables-worker" },
      expect: { contains: "iptables" },
    });
    expect(plan.skipped).toContainEqual({
      probe: "host-loadbalancer",
      reason: "no load balancer: LoadBalancer Services stay pending",
    });
    expect(plan.probes.every((p) => p.title && p.teaches && p.layer)).toBe(true);
  });

  it("prints the plan as a table grouped by layer, with the reasons", () => {
    const r = runLabs(["probes", "kindnet-iptables"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("== Pod network");
    expect(r.stdout).toMatch(/blocked \(drop\) +probe-worker → netpol-deny\.labs-netpol/);
  });

  it("refuses an unknown lab", () => {
    const r = runLabs(["probes", "kindnet-iptable"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown lab "kindnet-iptable"');
  });

  it("refuses a lab that names an unknown probe", () => {
    const dir = mkdtempSync(join(tmpdir(), "labs-dir-"));
    writeFileSync(
      join(dir, "typo.ts"),
      `export default { name: "typo", description: "a lab with a typo", probes: { exclude: ["hairpn"] } };\n`,
    );
    const r = runLabs(["probes", "typo", "--labs-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('probes.exclude: unknown probe "hairpn": did you mean "hairpin"?');
  });
});

describe("labs prober", () => {
  it("runs an engine plan on this host and prints one JSON result per line", async () => {
    const server = http.createServer((_req, res) => res.end("local-pod"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const file = join(mkdtempSync(join(tmpdir(), "labs-plan-")), "plan.json");
      writeFileSync(
        file,
        JSON.stringify({
          version: 1,
          probes: [
            { id: "up", kind: "http", url: `http://127.0.0.1:${port}/hostname`, expect: "reachable" },
            { id: "closed", kind: "tcp", host: "127.0.0.1", port: 1, expect: "blocked" },
          ],
        }),
      );
      // The prober runs in a child process: the server must keep answering meanwhile.
      const { spawn } = await import("node:child_process");
      const { LABS_BIN } = await import("../support/run-labs.ts");
      const child = spawn(process.execPath, [LABS_BIN, "prober", "--plan", file], {
        env: { ...process.env, NO_COLOR: "1" },
      });
      let stdout = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      const code = await new Promise<number>((r) => child.on("close", (c) => r(c ?? -1)));
      expect(code).toBe(0);
      const { results, junk } = parseResultLines(stdout);
      expect(junk).toEqual([]);
      const byId = Object.fromEntries(results.map((x) => [x.id, x]));
      expect(byId.up).toMatchObject({ outcome: "connected", backend: "local-pod", source: { name: "host" } });
      expect(byId.closed).toMatchObject({ outcome: "refused", blockConfirmed: true });
    } finally {
      server.close();
    }
  });

  it("refuses an invalid plan with the path of the bad field", () => {
    const file = join(mkdtempSync(join(tmpdir(), "labs-plan-")), "plan.json");
    writeFileSync(
      file,
      JSON.stringify({ version: 1, probes: [{ id: "x", kind: "tcp", host: "127.0.0.1", port: 0 }] }),
    );
    const r = runLabs(["prober", "--plan", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("probes[0].port");
  });
});
