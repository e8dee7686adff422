/**
 * One lab on the harness's control plane, driven by the runtime's own code: the artifact step
 * and synth (`prepareLab`, offline from the shared upstream mirror) into a lab state folder as
 * `labs up` writes it, the lab's nodes registered as kind would register them, the post-create
 * steps, then every stage applied by `applyStage` (kubectl apply --server-side with the labs
 * field manager, real kubectl) and followed by `runGate` for each gate this control plane can
 * decide. Then: a second apply that must change and conflict with nothing, every pod of the lab
 * placed by the scheduler, and `labs status` / `labs down` through the runtime.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { ArtifactRef } from "../../lib/components/component.ts";
import type { LabJson, StagePlan } from "../../lib/model/lab-json.ts";
import type { LabInput, LabSpec } from "../../lib/model/lab-spec.ts";
import { resolveClusterVariables, writeAppliedStages } from "../../lib/runtime/cluster-variables.ts";
import { type DownResult, down } from "../../lib/runtime/down.ts";
import { GateFailed, gateLabel, runGate } from "../../lib/runtime/gates.ts";
import { Kubectl, type KubeList, type PodJson } from "../../lib/runtime/kubectl.ts";
import { prepareLab, writePrepared } from "../../lib/runtime/prepare.ts";
import { lastLines } from "../../lib/runtime/process.ts";
import { Progress } from "../../lib/runtime/progress.ts";
import { ApplyFailed, applyStage, listObjects, withImplicitGates } from "../../lib/runtime/stages.ts";
import { LabState, writeJsonAtomic } from "../../lib/runtime/state.ts";
import { labsStatus, type StatusReport } from "../../lib/runtime/status.ts";
import { Toolchain } from "../../lib/runtime/toolchain.ts";
import { seedArtifactCache } from "../support/envoy-gateway-chart.ts";
import { conversionWebhooksOf, describeWebhook, webhooksOf } from "./admission.ts";
import type { Binary } from "./binaries.ts";
import { ControlPlane } from "./control-plane.ts";
import { classifyGate, type GateCheck } from "./gate-checks.ts";
import { CONTROL_PLANE_LABEL, internalIP, kindNodes } from "./kind-nodes.ts";
import { describeObject, type K8sObject, stageObjects, workloadsOf } from "./manifests.ts";

const STANDIN = fileURLToPath(new URL("./standin.mjs", import.meta.url));

/** The first thing that went wrong, named as a user would need it: stage, object, what the API said. */
export class LabFailure extends Error {
  constructor(
    readonly stage: string,
    readonly what: string,
    readonly detail: string,
    /** The runtime's own error, as `labs up` would report it. */
    options?: { cause: unknown },
  ) {
    super(`stage ${stage}: ${what}: ${detail}`, options);
  }
}

export interface GateOutcome {
  stage: string;
  check: GateCheck;
  /** passed: the runtime's gate held; skipped: not checkable (the reason is in `check`). */
  result: "passed" | "not-checkable";
}

/**
 * An artifact no offline mirror here holds, built by the tests themselves (the Envoy Gateway
 * chart, assembled from its Go module: test/support/envoy-gateway-chart.ts). It is put into each
 * lab's cache through the artifact step before the lab's own artifact step runs.
 */
export interface SeededArtifact {
  ref: ArtifactRef;
  /** A labs mirror folder (index.json) that holds it under the ref's URL. */
  mirror: string;
  /** What it is and is not, printed for every lab that uses it. */
  provenance: string;
}

export interface HarnessOptions {
  binaries: Record<Binary, string>;
  /** Folder laid out like ../shared/upstream (index.json): the pinned files, offline. */
  mirror?: string;
  seeded?: SeededArtifact[];
  /** helm, for labs that render a chart. */
  helm?: string;
  /** Notes for the suite's output (what ran, what is not checkable). */
  log?: (line: string) => void;
  /** Multiplies gate timeouts (the catalogue's are sized for a laptop pulling images). */
  timeoutScale?: number;
}

/** A lab synthesized into its own state folder, before any cluster exists. */
export interface PreparedHarnessLab {
  name: string;
  root: string;
  env: NodeJS.ProcessEnv;
  state: LabState;
  labJson: LabJson;
  /** The provenance of every seeded artifact the lab used. */
  notes: string[];
}

/** Artifacts (offline, from the mirror) and synth, into a fresh state folder, as `labs up` does. */
export async function prepareHarnessLab(
  spec: LabSpec | LabInput,
  opts: Pick<HarnessOptions, "binaries" | "mirror" | "helm" | "seeded">,
): Promise<PreparedHarnessLab> {
  const root = mkdtempSync(join(tmpdir(), "labs-cp-lab-"));
  const env = harnessEnv(root, opts.binaries);
  const name = (spec as { name: string }).name;
  const state = new LabState(env.LABS_STATE_DIR!, name).ensure();
  const notes: string[] = [];
  try {
    for (const seed of opts.seeded ?? []) await seedArtifactCache(env.LABS_CACHE_DIR!, seed);
    const prepared = await prepareLab(spec, {
      cacheDir: env.LABS_CACHE_DIR!,
      offline: true,
      mirror: opts.mirror,
      // Tarballs (CNI plugins) only matter to nodes that mount them: no node mounts anything here.
      arch: "synth",
      helm: () => {
        if (!opts.helm) throw new Error("no helm binary at hand");
        return opts.helm;
      },
    });
    writePrepared(prepared, state.synthDir);
    for (const seed of opts.seeded ?? [])
      if (prepared.artifacts.resolved.some((r) => r.id === seed.ref.id)) notes.push(seed.provenance);
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  return { name, root, env, state, labJson: state.readLabJson(), notes };
}

/** The environment the runtime's toolchain sees: real kubectl, stand-ins for kind and docker. */
function harnessEnv(root: string, binaries: Record<Binary, string>): NodeJS.ProcessEnv {
  const bin = join(root, "bin");
  mkdirSync(bin, { recursive: true });
  for (const tool of ["kind", "docker"]) {
    const shim = join(bin, tool);
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${STANDIN}" ${tool} "$@"\n`);
    chmodSync(shim, 0o755);
  }
  const standin = join(root, "standin.json");
  writeFileSync(standin, JSON.stringify({ clusters: {} }));
  return {
    PATH: bin,
    HOME: join(root, "home"),
    LABS_STATE_DIR: join(root, "state"),
    LABS_CACHE_DIR: join(root, "cache"),
    LABS_KUBECTL: binaries.kubectl,
    LABS_CP_STANDIN: standin,
    NO_COLOR: "1",
  };
}

/** A lab on a running control plane. */
export class LabCluster {
  readonly kubectl: Kubectl;
  readonly progress: Progress;
  readonly gates: GateOutcome[] = [];
  readonly notices: string[] = [];
  private objectsByStage = new Map<string, K8sObject[]>();

  private constructor(
    readonly lab: PreparedHarnessLab,
    readonly cp: ControlPlane,
    readonly opts: HarnessOptions,
  ) {
    this.kubectl = new Kubectl(new Toolchain({ env: lab.env }), lab.state.kubeconfig);
    this.progress = new Progress((e) => {
      if (e.type === "note") this.log(`  ${e.level === "warn" ? "warning: " : ""}${e.message}`);
    });
    for (const stage of lab.labJson.stages)
      this.objectsByStage.set(stage.name, stageObjects(lab.state.synthDir, stage));
  }

  /**
   * Starts a control plane for the lab, registers its nodes, writes the kubeconfig and the
   * marker `labs up` writes after `kind create cluster`, and runs the post-create steps.
   */
  static async start(lab: PreparedHarnessLab, opts: HarnessOptions): Promise<LabCluster> {
    const { labJson, state } = lab;
    const kindYaml = readFileSync(join(state.synthDir, "kind.yaml"), "utf8");
    const nodes = kindNodes(kindYaml, {
      clusterName: labJson.clusterName,
      kubeletVersion: labJson.kubernetes.startsWith("v") ? labJson.kubernetes : `v${labJson.kubernetes}`,
    });
    const controlPlane = nodes.find((n) => CONTROL_PLANE_LABEL in n.metadata.labels);
    const cp = await ControlPlane.start({
      binaries: opts.binaries,
      clusterName: labJson.clusterName,
      podSubnet: labJson.network.podSubnet,
      serviceSubnet: labJson.network.serviceSubnet,
      controlPlaneNode: controlPlane?.metadata.name,
      // As on kind: the `kubernetes` EndpointSlice lists the control-plane node's address.
      advertiseAddress: controlPlane ? internalIP(controlPlane) : undefined,
    });
    const cluster = new LabCluster(lab, cp, opts);
    try {
      cp.writeKubeconfig(state.kubeconfig, undefined, `kind-${labJson.clusterName}`);
      state.writeMarker({
        markerVersion: 1,
        createdBy: "labs",
        labsVersion: "control-plane-harness",
        lab: lab.name,
        cluster: labJson.clusterName,
        phase: "created",
        createdAt: new Date().toISOString(),
        kubeconfig: state.kubeconfig,
      });
      writeJsonAtomic(lab.env.LABS_CP_STANDIN!, {
        clusters: { [labJson.clusterName]: { pids: cp.procs.map((p) => p.pid) } },
      });
      await cluster.registerNodes(nodes);
      await cluster.postCreate();
      await cluster.fillClusterVariables();
      return cluster;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  log(line: string): void {
    this.opts.log?.(line);
  }

  /** What the kubelets would do on kind: register each Node, then kwok keeps them Ready. */
  private async registerNodes(nodes: ReturnType<typeof kindNodes>): Promise<void> {
    const r = await this.kubectl.run(["create", "--filename", "-"], {
      input: nodes.map((n) => stringify(n)).join("---\n"),
      timeoutMs: 60_000,
    });
    if (!r.ok) throw new Error(`registering the nodes failed: ${lastLines(r.stderr)}`);
    // Ready (kwok) and a podCIDR (controller-manager), as on kind before any stage is applied.
    const w = await this.kubectl.run(
      ["wait", "--for", "condition=Ready", "nodes", "--all", "--timeout=90s"],
      {
        timeoutMs: 120_000,
      },
    );
    if (!w.ok)
      throw new Error(
        `the nodes did not turn Ready: ${lastLines(w.stderr)}\n${this.cp.crashed().join("\n")}`,
      );
    const cidrs = await this.podCIDRs(nodes.length);
    this.log(
      `  nodes: ${nodes.map((n) => `${n.metadata.name} (podCIDR ${cidrs.get(n.metadata.name)})`).join(", ")}: named, labelled and tainted as kind v0.32 does; kwok stands in for their kubelets`,
    );
  }

  /** Each node's podCIDR, once the controller-manager has given every node one from the podSubnet. */
  private async podCIDRs(count: number): Promise<Map<string, string>> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const list = await this.kubectl.getJson<
        KubeList<{ metadata: { name: string }; spec?: { podCIDR?: string } }>
      >(["nodes"]);
      const cidrs = new Map(
        (list?.items ?? []).filter((n) => n.spec?.podCIDR).map((n) => [n.metadata.name, n.spec!.podCIDR!]),
      );
      if (cidrs.size === count) return cidrs;
      if (Date.now() > deadline)
        throw new Error(
          `the controller-manager gave ${cidrs.size} of ${count} nodes a podCIDR\n${this.cp.crashed().join("\n")}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The lab's post-create steps (kubectl, once after the cluster exists), as `labs up` runs them. */
  private async postCreate(): Promise<void> {
    for (const step of this.lab.labJson.postCreate ?? []) {
      const r = await this.kubectl.run(step.kubectl, { timeoutMs: 60_000 });
      if (!r.ok) throw new LabFailure("post-create", step.id, lastLines(r.stderr));
      this.log(`  post-create ${step.id}: ${lastLines(r.stdout || r.stderr) || "done"}`);
    }
  }

  /**
   * The lab's cluster variables (the API server's address for calico-ebpf) read from the running
   * API server and filled into the stage files `labs up` applies, with the runtime's own functions.
   */
  private async fillClusterVariables(): Promise<void> {
    const { labJson, state } = this.lab;
    const variables = labJson.clusterVariables ?? [];
    const values = variables.length ? await resolveClusterVariables(this.kubectl, variables) : {};
    writeAppliedStages(state.synthDir, state.appliedDir, labJson.stages, variables, values);
    const filled = Object.entries(values).map(([k, v]) => `${k}=${v}`);
    if (filled.length) this.log(`  cluster variables: ${filled.join(", ")}`);
  }

  get stages(): StagePlan[] {
    return withImplicitGates(this.lab.labJson.stages);
  }

  objects(stage?: string): K8sObject[] {
    if (stage) return this.objectsByStage.get(stage) ?? [];
    return [...this.objectsByStage.values()].flat();
  }

  /**
   * Every stage in order: the runtime's apply, then each gate the control plane can decide
   * (the others are recorded as not checkable). Throws LabFailure on the first failure.
   */
  async applyStages(): Promise<void> {
    const sides = this.lab.labJson.sideContainers;
    for (const side of sides)
      this.notices.push(
        `side container ${side.name} (${side.image}): runs in Docker next to the cluster; not checkable without a cluster`,
      );
    for (const w of webhooksOf(this.objects())) this.notices.push(describeWebhook(w));
    this.notices.push(...conversionWebhooksOf(this.objects()));
    for (const stage of this.stages) {
      if (stage.objects) await this.apply(stage);
      for (const gate of stage.gates) {
        const check = classifyGate(gate, this.objects());
        if (check.mode === "not-checkable") {
          this.gates.push({ stage: stage.name, check, result: "not-checkable" });
          continue;
        }
        try {
          await runGate(this.kubectl, gate, { pollMs: 500, timeoutScale: this.opts.timeoutScale ?? 0.5 });
        } catch (e) {
          if (!(e instanceof GateFailed)) throw e;
          throw new LabFailure(stage.name, gateLabel(gate), `${e.detail}${await this.schedulingHint()}`);
        }
        this.gates.push({ stage: stage.name, check, result: "passed" });
      }
    }
  }

  /** One stage through the runtime's apply; a failure names the stage and the objects the runtime says were not applied. */
  async apply(stage: StagePlan): Promise<void> {
    try {
      await applyStage(stage, {
        kubectl: this.kubectl,
        progress: this.progress,
        stageDir: this.lab.state.appliedDir,
        applyRetryMs: 1_000,
      });
    } catch (e) {
      if (!(e instanceof ApplyFailed)) throw e;
      throw new LabFailure(
        stage.name,
        e.notApplied.length ? `not applied: ${listObjects(e.notApplied)}` : "kubectl apply",
        e.detail,
        { cause: e },
      );
    }
  }

  /**
   * The second apply: first a server-side dry run without --force-conflicts (a field another
   * manager took over would be a conflict), then the runtime's own apply; it must not change any
   * object's spec (generation) nor what the labs field manager owns. An object that went away by
   * design between the two applies (a finished Job's ttlSecondsAfterFinished) comes back: that is
   * listed, not failed, since `labs up` on a real cluster does the same.
   */
  async reapply(): Promise<{
    compared: number;
    changed: string[];
    conflicts: string[];
    recreated: string[];
  }> {
    const changed: string[] = [];
    const conflicts: string[] = [];
    const recreated: string[] = [];
    let compared = 0;
    for (const stage of this.stages.filter((s) => s.objects)) {
      const file = join(this.lab.state.appliedDir, stage.file);
      const dry = await this.kubectl.run(
        ["apply", "--server-side", "--field-manager", "labs", "--dry-run=server", "--filename", file],
        { timeoutMs: 5 * 60_000 },
      );
      // kubectl explains a conflict at length; the lines naming the manager and field are the point.
      const said = dry.stderr.split("\n").filter((l) => /Apply failed|conflict with/.test(l));
      if (!dry.ok)
        conflicts.push(`stage ${stage.name}: ${said.length ? said.join(" | ") : lastLines(dry.stderr)}`);
      const before = await this.snapshot(file);
      await this.apply(stage);
      const after = await this.snapshot(file);
      for (const o of this.objects(stage.name)) {
        const id = describeObject(o);
        const was = before.get(id);
        const now = after.get(id);
        if (!now) changed.push(`stage ${stage.name}: ${id} is missing after the second apply`);
        else if (!was) {
          const ttl = (o.spec as { ttlSecondsAfterFinished?: number } | undefined)?.ttlSecondsAfterFinished;
          if (o.kind === "Job" && ttl !== undefined)
            recreated.push(`${id} (removed after it finished: ttlSecondsAfterFinished ${ttl})`);
          else
            changed.push(`stage ${stage.name}: ${id} was missing before the second apply, which created it`);
        } else {
          compared++;
          if (now.generation !== was.generation)
            changed.push(`stage ${stage.name}: ${id} generation ${was.generation} → ${now.generation}`);
          else if (now.owned !== was.owned)
            changed.push(`stage ${stage.name}: ${id}: fields owned by labs changed`);
        }
      }
    }
    return { compared, changed, conflicts, recreated };
  }

  /** Per object: its generation and what the labs field manager owns (with the time it last wrote). */
  private async snapshot(file: string): Promise<Map<string, { generation: number; owned: string }>> {
    const r = await this.kubectl.run(["get", "--filename", file, "--ignore-not-found", "--output", "json"], {
      timeoutMs: 5 * 60_000,
    });
    if (!r.ok) throw new Error(`kubectl get --filename ${file} failed: ${lastLines(r.stderr)}`);
    // One object comes back as itself, several as a List.
    const parsed = JSON.parse(r.stdout || '{"kind":"List","items":[]}') as K8sObject &
      Partial<KubeList<K8sObject>>;
    const items = parsed.kind === "List" ? (parsed.items ?? []) : [parsed];
    const out = new Map<string, { generation: number; owned: string }>();
    for (const o of items) {
      const meta = o.metadata as {
        generation?: number;
        managedFields?: { manager: string; operation: string }[];
      };
      const entry = meta.managedFields?.find((m) => m.manager === "labs" && m.operation === "Apply");
      out.set(describeObject(o), { generation: meta.generation ?? 0, owned: JSON.stringify(entry ?? null) });
    }
    return out;
  }

  /** Pods of the lab that no node took, with the scheduler's reason. */
  async unscheduledPods(): Promise<string[]> {
    const pods = await this.kubectl.getJson<KubeList<PodJson>>(["pods", "--all-namespaces"]);
    return (pods?.items ?? [])
      .filter((p) => !p.spec?.nodeName)
      .map((p) => {
        const scheduled = p.status?.conditions?.find((c) => c.type === "PodScheduled") as
          | { message?: string }
          | undefined;
        const why = scheduled?.message ?? "not scheduled yet";
        return `Pod ${p.metadata.namespace}/${p.metadata.name}: ${why}`;
      });
  }

  /** Every pod the lab's workloads made, by node. */
  async podsByNode(): Promise<Map<string, string[]>> {
    const pods = await this.kubectl.getJson<KubeList<PodJson>>(["pods", "--all-namespaces"]);
    const byNode = new Map<string, string[]>();
    for (const p of pods?.items ?? []) {
      const node = p.spec?.nodeName ?? "(none)";
      byNode.set(node, [...(byNode.get(node) ?? []), `${p.metadata.namespace}/${p.metadata.name}`]);
    }
    return byNode;
  }

  /** The lab's workloads whose controllers did not make every pod they want. */
  async incompleteWorkloads(): Promise<string[]> {
    const out: string[] = [];
    for (const w of workloadsOf(this.objects())) {
      if (w.kind === "Pod" || w.kind === "ReplicaSet") continue;
      const ns = w.metadata?.namespace ?? "default";
      const live = await this.kubectl.getJson<{
        spec?: Record<string, number>;
        status?: Record<string, number>;
      }>(["--namespace", ns, `${w.kind.toLowerCase()}/${w.metadata?.name}`]);
      const s = live?.status ?? {};
      const what = describeObject(w);
      const ttl = (w.spec as { ttlSecondsAfterFinished?: number } | undefined)?.ttlSecondsAfterFinished;
      if (!live && w.kind === "Job" && ttl !== undefined) continue; // finished, then removed by its TTL
      if (!live) out.push(`${what}: not found`);
      else if (
        w.kind === "DaemonSet" &&
        (!s.desiredNumberScheduled || s.currentNumberScheduled !== s.desiredNumberScheduled)
      )
        out.push(
          `${what}: ${s.currentNumberScheduled ?? 0} of ${s.desiredNumberScheduled ?? 0} pods scheduled`,
        );
      else if (
        (w.kind === "Deployment" || w.kind === "StatefulSet") &&
        (s.readyReplicas ?? 0) < (live.spec?.replicas ?? 1)
      )
        out.push(`${what}: ${s.readyReplicas ?? 0} of ${live.spec?.replicas ?? 1} replicas ready`);
      else if (w.kind === "Job" && !s.succeeded) out.push(`${what}: not completed`);
    }
    return out;
  }

  /**
   * DaemonSets the lab gates as running "on every node" that the DaemonSet controller does not
   * put on every node (a missing toleration for the control-plane taint, a nodeSelector): on kind
   * that node would lack the agent, and `rollout status` would still pass.
   */
  async daemonSetsMissingNodes(): Promise<string[]> {
    const nodes = (await this.kubectl.getJson<KubeList<unknown>>(["nodes"]))?.items.length ?? 0;
    const out: string[] = [];
    for (const stage of this.stages)
      for (const gate of stage.gates) {
        if (gate.kind !== "daemonset-rolled-out") continue;
        if (classifyGate(gate, this.objects()).mode === "not-checkable") continue;
        const ds = await this.kubectl.getJson<{ status?: { desiredNumberScheduled?: number } }>([
          "--namespace",
          gate.namespace,
          `daemonset/${gate.name}`,
        ]);
        const desired = ds?.status?.desiredNumberScheduled ?? 0;
        if (desired !== nodes)
          out.push(
            `DaemonSet ${gate.namespace}/${gate.name} runs on ${desired} of ${nodes} nodes (gate: "${gate.description}")`,
          );
      }
    return out;
  }

  /** What the scheduler said about pods it could not place, to go with a failed gate. */
  private async schedulingHint(): Promise<string> {
    const stuck = await this.unscheduledPods().catch(() => []);
    return stuck.length ? `; the scheduler: ${stuck.join("; ")}` : "";
  }

  /** `labs status` through the runtime. */
  status(): Promise<StatusReport> {
    return labsStatus(this.lab.env);
  }

  /** `labs down` through the runtime: its kind stand-in stops this control plane. */
  down(): Promise<DownResult> {
    return down(this.lab.name, { env: this.lab.env });
  }

  /** Stops whatever still runs and removes every temporary folder. */
  async stop(): Promise<void> {
    await this.cp.stop();
    rmSync(this.lab.root, { recursive: true, force: true });
  }
}
