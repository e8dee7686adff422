/**
 * Stages and gates as data: the kubectl command of every gate kind, the implicit nodes-ready gate
 * after the CNI, a failure in each stage (apply or gate) stopping there, against the fake, and a
 * failed apply naming the objects kubectl refused.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gate } from "../../lib/components/component.ts";
import type { K8sObject } from "../../lib/model/k8s-object.ts";
import type { StagePlan } from "../../lib/model/lab-json.ts";
import { stringifyYamlDocuments } from "../../lib/model/yaml.ts";
import { gateLabel, gateObjects, gateWaitArgs } from "../../lib/runtime/gates.ts";
import { Kubectl } from "../../lib/runtime/kubectl.ts";
import { Progress, type ProgressEvent } from "../../lib/runtime/progress.ts";
import {
  ApplyFailed,
  applyStage,
  listObjects,
  NODES_READY_GATE,
  notAppliedObjects,
  printedName,
  runStages,
  withImplicitGates,
} from "../../lib/runtime/stages.ts";
import { Toolchain } from "../../lib/runtime/toolchain.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { indexOf, thrown } from "./support.ts";

const ALL_GATES = (stage: Gate["stage"]): Gate[] => [
  {
    stage,
    kind: "crds-established",
    names: ["widgets.example.com", "gadgets.example.com"],
    timeoutSeconds: 60,
    description: "CRDs",
  },
  {
    stage,
    kind: "daemonset-rolled-out",
    namespace: "kube-system",
    name: `ds-${stage}`,
    timeoutSeconds: 120,
    description: `ds ${stage}`,
  },
  {
    stage,
    kind: "deployment-available",
    namespace: "demo",
    name: `dep-${stage}`,
    timeoutSeconds: 90,
    description: `dep ${stage}`,
  },
  {
    stage,
    kind: "statefulset-ready",
    namespace: "demo",
    name: `sts-${stage}`,
    timeoutSeconds: 90,
    description: `sts ${stage}`,
  },
  {
    stage,
    kind: "condition",
    resource: `tigerastatus/calico-${stage}`,
    condition: "Available",
    timeoutSeconds: 300,
    description: `operator ${stage}`,
  },
];

describe("gate commands", () => {
  it("turns each gate kind into the kubectl command that waits for it", () => {
    const [crds, ds, dep, sts, cond] = ALL_GATES("platform");
    expect(gateWaitArgs(crds!, 60)).toEqual([
      "wait",
      "--for",
      "condition=Established",
      "--timeout=60s",
      "customresourcedefinition/widgets.example.com",
      "customresourcedefinition/gadgets.example.com",
    ]);
    expect(gateWaitArgs(ds!, 12.2)).toEqual([
      "rollout",
      "status",
      "--namespace",
      "kube-system",
      "daemonset/ds-platform",
      "--timeout=13s",
    ]);
    expect(gateWaitArgs(dep!, 90)).toEqual([
      "wait",
      "--for",
      "condition=Available",
      "--namespace",
      "demo",
      "deployment/dep-platform",
      "--timeout=90s",
    ]);
    expect(gateWaitArgs(sts!, 90)).toEqual([
      "rollout",
      "status",
      "--namespace",
      "demo",
      "statefulset/sts-platform",
      "--timeout=90s",
    ]);
    expect(gateWaitArgs(cond!, 300)).toEqual([
      "wait",
      "--for",
      "condition=Available",
      "tigerastatus/calico-platform",
      "--timeout=300s",
    ]);
    expect(gateWaitArgs(NODES_READY_GATE, 240)).toEqual([
      "wait",
      "--for",
      "condition=Ready",
      "nodes",
      "--all",
      "--timeout=240s",
    ]);
    expect(gateObjects(NODES_READY_GATE)).toBeUndefined();
    expect(gateObjects(ds!)?.args).toEqual(["--namespace", "kube-system", "daemonset/ds-platform"]);
    expect(gateLabel(cond!)).toBe(
      'gate "operator platform" (condition tigerastatus/calico-platform Available)',
    );
  });

  it("adds nodes-ready after the CNI stage unless a component already asked for it", () => {
    const stages: StagePlan[] = [
      { name: "crds", file: "a", serverSide: true, objects: 1, gates: [] },
      { name: "cni", file: "b", serverSide: false, objects: 3, gates: [] },
    ];
    expect(withImplicitGates(stages)[1]!.gates).toEqual([NODES_READY_GATE]);
    const own = { ...NODES_READY_GATE, timeoutSeconds: 600 };
    const withOwn = [stages[0]!, { ...stages[1]!, gates: [own] }];
    expect(withImplicitGates(withOwn)[1]!.gates).toEqual([own]);
  });
});

describe("stages against the fake cluster", { timeout: 60_000 }, () => {
  const NAMES = ["crds", "cni", "platform", "apps", "probes"] as const;
  let fake: Fake;
  let kubectl: Kubectl;
  let synthDir: string;
  let stages: StagePlan[];

  beforeAll(async () => {
    fake = fakeToolchain();
    synthDir = mkdtempSync(join(tmpdir(), "labs-stages-"));
    const kindYaml = join(synthDir, "kind.yaml");
    writeFileSync(
      kindYaml,
      "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n",
    );
    const kubeconfig = join(synthDir, "kubeconfig");
    const tc = new Toolchain({ env: fake.env });
    await tc.run("kind", [
      "create",
      "cluster",
      "--name",
      "labs-stages",
      "--config",
      kindYaml,
      "--kubeconfig",
      kubeconfig,
    ]);
    kubectl = new Kubectl(tc, kubeconfig);
    stages = NAMES.map((name, i) => {
      const file = `000${i}-${name}.k8s.yaml`;
      writeFileSync(
        join(synthDir, file),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: default\n`,
      );
      return { name, file, serverSide: true, objects: 1, gates: ALL_GATES(name) };
    });
  });
  afterAll(() => fake.cleanup());

  const run = (events: ProgressEvent[] = []) =>
    runStages(stages, {
      kubectl,
      progress: new Progress((e) => events.push(e)),
      stageDir: synthDir,
      pollMs: 5,
      applyRetryMs: 5,
    });

  it("applies each stage, then waits for every gate of it, before the next stage", async () => {
    fake.clearLog();
    const events: ProgressEvent[] = [];
    await run(events);
    const lines = fake.lines("kubectl").map((l) => l.replace(/^kubectl --kubeconfig \S+ /, ""));
    let previous = -1;
    for (const s of stages) {
      const apply = indexOf(lines, new RegExp(`^apply --server-side .*${s.file}$`));
      expect(apply).toBeGreaterThan(previous);
      const waits = [
        `customresourcedefinition/gadgets.example.com`,
        `rollout status --namespace kube-system daemonset/ds-${s.name}`,
        `deployment/dep-${s.name}`,
        `statefulset/sts-${s.name}`,
        `tigerastatus/calico-${s.name}`,
      ].map((w) => lines.findIndex((l, i) => i > apply && /^(wait|rollout)/.test(l) && l.includes(w)));
      for (const w of waits) expect(w).toBeGreaterThan(apply);
      expect([...waits].sort((a, b) => a - b)).toEqual(waits);
      // Each gate first checks that its object exists (operators create some of them late).
      expect(lines[waits[0]! - 1]).toBe(
        "get customresourcedefinition/widgets.example.com customresourcedefinition/gadgets.example.com --ignore-not-found --output name",
      );
      previous = Math.max(...waits);
    }
    expect(indexOf(lines, /^wait --for condition=Ready nodes --all/)).toBeGreaterThan(
      indexOf(lines, /0001-cni/),
    );
    const done = events.filter((e) => e.type === "done").map((e) => (e as { id: string }).id);
    expect(done).toContain("gate:probes:4");
    expect(done.at(-1)).toBe("stage:probes");
  });

  for (const [i, name] of NAMES.entries()) {
    it(`stops at a failing gate in the ${name} stage and applies no later stage`, async () => {
      fake.env.FAKE_FAIL = `deployment/dep-${name} --timeout`;
      fake.clearLog();
      try {
        const e = await thrown(() => run());
        expect(e.message).toMatch(
          new RegExp(
            `^gate "dep ${name}" \\(deployment-available demo/dep-${name}\\) failed: error: timed out waiting for the condition on deployment/dep-${name}`,
          ),
        );
        const applied = fake.lines("kubectl").filter((l) => / apply /.test(l));
        expect(applied).toHaveLength(i + 1);
        expect(fake.lines("kubectl").some((l) => l.includes(`statefulset/sts-${name}`))).toBe(false);
      } finally {
        fake.env.FAKE_FAIL = "";
      }
    });

    it(`stops when the ${name} stage's apply fails, naming the stage`, async () => {
      fake.env.FAKE_FAIL = `apply .*000${i}-${name}`;
      fake.env.FAKE_FAIL_MESSAGE = "error: error validating data: unknown field";
      fake.clearLog();
      try {
        const e = await thrown(() => run());
        expect(e).toBeInstanceOf(ApplyFailed);
        expect(e.message).toBe(
          `stage ${name}: kubectl apply failed for ConfigMap default/${name}: error: error validating data: unknown field`,
        );
        expect(fake.lines("kubectl").filter((l) => / apply /.test(l))).toHaveLength(i + 1);
      } finally {
        fake.env.FAKE_FAIL = "";
        fake.env.FAKE_FAIL_MESSAGE = "";
      }
    });
  }
});

describe("a failed apply names the objects kubectl did not apply", () => {
  const ns: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: "demo" } };
  const cm: K8sObject = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "greeting", namespace: "late" },
  };
  const deploy: K8sObject = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "echo", namespace: "demo" },
  };

  it("reads kubectl's name printer: lower-case kind, API group, name", () => {
    expect(printedName(deploy)).toBe("deployment.apps/echo");
    expect(printedName(cm)).toBe("configmap/greeting");
  });

  it("finds the objects missing from kubectl's serverside-applied lines", () => {
    const stdout = "namespace/demo serverside-applied\ndeployment.apps/echo serverside-applied\n";
    expect(notAppliedObjects(stdout, [ns, cm, deploy])).toEqual([cm]);
    expect(notAppliedObjects("", [ns, cm])).toEqual([ns, cm]);
  });

  it("never blames an object whose namesake of the same kind was applied (kubectl prints no namespace)", () => {
    const elsewhere = { ...cm, metadata: { name: "greeting", namespace: "demo" } };
    expect(notAppliedObjects("configmap/greeting serverside-applied\n", [cm, elsewhere])).toEqual([]);
  });

  it("lists six and counts the rest", () => {
    const names = Array.from({ length: 9 }, (_, i) => `ConfigMap demo/c${i}`);
    expect(listObjects(names)).toBe(
      "ConfigMap demo/c0, ConfigMap demo/c1, ConfigMap demo/c2, ConfigMap demo/c3, ConfigMap demo/c4, ConfigMap demo/c5 and 3 more",
    );
  });

  describe("against the fake kubectl", { timeout: 60_000 }, () => {
    let fake: Fake;
    let kubectl: Kubectl;
    let dir: string;
    const stage: StagePlan = {
      name: "apps",
      file: "0003-apps.k8s.yaml",
      serverSide: true,
      objects: 3,
      gates: [],
    };

    beforeAll(async () => {
      fake = fakeToolchain();
      dir = mkdtempSync(join(tmpdir(), "labs-apply-"));
      const kindYaml = join(dir, "kind.yaml");
      writeFileSync(kindYaml, "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n");
      const kubeconfig = join(dir, "kubeconfig");
      const tc = new Toolchain({ env: fake.env });
      await tc.run("kind", [
        "create",
        "cluster",
        "--name",
        "labs-apply",
        "--config",
        kindYaml,
        "--kubeconfig",
        kubeconfig,
      ]);
      kubectl = new Kubectl(tc, kubeconfig);
      writeFileSync(join(dir, stage.file), stringifyYamlDocuments([ns, cm, deploy]));
    });
    afterAll(() => fake.cleanup());

    const apply = () =>
      applyStage(stage, { kubectl, progress: new Progress(() => {}), stageDir: dir, applyRetryMs: 5 });

    it("names the object the API server refused, not those it applied", async () => {
      fake.env.FAKE_APPLY_REFUSE = "^ConfigMap late/";
      try {
        const e = await thrown(apply);
        expect(e).toBeInstanceOf(ApplyFailed);
        expect((e as unknown as ApplyFailed).notApplied).toEqual(["ConfigMap late/greeting"]);
        expect(e.message).toBe(
          'stage apps: kubectl apply failed for ConfigMap late/greeting (1 of 3 objects not applied): Error from server (NotFound): namespaces "late" not found',
        );
      } finally {
        fake.env.FAKE_APPLY_REFUSE = "";
      }
    });

    it("names every object when kubectl applied none of them", async () => {
      fake.env.FAKE_FAIL = "apply .*0003-apps";
      fake.env.FAKE_FAIL_MESSAGE =
        "error: unable to recognize: the server is currently unable to handle the request";
      try {
        const e = await thrown(apply);
        expect(e.message).toBe(
          "stage apps: kubectl apply failed for Namespace demo, ConfigMap late/greeting, Deployment demo/echo (none of its 3 objects applied): error: unable to recognize: the server is currently unable to handle the request",
        );
      } finally {
        fake.env.FAKE_FAIL = "";
        fake.env.FAKE_FAIL_MESSAGE = "";
      }
    });
  });
});
