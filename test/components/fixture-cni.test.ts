/**
 * Adding a CNI is one component file, one registry line and a lab file: nothing in synth, lint,
 * the doctor, the guide, compare or the fault catalogue names a CNI. This test proves it with
 * `fixturenet`, a made-up CNI that exists only here (the component below stands for its file, the
 * push into the registry for its line), then follows its lab through every one of those tools.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiObject } from "cdk8s";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadLabFile } from "../../lib/catalogue.ts";
import { compareLabs } from "../../lib/compare/compare-labs.ts";
import { tunnelPortDropped } from "../../lib/components/cni/tunnel-fault.ts";
import { type Component, defineComponent } from "../../lib/components/component.ts";
import { BPF_NEED } from "../../lib/components/host-needs.ts";
import { registry } from "../../lib/components/registry.ts";
import { labFaults } from "../../lib/faults/catalogue.ts";
import { exercisesOf } from "../../lib/guide/exercises.ts";
import { renderGuide } from "../../lib/guide/handout.ts";
import { sketchLab } from "../../lib/guide/sketch.ts";
import type { LabJson } from "../../lib/model/lab-json.ts";
import type { LabSpec } from "../../lib/model/lab-spec.ts";
import { doctorChecks } from "../../lib/runtime/doctor/checks.ts";
import type { DoctorFacts } from "../../lib/runtime/doctor/facts.ts";
import { labNeeds } from "../../lib/runtime/doctor/lab-needs.ts";
import { synthLab } from "../../lib/synth/synth.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";

// ---- the component file -------------------------------------------------------------------

const SERVICE_COUNT = ["fixturenet-ctl", "service", "count"];

/** A Geneve CNI on Open vSwitch that also replaces kube-proxy: everything labs asks of a CNI. */
const fixturenet = defineComponent({
  kind: "cni",
  name: "fixturenet",
  title: "Fixturenet",
  summary: "a test-only CNI: Geneve between nodes, Open vSwitch on each node, Services in eBPF.",
  options: z.strictObject({}),
  capabilities: () => ({
    networkPolicy: { value: true, reason: "fixturenet's agent enforces NetworkPolicy in its flows" },
    policyDenial: { value: "drop", reason: "fixturenet drops what a policy denies" },
    podEncapsulation: { value: "geneve", reason: "fixturenet tunnels pod packets in Geneve (UDP 6081)" },
    kubeProxyReplacement: { value: true, reason: "fixturenet load-balances Services itself" },
    serviceProxy: { value: "ebpf", reason: "fixturenet's eBPF maps hold every Service" },
    externalSourceNat: { value: "never", reason: "fixturenet keeps the client's address" },
  }),
  kindConfig: () => ({ disableDefaultCNI: true }),
  hostNeeds: () => [
    {
      kind: "kernel-module",
      id: "kernel-openvswitch",
      title: "kernel: Open vSwitch (fixturenet)",
      module: "openvswitch",
      config: "CONFIG_OPENVSWITCH",
      loadedBy: "fixturenet's agent",
      load: "sudo modprobe openvswitch",
    },
    BPF_NEED,
  ],
  serviceDataplane: () => ({
    inspection: "fixturenet-services",
    grows: "One more row in fixturenet's service table: the new ClusterIP and its backends.",
    size: { measure: "bpf-map-entries", command: ["sh", "-c", SERVICE_COUNT.join(" ")] },
  }),
  gates: () => [
    {
      stage: "cni",
      kind: "nodes-ready",
      timeoutSeconds: 120,
      description: "every node is Ready once fixturenet's CNI config is written",
    },
  ],
  inspections: () => [
    {
      id: "fixturenet-services",
      title: "fixturenet's service table",
      on: "control-plane",
      command: ["sh", "-c", SERVICE_COUNT.join(" ")],
      explains: "Every Service port is a row in fixturenet's service table.",
    },
  ],
  faults: () => ({
    faults: [
      tunnelPortDropped({
        id: "geneve-port-dropped",
        cni: "Fixturenet",
        tunnel: "Geneve",
        device: "fxn_geneve",
        port: 6081,
        node: 1,
        source: "this test (fixturenet is made up)",
      }),
    ],
  }),
  build: (ctx) => {
    new ApiObject(ctx.stage("cni"), "fixturenet-config", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "fixturenet-config", namespace: "kube-system" },
      data: { tunnel: "geneve" },
    });
  },
});

// ---- the registry line ----------------------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: the registry holds components of every option type
const cnis = registry.cni as Component<any>[];
beforeAll(() => {
  cnis.push(fixturenet);
});
afterAll(() => {
  cnis.splice(cnis.indexOf(fixturenet), 1);
});

// ---- the lab file ---------------------------------------------------------------------------

const DEFINE_LAB = new URL("../../lib/model/define-lab.ts", import.meta.url).pathname;
let spec: LabSpec;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "labs-fixturenet-"));
  const file = join(dir, "fixturenet-kpr.ts");
  writeFileSync(
    file,
    `import { defineLab } from ${JSON.stringify(DEFINE_LAB)};

export default defineLab({
  name: "fixturenet-kpr",
  description: "fixturenet's Geneve pod network with Services in eBPF and no kube-proxy.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: "fixturenet",
  kubeProxyMode: "none",
});
`,
  );
  spec = (await loadLabFile(file)).spec;
});

// ---- everything else follows ------------------------------------------------------------------

describe("a CNI that is one component file, one registry line and a lab file", () => {
  it("synthesizes and lints clean, with its objects, its claims and its kind config", async () => {
    const out = await synthLab(spec, { allowErrors: true });
    expect(out.issues.filter((i) => i.level === "error")).toEqual([]);
    expect(out.objects.map((o) => `${o.object.kind}/${o.object.metadata?.name}`)).toContain(
      "ConfigMap/fixturenet-config",
    );
    expect(out.files.get("kind.yaml")).toMatch(/disableDefaultCNI: true/);
    expect(out.files.get("kind.yaml")).toMatch(/kubeProxyMode: none/);
    const labJson = JSON.parse(out.files.get("lab.json")!) as LabJson;
    expect(labJson.capabilities.serviceProxy).toMatchObject({ value: "ebpf", by: "fixturenet" });
    expect(labJson.capabilities.podEncapsulation).toMatchObject({ value: "geneve", by: "fixturenet" });
    // The runtime (compare's dataplane column) reads how to count Services from lab.json.
    expect(labJson.serviceDataplane).toMatchObject({
      inspection: "fixturenet-services",
      size: { measure: "bpf-map-entries" },
    });
  });

  it("tells the doctor what it needs of the host's kernel, and the doctor checks it", () => {
    const needs = labNeeds(spec);
    expect(needs.kernel.map((n) => n.id)).toEqual(["kernel-openvswitch", "kernel-bpf"]);
    const facts = {
      platform: "linux",
      docker: { state: "missing" },
      tools: { kind: {}, kubectl: {}, helm: {} },
      inotify: {},
      kindNetwork: { exists: false, subnets: [] },
      kernel: {
        release: "6.8.0",
        loaded: [],
        available: [],
        config: { CONFIG_BPF_SYSCALL: "y", CONFIG_BPF_JIT: "y" },
        bpffs: true,
      },
      cgroup: { engine: "2", hostV2: true },
      lab: needs,
      ports: [],
    } as unknown as DoctorFacts;
    const checks = doctorChecks(facts);
    expect(checks.find((c) => c.id === "kernel-openvswitch")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/no openvswitch .*CONFIG_OPENVSWITCH not set/),
    });
    expect(checks.find((c) => c.id === "kernel-bpf")).toMatchObject({ status: "ok" });
  });

  it("gets a handout that names it and its own service table", () => {
    const sketch = sketchLab(spec);
    const guide = renderGuide(sketch);
    expect(guide).toContain("| Service network | 10.96.0.0/16 via fixturenet ebpf");
    expect(guide).toContain("fixturenet tunnels pod packets in Geneve");
    const watch = exercisesOf(sketch.lab, sketch.plan, []).find((e) => /Service appear/.test(e.title));
    expect(watch?.code).toContain("fixturenet-ctl service count");
    expect(watch?.answer).toBe(
      "One more row in fixturenet's service table: the new ClusterIP and its backends.",
    );
  });

  it("offers its faults, and says kube-proxy's cannot exist here", () => {
    const sketch = sketchLab(spec);
    const list = labFaults(sketch.lab, sketch.plan, sketch.probeLab);
    expect(list.faults.map((f) => f.id)).toContain("geneve-port-dropped");
    expect(list.unavailable.find((f) => f.id === "kube-proxy-rules-flushed")?.unavailable).toMatch(
      /fixturenet load-balances Services itself/,
    );
  });

  let fake: Fake | undefined;
  afterAll(() => fake?.cleanup());

  it("fills compare's dataplane column with what it counts", async () => {
    fake = fakeToolchain();
    // The fake node answers fixturenet's count as a node with 17 Service rows would.
    writeFileSync(join(fake.world, "exec-output.json"), JSON.stringify({ [SERVICE_COUNT.join(" ")]: "17" }));
    const out = mkdtempSync(join(tmpdir(), "labs-fixturenet-compare-"));
    const { results } = await compareLabs({
      specs: [spec],
      out,
      env: fake.env,
      upOptions: { pollMs: 5, applyRetryMs: 5, labsVersion: "test", readHost: false },
    });
    const [run] = results.labs;
    expect(run?.status).toBe("ok");
    expect(run?.dataplane).toEqual([
      {
        node: "labs-fixturenet-kpr-control-plane",
        measure: "bpf-map-entries",
        count: 17,
        command: ["sh", "-c", SERVICE_COUNT.join(" ")],
      },
    ]);
    expect(readFileSync(join(out, "report.md"), "utf8")).toMatch(
      /fixturenet-kpr \| bpf-map-entries \| 17 \|/,
    );
  }, 120_000);
});
