/**
 * The runtime commands as a user runs them: the real `labs` executable in a child process, with
 * the recording fake toolchain alone on PATH. Exit codes, output formats, error lines, and Ctrl-C
 * sent as a real SIGINT.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { LABS_BIN } from "../support/run-labs.ts";

const LAB = "kindnet-iptables";
const CLUSTER = `labs-${LAB}`;
const fakes: Fake[] = [];
afterAll(() => {
  for (const f of fakes) f.cleanup();
});
/**
 * The fake engine is not this machine: a remote DOCKER_HOST tells `labs up`'s doctor checks
 * not to read this host's kernel files, as for any engine elsewhere.
 */
function newFake(knobs: Record<string, string> = {}): Fake {
  const f = fakeToolchain({ DOCKER_HOST: "tcp://fake-engine.invalid:2375", ...knobs });
  fakes.push(f);
  return f;
}

function labs(fake: Fake, args: string[]) {
  const r = spawnSync(process.execPath, [LABS_BIN, ...args], {
    encoding: "utf8",
    env: fake.env,
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A plan with one node inspection, so verify's verdict depends only on what the node says. */
function inspectionPlan(): ProbesPlan {
  return {
    version: 1,
    lab: LAB,
    clusterName: CLUSTER,
    probes: [{ id: "proxy-mode", layer: "dataplane", title: "kube-proxy mode", teaches: "which mode" }],
    checks: [
      {
        id: "proxy-mode/control-plane",
        probe: "proxy-mode",
        from: { node: `${CLUSTER}-control-plane` },
        action: { kind: "inspect", command: ["curl", "-s", "http://127.0.0.1:10249/proxyMode"] },
        expect: { outcome: "reachable", reason: "kube-proxy runs in iptables mode", contains: "iptables" },
        describes: "kube-proxy mode on the control plane",
      },
    ],
    skipped: [],
    clients: [],
  };
}

describe.concurrent("labs up / verify / status / down from the command line", { timeout: 240_000 }, () => {
  it("brings a lab up with plain progress lines and prints the export KUBECONFIG line; status and down follow", async () => {
    const fake = newFake();
    const up = labs(fake, ["up", LAB, "--no-verify"]);
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    const kubeconfig = join(fake.stateRoot, LAB, "kubeconfig");
    expect(up.stdout).toContain(`✓ kind create cluster ${CLUSTER} (`);
    expect(up.stdout).toMatch(/✓ {3}gate: kindnet runs on every node \(\d+\.\ds\)/);
    expect(up.stdout.trim().split("\n").at(-1)).toBe(`export KUBECONFIG=${kubeconfig}`);
    expect(existsSync(join(fake.home, ".kube", "config"))).toBe(false);

    const status = labs(fake, ["status"]);
    expect(status.code).toBe(0);
    const [header, row] = status.stdout.trim().split("\n");
    expect(header).toMatch(/^LAB\s+NODES\s+CNI\s+MODE\s+NORTH-SOUTH\s+PORTS\s+AGE\s+KUBECONFIG$/);
    expect(row).toMatch(new RegExp(`^${LAB}\\s+3/3 ready\\s+kindnet\\s+iptables\\s+.*${kubeconfig}$`));
    expect(JSON.parse(labs(fake, ["status", "--json"]).stdout).labs[0].lab).toBe(LAB);

    fake.addForeignCluster("labs-handmade");
    const down = labs(fake, ["down", "--all"]);
    expect(down.code).toBe(0);
    expect(down.stdout.trim()).toBe(`${LAB}: deleted ${CLUSTER}`);
    expect(down.stderr.trim()).toBe("labs: leaving labs-handmade alone: labs did not create it");
    expect(fake.cluster("labs-handmade")).toBeDefined();
    expect(labs(fake, ["status"]).stdout).toMatch(/^no labs are running/);
  });

  it("emits JSON events with --json, ending with the result", () => {
    const fake = newFake();
    const r = labs(fake, ["up", LAB, "--no-verify", "--json"]);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.every((e) => e.lab === LAB)).toBe(true);
    expect(events.some((e) => e.type === "done" && e.id === "cluster")).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "result",
      cluster: CLUSTER,
      action: "created",
      kubeconfig: join(fake.stateRoot, LAB, "kubeconfig"),
    });
  });

  it("fails a gate with one error line, the fix with the diagnostics path, and exit code 1", () => {
    const fake = newFake({ FAKE_FAIL: "rollout status --namespace kube-system daemonset/kindnet" });
    const r = labs(fake, ["up", LAB, "--no-verify"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toBe(
      'labs: error: stage cni: gate "kindnet runs on every node" (daemonset-rolled-out kube-system/kindnet) failed: Waiting for daemon set spec update to be observed... | error: timed out waiting for the condition',
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^labs: fix: diagnostics: ${fake.stateRoot}/${LAB}/diagnostics/\\S+; the cluster is left for inspection`,
      ),
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 3 with the fix when Docker is not running", () => {
    const r = labs(newFake({ FAKE_DOCKER: "down" }), ["up", LAB]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^labs: error: the Docker daemon is not running or not reachable/);
  });

  it("stops on Ctrl-C (SIGINT): the child is terminated, exit 130, and it says how to resume or clean up", async () => {
    const fake = newFake({ FAKE_HANG: "rollout status" });
    const child = spawn(process.execPath, [LABS_BIN, "up", LAB, "--no-verify"], { env: fake.env });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    let done = false;
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => {
        done = true;
        resolve(code);
      }),
    );
    // Generous: on a loaded 2-core CI machine the stages before the hang take a while.
    const until = Date.now() + 150_000;
    while (!existsSync(join(fake.world, "hang.pid"))) {
      if (done) throw new Error(`labs up exited before the fake hung: ${stderr}`);
      if (Date.now() > until) throw new Error(`the fake never started hanging: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(readFileSync(join(fake.world, "hang.terminated"), "utf8")).toBe("SIGTERM");
    expect(stderr).toContain(
      "labs up kindnet-iptables was interrupted during gate: kube-proxy (iptables mode) runs on every node",
    );
    expect(stderr).toContain(
      "resume with `labs up kindnet-iptables`, or remove the cluster with `labs down kindnet-iptables`",
    );
    const timings = JSON.parse(readFileSync(join(fake.stateRoot, LAB, "timings.json"), "utf8"));
    expect(timings.result).toBe("interrupted");
  });

  it("verifies: exit 0 when every probe passes, 1 when one fails; JUnit, Markdown and JSON on request", () => {
    const fake = newFake();
    expect(labs(fake, ["up", LAB, "--no-verify"]).code).toBe(0);
    writeFileSync(join(fake.stateRoot, LAB, "synth", "probes.plan.json"), JSON.stringify(inspectionPlan()));
    const junit = join(fake.root, "probes.xml");
    const md = join(fake.root, "probes.md");
    const pass = labs(fake, ["verify", LAB, "--junit", junit, "--md", md]);
    expect(pass.code).toBe(0);
    expect(pass.stdout).toMatch(/PASS\s+kube-proxy mode on the control plane/);
    expect(readFileSync(junit, "utf8")).toMatch(/<testsuites[\s\S]*proxy-mode\/control-plane/);
    expect(readFileSync(md, "utf8")).toContain("kube-proxy mode on the control plane");

    writeFileSync(join(fake.world, "exec-output.json"), JSON.stringify({ proxyMode: "ipvs" }));
    const fail = labs(fake, ["verify", LAB, "--json"]);
    expect(fail.code).toBe(1);
    const report = JSON.parse(fail.stdout);
    expect(report.summary).toMatchObject({ pass: 0, fail: 1 });
    expect(report.verdicts[0].message).toBe('the output does not contain "iptables": ipvs');
  });

  it("refuses to verify or bring down a lab that is not running, with exit code 2", () => {
    const fake = newFake();
    const v = labs(fake, ["verify", LAB]);
    expect(v.code).toBe(2);
    expect(v.stderr.split("\n")[0]).toBe(
      `labs: error: lab ${LAB} is not running (no kind cluster ${CLUSTER} created by labs)`,
    );
    const d = labs(fake, ["down", LAB]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/^labs: error: lab kindnet-iptables is not running/);
  });

  it("runs doctor for a lab and exits 3 only when a check fails", () => {
    const fake = newFake();
    const r = labs(fake, ["doctor", LAB]);
    const failed = r.stdout.split("\n").filter((l) => l.startsWith("FAIL"));
    expect(r.code).toBe(failed.length ? 3 : 0);
    expect(r.stdout).toMatch(/^ok {4}Docker: engine 28\.2\.2/m);
    expect(r.stdout).toMatch(/^ok {4}kind: v0\.32\.0 at /m);
    expect(r.stdout).toMatch(/^\d+ failed, \d+ warnings? for kindnet-iptables$/m);
    const json = JSON.parse(labs(fake, ["doctor", "--json"]).stdout);
    expect(json.checks.map((c: { id: string }) => c.id)).toEqual(
      expect.arrayContaining(["docker", "kind", "kubectl", "helm", "inotify", "cgroup"]),
    );
  });
});
