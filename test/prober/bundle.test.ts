/**
 * The committed bundle: it must equal a fresh build (so it cannot go stale), need nothing but
 * Node built-ins, and run as the probe pods run it: `node prober.js --plan <file>` from a
 * directory of its own (the ConfigMap mount), printing JSON lines.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResultLines } from "../../lib/probes/prober/result.ts";
import { proberBundleSha256, readProberBundle } from "../../lib/probes/stage/prober-bundle.ts";
import { buildProberBundle } from "../../scripts/build-prober.ts";
import { createDropNamespace, netnsUnavailable } from "./support/blackhole.ts";
import {
  closedPort,
  type NetexecServer,
  startNetexec,
  startUdpNetexec,
  type UdpServer,
} from "./support/servers.ts";

let dir: string;
let web: NetexecServer;
let udp: UdpServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "labs-prober-bundle-"));
  // As in the probe pod: the bundle alone in a directory, under the name the pod runs.
  writeFileSync(join(dir, "prober.js"), readProberBundle());
  web = await startNetexec({ name: "echo-bundle" });
  udp = await startUdpNetexec({ name: "echo-bundle-udp" });
});
afterAll(async () => {
  await web?.close();
  await udp?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  /** Run inside this network namespace, as a pod runs in its own. */
  netns?: string;
}

function runBundle(args: string[], options: RunOptions = {}) {
  const command = [process.execPath, join(dir, "prober.js"), ...args];
  if (options.netns) command.unshift("ip", "netns", "exec", options.netns);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: dir,
      env: { PATH: process.env["PATH"] ?? "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

describe("prober bundle", () => {
  it("equals a fresh build of lib/probes/prober/main.ts (run `npx tsx scripts/build-prober.ts`)", async () => {
    const fresh = await buildProberBundle();
    expect(fresh === readProberBundle()).toBe(true);
    expect(proberBundleSha256()).toMatch(/^[0-9a-f]{64}$/);
  });

  it("needs only Node built-ins and holds no machine-specific paths", () => {
    const bundle = readProberBundle();
    const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(3);
    expect(required.filter((name) => !name.startsWith("node:"))).toEqual([]);
    expect(bundle).not.toContain(process.cwd());
    expect(bundle).not.toContain("node_modules");
  });

  it("is built from the engine folder alone, plus lib/model's plain data", () => {
    // esbuild heads each module with its path: a planner, verdict or stage module pulled into the
    // engine would show here, and would ship to every probe pod.
    const sources = [...readProberBundle().matchAll(/^\/\/ (lib\/\S+\.ts)$/gm)].map((m) => m[1]!);
    expect(sources).toContain("lib/probes/prober/main.ts");
    expect(sources.filter((s) => !s.startsWith("lib/probes/prober/") && !s.startsWith("lib/model/"))).toEqual(
      [],
    );
  });

  it("runs a plan file in a bare directory and prints JSON lines with the pod as source", async () => {
    const port = await closedPort();
    const plan = {
      version: 1,
      probes: [
        { id: "http-hostname", kind: "http", url: web.url("/hostname"), expect: "reachable" },
        { id: "udp-hostname", kind: "udp", host: "127.0.0.1", port: udp.port, payload: "hostname" },
        { id: "closed", kind: "tcp", host: "127.0.0.1", port, expect: "blocked" },
        {
          id: "latency",
          kind: "latency",
          requests: 20,
          concurrency: 4,
          target: { kind: "http", url: web.url("/hostname") },
        },
      ],
    };
    writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
    const run = await runBundle(["--plan", join(dir, "plan.json")], {
      env: { POD_NAME: "probe-client-abc", NODE_NAME: "lab-worker2", POD_IP: "10.244.2.4" },
    });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const { results, junk } = parseResultLines(run.stdout);
    expect(junk).toEqual([]);
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(Object.keys(byId).sort()).toEqual(["closed", "http-hostname", "latency", "udp-hostname"]);
    expect(byId["http-hostname"]).toMatchObject({ outcome: "connected", backend: "echo-bundle" });
    expect(byId["udp-hostname"]).toMatchObject({ outcome: "connected", backend: "echo-bundle-udp" });
    expect(byId["closed"]).toMatchObject({ outcome: "refused", blockConfirmed: true });
    expect(byId["latency"]!.latency).toMatchObject({ ok: 20, errors: 0 });
    for (const result of results) {
      expect(result.source).toEqual({ name: "probe-client-abc", node: "lab-worker2", ip: "10.244.2.4" });
    }
  });

  it("reads the plan from stdin with --plan -", async () => {
    const plan = { version: 1, probes: [{ id: "h", kind: "http", url: web.url("/echo?msg=from-stdin") }] };
    const run = await runBundle(["--plan", "-"], { stdin: JSON.stringify(plan) });
    expect(run.code).toBe(0);
    expect(parseResultLines(run.stdout).results[0]).toMatchObject({
      id: "h",
      body: "from-stdin",
      source: { name: "host" },
    });
  });

  it("exits 2 with one line on stderr for an invalid plan", async () => {
    const run = await runBundle(["--plan", "-"], {
      stdin: JSON.stringify({ version: 1, probes: [{ id: "x" }] }),
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe("prober: invalid probe plan: probes[0].kind: required\n");
  });

  const noNetns = netnsUnavailable();
  if (noNetns) console.log(`skipping the bundle-in-a-namespace test: ${noNetns}`);
  it.skipIf(noNetns)(
    "runs inside a network namespace like a pod: reaches the host, sees its own drop rule",
    async () => {
      const ns = await createDropNamespace();
      const outside = await startNetexec({ host: ns.hostIp, name: "beyond-the-veth" });
      try {
        const plan = {
          version: 1,
          probes: [
            { id: "out", kind: "http", url: outside.url("/clientip"), expect: "reachable" },
            {
              id: "dropped",
              kind: "tcp",
              host: "127.0.0.1",
              port: ns.port,
              timeoutMs: 300,
              expect: "blocked",
            },
          ],
        };
        writeFileSync(join(dir, "ns-plan.json"), JSON.stringify(plan));
        const run = await runBundle(["--plan", join(dir, "ns-plan.json")], { netns: ns.name });
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        const byId = Object.fromEntries(parseResultLines(run.stdout).results.map((r) => [r.id, r]));
        // The server saw the namespace's address: the request crossed the veth link.
        expect(byId["out"]).toMatchObject({ outcome: "connected", clientIp: ns.host });
        expect(byId["dropped"]).toMatchObject({
          outcome: "timeout",
          blockConfirmed: true,
          attempts: { count: 2 },
        });
      } finally {
        await outside.close();
        await ns.close();
      }
    },
  );
});
