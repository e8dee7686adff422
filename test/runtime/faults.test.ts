/**
 * `labs break` / `labs fix` against the recording fake toolchain: the commands each fault runs and
 * undoes (as data, through lib/runtime), the state recorded before the first change (so `fix` works
 * after a failed or interrupted `break`), `fix` twice, mystery faults, `labs status` and `labs
 * verify` on a broken lab. No cluster runs here: these are the orchestration, not the effect.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabFaultList } from "../../lib/faults/catalogue.ts";
import { labFaults } from "../../lib/faults/catalogue.ts";
import { sketchLab } from "../../lib/guide/sketch.ts";
import { PROBE_REPORT_SCHEMA } from "../../lib/probes/verdicts/outputs/json.ts";
import { readFaultState } from "../../lib/runtime/fault-state.ts";
import { breakLab, fillValues, fixLab } from "../../lib/runtime/faults.ts";
import { LabState } from "../../lib/runtime/state.ts";
import { labsStatus } from "../../lib/runtime/status.ts";
import { verifyLab } from "../../lib/runtime/verify.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { runLabs } from "../support/run-labs.ts";
import { catalogueLab, thrown, upWith } from "./support.ts";

const LAB = "kindnet-iptables";
const CLUSTER = `labs-${LAB}`;
const NODES = [`${CLUSTER}-control-plane`, `${CLUSTER}-worker`, `${CLUSTER}-worker2`];

let list: LabFaultList;
/** A lab that cannot have every fault: Flannel enforces no NetworkPolicy. */
let flannel: LabFaultList;
const fakes: Fake[] = [];
afterAll(() => {
  for (const f of fakes) f.cleanup();
});

beforeAll(async () => {
  const s = sketchLab(await catalogueLab(LAB));
  list = labFaults(s.lab, s.plan, s.probeLab);
  const f = sketchLab(await catalogueLab("flannel-iptables"));
  flannel = labFaults(f.lab, f.plan, f.probeLab);
}, 60_000);

/** A Corefile with kubeadm's forward line (and its block), ending in a newline as kubeadm's does. */
const COREFILE =
  ".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    reload\n}\n";

/** What the fault lookups read: CoreDNS's replicas and Corefile, and when asked the node's default route. */
function answerFaultLookups(fake: Fake, o: { defaultRoute: boolean }): void {
  writeFileSync(
    join(fake.world, "jsonpath-output.json"),
    JSON.stringify({ "deployment coredns": "2", "configmap coredns": COREFILE }),
  );
  if (o.defaultRoute)
    writeFileSync(
      join(fake.world, "exec-output.json"),
      JSON.stringify({ "route show default": "default via 172.18.0.1 dev eth0" }),
    );
}

/** A fake with the lab up (no probes), and the answers the fault lookups read. */
async function labUp(knobs: Record<string, string> = {}): Promise<Fake> {
  const fake = fakeToolchain(knobs);
  fakes.push(fake);
  await upWith(fake, await catalogueLab(LAB));
  answerFaultLookups(fake, { defaultRoute: false });
  fake.clearLog();
  return fake;
}

const kubectlLines = (fake: Fake) => fake.lines("kubectl").map((l) => l.replace(/--kubeconfig \S+ /, ""));
const state = (fake: Fake) => new LabState(fake.stateRoot, LAB);

describe("labs break / fix on the fake toolchain", { timeout: 120_000 }, () => {
  it("stops kube-proxy, then flushes its rules on every node; fix un-pauses it and waits for the rollout", async () => {
    const fake = await labUp();
    const steps: string[] = [];
    const r = await breakLab({
      lab: LAB,
      faults: list,
      fault: "kube-proxy-rules-flushed",
      env: fake.env,
      onStep: (s) => steps.push(s.does),
    });
    expect(r.fault.id).toBe("kube-proxy-rules-flushed");
    // kubectl against the lab's own kubeconfig, never the user's.
    for (const c of fake.calls("kubectl"))
      expect(c.args.slice(0, 2)).toEqual(["--kubeconfig", join(fake.stateRoot, LAB, "kubeconfig")]);
    const k = kubectlLines(fake);
    expect(k[0]).toBe(
      'kubectl --namespace kube-system patch daemonset kube-proxy --type merge --patch {"spec":{"template":{"spec":{"nodeSelector":{"labs.dev/fault":"paused"}}}}}',
    );
    expect(k[1]).toBe(
      "kubectl --namespace kube-system wait --for=delete pod --selector k8s-app=kube-proxy --timeout=120s",
    );
    expect(fake.lines("docker").filter((l) => l.includes("iptables"))).toEqual(
      NODES.map((n) => `docker exec ${n} iptables -t nat -F KUBE-SERVICES`),
    );
    // The pause comes before the flush: kube-proxy would rewrite what was flushed.
    const all = fake.lines();
    expect(all.findIndex((l) => l.includes("wait --for=delete"))).toBeLessThan(
      all.findIndex((l) => l.includes("-F KUBE-SERVICES")),
    );
    expect(steps[0]).toMatch(/pause DaemonSet kube-system\/kube-proxy/);
    expect(readFaultState(state(fake))?.phase).toBe("broken");

    fake.clearLog();
    const fixed = await fixLab({ lab: LAB, env: fake.env });
    expect(fixed.action).toBe("fixed");
    expect(kubectlLines(fake)).toEqual([
      'kubectl --namespace kube-system patch daemonset kube-proxy --type merge --patch {"spec":{"template":{"spec":{"nodeSelector":{"labs.dev/fault":null}}}}}',
      "kubectl --namespace kube-system rollout status daemonset/kube-proxy --timeout=180s",
    ]);
    expect(readFaultState(state(fake))).toBeUndefined();
    // Twice is fine: nothing is broken, nothing runs.
    fake.clearLog();
    expect((await fixLab({ lab: LAB, env: fake.env })).action).toBe("nothing");
    expect(fake.lines().filter((l) => !l.startsWith("kind get") && !l.startsWith("docker info"))).toEqual([]);
  });

  it("records the fault before the first change, so fix undoes a break that failed half-way", async () => {
    const fake = await labUp({ FAKE_FAIL: "wait --for=delete" });
    const e = await thrown(() =>
      breakLab({ lab: LAB, faults: list, fault: "kube-proxy-rules-flushed", env: fake.env }),
    );
    expect(e.message).toMatch(/break kindnet-iptables: `wait until every kube-proxy pod is gone` failed/);
    expect((e as unknown as { fix: string }).fix).toMatch(/labs fix/);
    const recorded = readFaultState(state(fake))!;
    expect(recorded.phase).toBe("breaking");
    expect(fake.lines("docker").some((l) => l.includes("-F KUBE-SERVICES"))).toBe(false);
    fake.clearLog();
    expect((await fixLab({ lab: LAB, env: fake.env })).action).toBe("fixed");
    expect(kubectlLines(fake)[0]).toContain('"labs.dev/fault":null');
    expect(readFaultState(state(fake))).toBeUndefined();
  });

  it("fix works after Ctrl-C during break", async () => {
    const fake = await labUp({ FAKE_HANG: "iptables -t nat -F" });
    const ac = new AbortController();
    const pending = breakLab({
      lab: LAB,
      faults: list,
      fault: "kube-proxy-rules-flushed",
      env: fake.env,
      signal: ac.signal,
    });
    pending.catch(() => {});
    const hung = join(fake.world, "hang.pid");
    for (let i = 0; i < 400 && !existsSync(hung); i++) await new Promise((r) => setTimeout(r, 25));
    ac.abort();
    const e = await thrown(() => pending);
    expect(e.name).toBe("Interrupted");
    expect(readFaultState(state(fake))?.phase).toBe("breaking");
    expect((await fixLab({ lab: LAB, env: fake.env })).action).toBe("fixed");
  });

  it("reads what the undo needs before changing anything, and undoes with the recorded value", async () => {
    const fake = await labUp();
    await breakLab({ lab: LAB, faults: list, fault: "coredns-scaled-to-zero", env: fake.env });
    const k = kubectlLines(fake);
    expect(k[0]).toBe(
      "kubectl --namespace kube-system get deployment coredns --output jsonpath={.spec.replicas}",
    );
    expect(k[1]).toBe("kubectl --namespace kube-system scale deployment coredns --replicas=0");
    expect(readFaultState(state(fake))?.values).toEqual({ REPLICAS: "2" });
    // Whatever the cluster says now, fix restores what there was.
    writeFileSync(join(fake.world, "jsonpath-output.json"), JSON.stringify({ "deployment coredns": "0" }));
    fake.clearLog();
    await fixLab({ lab: LAB, env: fake.env });
    expect(kubectlLines(fake)[0]).toBe(
      "kubectl --namespace kube-system scale deployment coredns --replicas=2",
    );
  });

  it("breaks CoreDNS's upstream in the Corefile read before, restarts CoreDNS, and puts back the very bytes", async () => {
    const fake = await labUp();
    await breakLab({ lab: LAB, faults: list, fault: "coredns-upstream-broken", env: fake.env });
    const broken = COREFILE.replace("forward . /etc/resolv.conf", "forward . 192.0.2.53");
    const patch = (corefile: string) =>
      `kubectl --namespace kube-system patch configmap coredns --type merge --patch ${JSON.stringify({ data: { Corefile: corefile } })}`;
    expect(kubectlLines(fake)).toEqual([
      "kubectl --namespace kube-system get configmap coredns --output jsonpath={.data.Corefile}",
      "kubectl --namespace kube-system get configmap coredns --output jsonpath={.data.Corefile}",
      patch(broken),
      "kubectl --namespace kube-system rollout restart deployment/coredns",
      "kubectl --namespace kube-system rollout status deployment/coredns --timeout=180s",
    ]);
    // The newline kubeadm ends the Corefile with is kept: the undo writes back what was read.
    expect(readFaultState(state(fake))?.values.COREFILE).toBe(COREFILE);
    // Whatever the Corefile is by the time of the fix, the one read before the break goes back.
    writeFileSync(join(fake.world, "jsonpath-output.json"), JSON.stringify({ "configmap coredns": broken }));
    fake.clearLog();
    await fixLab({ lab: LAB, env: fake.env });
    expect(kubectlLines(fake)).toEqual([
      patch(COREFILE),
      "kubectl --namespace kube-system rollout restart deployment/coredns",
      "kubectl --namespace kube-system rollout status deployment/coredns --timeout=180s",
    ]);
  });

  it("refuses to break a Corefile changed by hand, and changes nothing", async () => {
    const fake = await labUp();
    writeFileSync(
      join(fake.world, "jsonpath-output.json"),
      JSON.stringify({ "configmap coredns": ".:53 {\n    forward . 1.1.1.1\n}\n" }),
    );
    const e = await thrown(() =>
      breakLab({ lab: LAB, faults: list, fault: "coredns-upstream-broken", env: fake.env }),
    );
    expect(e.message).toMatch(
      /CoreDNS's Corefile does not contain `forward \. \/etc\/resolv\.conf`: it was changed by hand/,
    );
    expect(kubectlLines(fake).filter((l) => !l.includes(" get "))).toEqual([]);
    expect(readFaultState(state(fake))).toBeUndefined();
  });

  it("takes the pod route away with an ip rule for the other node's pod CIDR, and deletes only labs' rules", async () => {
    const fake = await labUp();
    await breakLab({ lab: LAB, faults: list, fault: "pod-route-blackholed", env: fake.env });
    expect(kubectlLines(fake)).toContain(
      `kubectl get node ${NODES[1]} --output jsonpath={.spec.podCIDRs[*]}`,
    );
    expect(fake.lines("docker").filter((l) => l.startsWith("docker exec"))).toEqual([
      `docker exec ${NODES[0]} sh -c for r in 10.244.1.0/24; do ip rule add to "$r" blackhole pref 5215; done`,
    ]);
    fake.clearLog();
    await fixLab({ lab: LAB, env: fake.env });
    expect(fake.lines("docker").filter((l) => l.startsWith("docker exec"))).toEqual([
      `docker exec ${NODES[0]} sh -c while ip rule del pref 5215 2>/dev/null; do :; done`,
    ]);
  });

  it("applies a stray policy from stdin and deletes it; refuses a second break and names the fix", async () => {
    const fake = await labUp();
    await breakLab({ lab: LAB, faults: list, fault: "stray-default-deny", env: fake.env });
    const apply = fake.calls("kubectl").find((c) => c.args.includes("apply"))!;
    expect(JSON.parse(apply.stdin!)).toMatchObject({
      kind: "NetworkPolicy",
      metadata: { name: "labs-fault-default-deny", namespace: "demo" },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });
    const again = await thrown(() =>
      breakLab({ lab: LAB, faults: list, fault: "coredns-scaled-to-zero", env: fake.env }),
    );
    expect(again.message).toMatch(/already broken \(stray-default-deny/);
    expect((again as unknown as { fix: string }).fix).toMatch(/labs fix kindnet-iptables/);
    fake.clearLog();
    await fixLab({ lab: LAB, env: fake.env });
    expect(kubectlLines(fake)).toEqual([
      "kubectl --namespace demo delete networkpolicy labs-fault-default-deny --ignore-not-found",
    ]);
  });

  it("names unknown and impossible faults with the way out, and changes nothing", async () => {
    const fake = await labUp();
    const typo = await thrown(() =>
      breakLab({ lab: LAB, faults: list, fault: "kube-proxy-rules-flush", env: fake.env }),
    );
    expect(typo.message).toMatch(
      /no fault "kube-proxy-rules-flush": did you mean "kube-proxy-rules-flushed"\?/,
    );
    const impossible = await thrown(() =>
      breakLab({ lab: "flannel-iptables", faults: flannel, fault: "stray-default-deny", env: fake.env }),
    );
    expect(impossible.message).toMatch(/does not exist in lab flannel-iptables: .*nothing enforces them/);
    expect(fake.lines("kubectl")).toEqual([]);
    expect(readFaultState(state(fake))).toBeUndefined();
  });

  it("breaks and fixes every fault of the lab, each through its own commands only", async () => {
    const fake = await labUp();
    answerFaultLookups(fake, { defaultRoute: true });
    for (const f of list.faults) {
      fake.clearLog();
      await breakLab({ lab: LAB, faults: list, fault: f.id, env: fake.env });
      const values = readFaultState(state(fake))!.values;
      const ran = kubectlLines(fake).concat(fake.lines("docker"));
      for (const step of f.apply) {
        const line =
          "kubectl" in step.run
            ? `kubectl ${step.run.kubectl.map((a) => fillValues(a, values)).join(" ")}`
            : `docker exec ${step.run.node} ${step.run.command.map((a) => fillValues(a, values)).join(" ")}`;
        expect(ran, `${f.id}: ${step.does}`).toContain(line);
      }
      expect((await fixLab({ lab: LAB, env: fake.env })).action, f.id).toBe("fixed");
    }
  });

  it("keeps a mystery hidden in status, and reveals it on fix --reveal", async () => {
    const fake = await labUp();
    const r = await breakLab({ lab: LAB, faults: list, mystery: true, random: () => 0.99, env: fake.env });
    expect(r.fault.id).toBe(list.faults[list.faults.length - 1]!.id);
    const status = await labsStatus(fake.env);
    expect(status.labs[0]!.fault).toMatchObject({ mystery: true, phase: "broken" });
    expect(status.labs[0]!.fault!.id).toBeUndefined();
    const fixed = await fixLab({ lab: LAB, env: fake.env });
    expect(fixed.fault?.mystery).toBe(true);
    const later = await fixLab({ lab: LAB, env: fake.env, reveal: true });
    expect(later).toMatchObject({ action: "nothing", last: { id: r.fault.id } });
  });
});

describe("labs status and labs verify on a broken lab", { timeout: 180_000 }, () => {
  it("status shows the fault; verify sets the verdicts beside its signature and writes fault-check.json", async () => {
    // The fake's prober is no dataplane (its answers name no pod): this is the wiring; the
    // comparison itself is tested in test/faults/compare.test.ts and against network namespaces.
    const fake = await labUp({ FAKE_PROBE_FAIL: "^pod-to-pod-" });
    await breakLab({ lab: LAB, faults: list, fault: "kube-proxy-rules-flushed", env: fake.env });
    expect((await labsStatus(fake.env)).labs[0]!.fault).toMatchObject({
      id: "kube-proxy-rules-flushed",
      mystery: false,
    });
    const outcome = await verifyLab({ lab: LAB, env: fake.env });
    expect(outcome.passed).toBe(false);
    expect(outcome.fault?.summary).toMatch(
      /^the probes point at .+ — not what `kube-proxy-rules-flushed` does/,
    );
    // pod-to-pod by IP never goes through kube-proxy: failing there is a surprise.
    expect(outcome.fault?.surprises.map((x) => x.id)).toEqual(
      expect.arrayContaining(["pod-to-pod-same-node"]),
    );
    const written = JSON.parse(
      readFileSync(join(fake.stateRoot, LAB, "results", "fault-check.json"), "utf8"),
    );
    expect(written.fault).toBe("kube-proxy-rules-flushed");
    // The report itself carries it, as written to results/latest.json.
    const latest = JSON.parse(readFileSync(join(fake.stateRoot, LAB, "results", "latest.json"), "utf8"));
    expect(latest.fault).toEqual(written);
    await fixLab({ lab: LAB, env: fake.env });
    const healthy = await verifyLab({ lab: LAB, env: fake.env });
    expect(healthy.fault).toBeUndefined();
    expect(healthy.report.fault).toBeUndefined();
  });

  it("`labs verify --json` on a broken lab: report version 2 with the fault, its signature beside the verdicts", () => {
    const validate = new Ajv2020({ strict: true, validateFormats: false }).compile(PROBE_REPORT_SCHEMA);
    const fake = fakeToolchain();
    fakes.push(fake);
    expect(runLabs(["up", LAB, "--no-verify"], fake.env).code).toBe(0);
    answerFaultLookups(fake, { defaultRoute: true });
    expect(runLabs(["break", LAB, "coredns-scaled-to-zero"], fake.env).code).toBe(0);
    const fault = list.faults.find((f) => f.id === "coredns-scaled-to-zero")!;
    const mustFail = fault.signature.filter((s) => s.expect === "fails").map((s) => s.id);
    expect(mustFail.length).toBeGreaterThan(0);
    const exactly = (ids: string[]) =>
      `^(${ids.map((i) => i.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|")})$`;

    // The fake's prober fails the checks the fault must break. It is no dataplane (its answers
    // name no pod, so checks that want a pod's name fail as well): this is the wiring, whether the
    // verdicts match a signature is tested in test/faults/compare.test.ts and netns.test.ts.
    const run = runLabs(["verify", LAB, "--json"], { ...fake.env, FAKE_PROBE_FAIL: exactly(mustFail) });
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(validate(report), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(report).toMatchObject({ kind: "labs-probe-report", version: 2 });
    expect(report.fault).toMatchObject({ fault: "coredns-scaled-to-zero", mystery: false });
    // Every check of the signature, expected beside observed (the report's own verdict).
    type Compared = { id: string; expected: string; observed: string; matches: boolean };
    const checks: Compared[] = report.fault.checks;
    expect(checks.map((c) => c.id).sort()).toEqual(fault.signature.map((s) => s.id).sort());
    const verdictOf = new Map<string, string>(
      report.verdicts.map((v: { id: string; verdict: string }) => [v.id, v.verdict]),
    );
    for (const c of checks) {
      expect(c.expected).toBe(fault.signature.find((s) => s.id === c.id)!.expect);
      expect(c.observed).toBe(verdictOf.get(c.id) ?? "missing");
    }
    for (const id of mustFail) {
      const c = checks.find((x) => x.id === id)!;
      expect(c).toMatchObject({ expected: "fails", matches: true });
      expect(["fail", "error"]).toContain(c.observed);
    }
    // The surprises are the checks that do not match, and decide the match.
    const odd = checks.filter((c) => !c.matches);
    expect(report.fault.surprises.map((x: { id: string }) => x.id)).toEqual(odd.map((c) => c.id));
    expect(odd.length).toBeGreaterThan(0);
    for (const c of odd) expect(c).toMatchObject({ expected: "passes", observed: "fail" });
    expect(report.fault.matches).toBe(false);
    expect(run.stderr).toMatch(/labs: broken on purpose: .*not what `coredns-scaled-to-zero` does/);

    // Unflipped, the checks the fault must break pass where the fake answers them: surprises,
    // expected beside observed.
    const plain = JSON.parse(runLabs(["verify", LAB, "--json"], fake.env).stdout);
    expect(validate(plain), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const spared = mustFail.filter(
      (id) => plain.verdicts.find((v: { id: string }) => v.id === id)?.verdict === "pass",
    );
    expect(spared.length).toBeGreaterThan(0);
    for (const id of spared) {
      expect(plain.fault.surprises).toContainEqual(
        expect.objectContaining({ id, expected: "fails", verdict: "pass" }),
      );
      expect(plain.fault.checks.find((c: Compared) => c.id === id)).toMatchObject({
        expected: "fails",
        observed: "pass",
        matches: false,
      });
    }

    // A mystery keeps its secret in JSON too: no id, no signature.
    expect(runLabs(["fix", LAB], fake.env).code).toBe(0);
    expect(runLabs(["break", LAB, "--mystery"], fake.env).code).toBe(0);
    const mystery = JSON.parse(runLabs(["verify", LAB, "--json"], fake.env).stdout);
    expect(validate(mystery), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    expect(mystery.fault.mystery).toBe(true);
    expect(mystery.fault.fault).toBeUndefined();
    expect(mystery.fault.checks).toBeUndefined();
    expect(runLabs(["fix", LAB], fake.env).code).toBe(0);
  });

  it("from the command line: faults, break, status, fix — with exit codes and one-line errors", () => {
    const fake = fakeToolchain();
    fakes.push(fake);
    const faults = runLabs(["faults", LAB], fake.env);
    expect(faults.code).toBe(0);
    expect(faults.stdout).toMatch(/^kindnet-iptables: 10 faults over 5 layers/);
    const json = JSON.parse(runLabs(["faults", "cilium-kpr", "--json"], fake.env).stdout);
    expect(json.kind).toBe("labs-faults");
    expect(
      json.unavailable.find((u: { id: string }) => u.id === "kube-proxy-rules-flushed").unavailable,
    ).toMatch(/no kube-proxy/);
    const notUp = runLabs(["break", LAB, "coredns-scaled-to-zero"], fake.env);
    expect(notUp.code).toBe(2);
    expect(notUp.stderr).toMatch(/labs: error: lab kindnet-iptables is not running/);
    expect(notUp.stderr).not.toMatch(/\n\s+at /);
    const neither = runLabs(["break", LAB], fake.env);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/name the fault to put in, or pass --mystery/);
    const up = runLabs(["up", LAB, "--no-verify"], fake.env);
    expect(up.code, up.stderr).toBe(0);
    // What the lookups of any fault read (a mystery may pick any).
    answerFaultLookups(fake, { defaultRoute: true });
    const broke = runLabs(["break", LAB, "coredns-scaled-to-zero"], fake.env);
    expect(broke.code, broke.stderr).toBe(0);
    expect(broke.stdout).toMatch(/kindnet-iptables is broken: CoreDNS scaled to zero/);
    expect(broke.stderr).toMatch(/labs: scale coredns to zero/);
    const status = runLabs(["status"], fake.env);
    expect(status.stdout).toMatch(/kindnet-iptables \(BROKEN\)/);
    expect(status.stdout).toMatch(/BROKEN by `coredns-scaled-to-zero`/);
    const fix = runLabs(["fix", LAB], fake.env);
    expect(fix.code).toBe(0);
    expect(fix.stdout).toMatch(/is fixed: `coredns-scaled-to-zero`/);
    expect(runLabs(["fix", LAB], fake.env).stdout).toMatch(/is not broken: nothing to fix/);
    const mystery = runLabs(["break", LAB, "--mystery"], fake.env);
    expect(mystery.code, mystery.stderr).toBe(0);
    expect(mystery.stdout).toMatch(/broken by a mystery fault/);
    expect(mystery.stderr).toBe("");
    const reveal = runLabs(["fix", LAB, "--reveal"], fake.env);
    expect(reveal.stdout).toMatch(/is fixed: `[a-z-]+`/);
  });
});

describe("labs up on a broken lab", { timeout: 180_000 }, () => {
  it("refuses to converge over the fault, names it and `labs fix`, and changes nothing; --recreate starts afresh", () => {
    const fake = fakeToolchain();
    fakes.push(fake);
    expect(runLabs(["up", LAB, "--no-verify"], fake.env).code).toBe(0);
    answerFaultLookups(fake, { defaultRoute: true });
    expect(runLabs(["break", LAB, "stray-default-deny"], fake.env).code).toBe(0);
    const applied = fake.cluster(CLUSTER)!.applied.length;
    fake.clearLog();

    const refused = runLabs(["up", LAB, "--no-verify"], fake.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /labs: error: labs up kindnet-iptables: it is broken on purpose by `stray-default-deny` \(.+\) since /,
    );
    expect(refused.stderr).toMatch(/run `labs fix kindnet-iptables` first, then `labs up kindnet-iptables`/);
    expect(refused.stderr).toMatch(/--recreate/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    // Nothing reached the cluster: no apply, no delete, no create; the fault is still recorded.
    expect(fake.lines("kubectl")).toEqual([]);
    expect(
      fake.lines("kind").filter((l) => !l.startsWith("kind get") && !l.startsWith("kind version")),
    ).toEqual([]);
    expect(fake.cluster(CLUSTER)!.applied.length).toBe(applied);
    expect(readFaultState(state(fake))?.id).toBe("stray-default-deny");

    // After fix, up converges as before.
    expect(runLabs(["fix", LAB], fake.env).code).toBe(0);
    const again = runLabs(["up", LAB, "--no-verify"], fake.env);
    expect(again.code, again.stderr).toBe(0);

    // A mystery stays one in the refusal.
    expect(runLabs(["break", LAB, "--mystery"], fake.env).code).toBe(0);
    const mystery = runLabs(["up", LAB, "--no-verify"], fake.env);
    expect(mystery.code).toBe(2);
    expect(mystery.stderr).toMatch(/broken on purpose by a mystery fault/);
    const hidden = readFaultState(state(fake))!;
    expect(mystery.stderr).not.toContain(hidden.id);

    // --recreate: a new cluster, without the fault; the lab is no longer broken.
    fake.clearLog();
    const recreated = runLabs(["up", LAB, "--no-verify", "--recreate"], fake.env);
    expect(recreated.code, recreated.stderr).toBe(0);
    expect(fake.lines("kind").some((l) => l.startsWith("kind delete cluster"))).toBe(true);
    expect(runLabs(["status"], fake.env).stdout).not.toMatch(/BROKEN/);
    expect(readFaultState(state(fake))).toBeUndefined();
  });

  it("goes on when the broken cluster is gone (deleted with kind itself): the fault went with it", () => {
    const fake = fakeToolchain();
    fakes.push(fake);
    expect(runLabs(["up", LAB, "--no-verify"], fake.env).code).toBe(0);
    answerFaultLookups(fake, { defaultRoute: false });
    expect(runLabs(["break", LAB, "coredns-scaled-to-zero"], fake.env).code).toBe(0);
    const deleted = spawnSync(join(fake.bin, "kind"), ["delete", "cluster", "--name", CLUSTER], {
      env: fake.env,
      encoding: "utf8",
    });
    expect(deleted.status, deleted.stderr).toBe(0);
    const up = runLabs(["up", LAB, "--no-verify"], fake.env);
    expect(up.code, up.stderr).toBe(0);
    expect(readFaultState(state(fake))).toBeUndefined();
  });
});
