/**
 * `labs verify` against the fake toolchain: client batches go through `kubectl exec` with the
 * engine plan on stdin, host probes run in-process for real (against a local server), node
 * inspections through `docker exec`; the verdicts decide the outcome.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabSpec } from "../../lib/model/lab-spec.ts";
import { parsePlan } from "../../lib/probes/prober/plan.ts";
import type { ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { verifyLab } from "../../lib/runtime/verify.ts";
import { type Fake, fakeToolchain, flagOf } from "../fake-toolchain/fake-toolchain.ts";
import { catalogueLab, thrown, upWith } from "./support.ts";

const LAB = "kindnet-iptables";
const CLUSTER = `labs-${LAB}`;
let spec: LabSpec;
let server: Server;
let port = 0;
let hostHits = 0;
const fakes: Fake[] = [];

beforeAll(async () => {
  spec = await catalogueLab(LAB);
  server = createServer((req, res) => {
    if (req.url === "/hostname") hostHits++;
    res.end("host-server");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
  for (const f of fakes) f.cleanup();
});

/** A small plan that uses every way a check runs: two from a client pod, one from the host, one on a node. */
function smallPlan(): ProbesPlan {
  const info = (id: string, layer: ProbesPlan["probes"][number]["layer"]) => ({
    id,
    layer,
    title: id,
    teaches: `${id} teaches`,
  });
  const peer = { namespace: "labs-probes", selector: {}, name: "probe-peer" };
  const deny = { namespace: "labs-netpol", selector: {}, name: "netpol-deny" };
  return {
    version: 1,
    lab: LAB,
    clusterName: CLUSTER,
    probes: [
      info("p-tcp", "pod"),
      info("p-blocked", "policy"),
      info("p-host", "north-south"),
      info("p-node", "dataplane"),
      info("p-skip", "service"),
    ],
    checks: [
      {
        id: "p-tcp/worker",
        probe: "p-tcp",
        from: { client: "probe-worker" },
        action: { kind: "tcp", to: { address: { podIp: peer }, port: 8080 } },
        expect: { outcome: "reachable", reason: "pods reach pods" },
        describes: "probe-worker → probe-peer",
      },
      {
        id: "p-blocked/worker",
        probe: "p-blocked",
        from: { client: "probe-worker" },
        action: { kind: "tcp", to: { address: { podIp: deny }, port: 8080 } },
        expect: { outcome: "blocked", denial: "drop", reason: "a default-deny policy selects it" },
        describes: "probe-worker → netpol-deny",
      },
      {
        id: "p-host",
        probe: "p-host",
        from: { host: true },
        action: { kind: "http", to: { address: { ip: "127.0.0.1" }, port }, path: "/hostname" },
        expect: { outcome: "reachable", reason: "the host reaches its own server" },
        describes: "host → 127.0.0.1",
      },
      {
        id: "p-node/control-plane",
        probe: "p-node",
        from: { node: `${CLUSTER}-control-plane` },
        action: { kind: "inspect", command: ["curl", "-s", "http://127.0.0.1:10249/proxyMode"] },
        expect: { outcome: "reachable", reason: "kube-proxy says its mode", contains: "iptables" },
        describes: "kube-proxy mode on the control plane",
      },
    ],
    skipped: [{ probe: "p-skip", reason: "no such Service in this lab" }],
    clients: [{ name: "probe-worker", namespace: "labs-probes", node: `${CLUSTER}-worker`, labels: {} }],
  };
}

/** A running lab (no probes yet) whose probe plan is replaced by `plan`. */
async function runningLab(knobs: Record<string, string> = {}, plan: ProbesPlan = smallPlan()): Promise<Fake> {
  const fake = fakeToolchain();
  fakes.push(fake);
  await upWith(fake, spec);
  writeFileSync(join(fake.stateRoot, LAB, "synth", "probes.plan.json"), JSON.stringify(plan));
  Object.assign(fake.env, knobs);
  fake.clearLog();
  return fake;
}

describe.concurrent("labs verify", { timeout: 120_000 }, () => {
  it("runs a client batch through kubectl exec, host probes in-process and inspections with docker exec; all pass", async () => {
    const fake = await runningLab();
    const before = hostHits;
    const outcome = await verifyLab({ lab: LAB, env: fake.env });

    const execs = fake.calls("kubectl").filter((c) => c.args.includes("exec"));
    expect(execs).toHaveLength(1);
    const exec = execs[0]!;
    expect(exec.args.slice(2)).toEqual([
      "exec",
      "--stdin",
      "--namespace",
      "labs-probes",
      "probe-worker",
      "--container",
      "prober",
      "--",
      "node",
      "/prober/prober.js",
      "--plan",
      "-",
    ]);
    const sent = parsePlan(JSON.parse(exec.stdin!));
    expect(sent.probes.map((p) => [p.id, "expect" in p ? p.expect : undefined])).toEqual([
      ["p-tcp/worker", "reachable"],
      ["p-blocked/worker", "blocked"],
    ]);
    // The pod IP came from the cluster (kubectl get pods), not from the plan.
    const peerIp = (sent.probes[0] as { host: string }).host;
    expect(peerIp).toMatch(/^10\.244\.\d+\.\d+$/);

    expect(fake.lines("docker")).toContain(
      `docker exec ${CLUSTER}-control-plane curl -s http://127.0.0.1:10249/proxyMode`,
    );
    expect(hostHits).toBeGreaterThan(before);

    expect(outcome.passed).toBe(true);
    expect(outcome.report.summary).toEqual({ pass: 4, fail: 0, error: 0, skipped: 1, total: 5 });
    expect(outcome.report.verdicts.map((v) => [v.id, v.verdict])).toEqual([
      ["p-tcp/worker", "pass"],
      ["p-blocked/worker", "pass"],
      ["p-host", "pass"],
      ["p-node/control-plane", "pass"],
      ["p-skip", "skipped"],
    ]);
    expect(JSON.parse(readFileSync(outcome.file, "utf8"))).toEqual(
      JSON.parse(JSON.stringify(outcome.report)),
    );
    expect(existsSync(join(fake.stateRoot, LAB, "results", "latest.json"))).toBe(true);
  });

  it("fails when the network does what the lab says it must not (a blocked path answers)", async () => {
    const fake = await runningLab({ FAKE_PROBE_FAIL: "^p-blocked" });
    const outcome = await verifyLab({ lab: LAB, env: fake.env });
    expect(outcome.passed).toBe(false);
    const v = outcome.report.verdicts.find((x) => x.id === "p-blocked/worker")!;
    expect(v.verdict).toBe("fail");
    expect(v.message).toMatch(/^expected blocked, but the target answered/);
    expect(outcome.summary).toBe("3 pass, 1 fail, 0 error, 1 skipped");
  });

  it("reports the probes of a batch whose kubectl exec failed as errors that say why", async () => {
    const fake = await runningLab({
      FAKE_FAIL: "exec --stdin --namespace labs-probes probe-worker",
      FAKE_FAIL_MESSAGE: 'error: unable to upgrade connection: container not found ("prober")',
    });
    const outcome = await verifyLab({ lab: LAB, env: fake.env });
    const errors = outcome.report.verdicts.filter((v) => v.verdict === "error");
    expect(errors.map((v) => v.id)).toEqual(["p-tcp/worker", "p-blocked/worker"]);
    for (const v of errors)
      expect(v.message).toBe(
        'the probe could not run: kubectl exec into labs-probes/probe-worker failed: error: unable to upgrade connection: container not found ("prober")',
      );
    expect(outcome.passed).toBe(false);
  });

  it("fails an inspection whose output does not show the mode the lab expects", async () => {
    const fake = await runningLab();
    writeFileSync(join(fake.world, "exec-output.json"), JSON.stringify({ proxyMode: "ipvs" }));
    const outcome = await verifyLab({ lab: LAB, env: fake.env });
    const v = outcome.report.verdicts.find((x) => x.id === "p-node/control-plane")!;
    expect(v.verdict).toBe("fail");
    expect(v.message).toBe('the output does not contain "iptables": ipvs');
  });

  it("runs the catalogue plan of a lab: one exec per client, a verdict for every check", async () => {
    const fake = fakeToolchain();
    fakes.push(fake);
    const result = await upWith(fake, spec, { verify: true });
    const plan = JSON.parse(
      readFileSync(join(fake.stateRoot, LAB, "synth", "probes.plan.json"), "utf8"),
    ) as ProbesPlan;
    const report = result.verify!.report;
    const checked = report.verdicts.filter((v) => v.verdict !== "skipped").map((v) => v.id);
    expect(checked.sort()).toEqual(plan.checks.map((c) => c.id).sort());
    expect(
      report.verdicts
        .filter((v) => v.verdict === "skipped")
        .map((v) => v.id)
        .sort(),
    ).toEqual(plan.skipped.map((s) => s.probe).sort());
    const execs = fake.calls("kubectl").filter((c) => c.args.includes("exec"));
    const pods = execs.map((c) => c.args[c.args.indexOf("--namespace") + 2]);
    expect(new Set(pods).size).toBe(pods.length);
    for (const c of execs) {
      expect(flagOf(c, "--container")).toBe("prober");
      expect(() => parsePlan(JSON.parse(c.stdin!))).not.toThrow();
    }
    const clientChecks = plan.checks
      .filter((c) => "client" in c.from)
      .map((c) => (c.from as { client: string }).client);
    expect(new Set(pods)).toEqual(new Set(clientChecks));
    expect(existsSync(result.verify!.file)).toBe(true);
  });

  it("refuses a lab that is not running, naming the command that starts it", async () => {
    const fake = fakeToolchain();
    fakes.push(fake);
    const e = await thrown(() => verifyLab({ lab: LAB, env: fake.env }));
    expect(e.message).toBe(`lab ${LAB} is not running (no kind cluster ${CLUSTER} created by labs)`);
    expect(e.fix).toBe(`start it with \`labs up ${LAB}\``);
  });
});
