/**
 * `labs up`: toolchain → artifacts and synth → kind create (or converge an existing lab cluster)
 * → stages with their gates → side containers → verify. Each step is a timed task; timings go
 * to timings.json. A failure names the task (stage and gate), writes a diagnostics bundle and
 * leaves the cluster for inspection. Ctrl-C cancels the running command, leaves the marker and
 * state consistent, and surfaces as `Interrupted`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";
import { assertPoolInNetwork } from "../components/address-pool.ts";
import type { NodeArch } from "../components/component.ts";
import { nodeArchOf } from "../components/host-paths.ts";
import { addressPoolsOf, type ResolvedLab, resolveLab } from "../components/resolve.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { LabJson, SideContainer } from "../model/lab-json.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import type { ArtifactEvent } from "../upstream/fetch-artifacts.ts";
import { upstreamSettingsFromEnv } from "../upstream/settings.ts";
import { resolveClusterVariables, writeAppliedStages } from "./cluster-variables.ts";
import { commandLogger } from "./command-log.ts";
import { writeDiagnostics } from "./diagnostics.ts";
import {
  containerId,
  type DockerInfo,
  imagePresent,
  kindNetworkSubnets,
  pullImage,
  requireDocker,
} from "./docker.ts";
import { doctorChecks } from "./doctor/checks.ts";
import { gatherFacts } from "./doctor/facts.ts";
import { labNeeds } from "./doctor/lab-needs.ts";
import { brokenLabError, currentFault, retireFaultState } from "./fault-state.ts";
import { createCluster, deleteCluster, exportKubeconfig, kindClusters, loadImages } from "./kind.ts";
import { checkHostPaths, concreteKindConfig, nodeImageOf } from "./kind-config.ts";
import { Kubectl } from "./kubectl.ts";
import { assertOwnCluster } from "./ownership.ts";
import { checkHostPorts } from "./ports.ts";
import { prepareLab, writePrepared } from "./prepare.ts";
import { Interrupted, isInterrupted, lastLines, type RunResult } from "./process.ts";
import { Progress, type ProgressSink, type TaskTiming } from "./progress.ts";
import { dockerInVm, ensureSideContainers, sideContainerFor } from "./side-containers.ts";
import { describeFailure, runStages } from "./stages.ts";
import {
  type ClusterMarker,
  LabState,
  listLabStates,
  readJson,
  stateRoot,
  writeJsonAtomic,
} from "./state.ts";
import { type EnsureToolsOptions, ensureClusterTools } from "./tool-install.ts";
import { Toolchain } from "./toolchain.ts";
import { type VerifyOutcome, verifyLab } from "./verify.ts";

export interface UpOptions {
  /** The lab as the catalogue parsed it: `up` resolves it once and parses it no more. */
  spec: LabSpec;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  progress?: ProgressSink;
  /** Delete and create the cluster even when it exists. */
  recreate?: boolean;
  /** Pull every image of the lock on the host once and `kind load` it into the nodes. */
  preload?: boolean;
  /** Also write the cluster's context into the user's kubeconfig. */
  exportKubeconfig?: boolean;
  /** Run the probes at the end. @default true */
  verify?: boolean;
  /**
   * Read this machine's kernel, inotify and cgroup files for the doctor checks `up` runs first.
   * @default on Linux with a local Docker engine (see gatherFacts)
   */
  readHost?: boolean;
  offline?: boolean;
  mirror?: string;
  /** Install missing kind/kubectl without asking (`--yes`), or ask through `ask` on a terminal. */
  tools?: Omit<EnsureToolsOptions, "command">;
  /** Multiplies every gate's timeout. */
  timeoutScale?: number;
  /** Pause between readiness polls (tests make it short). */
  pollMs?: number;
  /** Pause between apply retries. */
  applyRetryMs?: number;
  labsVersion?: string;
}

export interface UpResult {
  lab: string;
  cluster: string;
  state: LabState;
  kubeconfig: string;
  /** `created`, `recreated`, or `converged` (the cluster existed). */
  action: "created" | "recreated" | "converged";
  timings: TaskTiming[];
  verify?: VerifyOutcome;
}

/** `up` failed: the message names the task, stage and gate; the cluster is left as it is. */
export class UpFailed extends LabError {
  constructor(
    message: string,
    fix: string,
    exitCode: number,
    readonly diagnostics: string | undefined,
    readonly task: string | undefined,
  ) {
    super(message, fix, exitCode);
  }
}

/** Thrown when `up` was interrupted; carries what to tell the user. */
export class UpInterrupted extends Interrupted {
  constructor(
    readonly lab: string,
    readonly task: string | undefined,
    readonly clusterExists: boolean,
  ) {
    super(`labs up ${lab} was interrupted${task ? ` during ${task}` : ""}`);
  }
}

/** What every step of one `labs up` shares. */
interface Run {
  opts: UpOptions;
  env: NodeJS.ProcessEnv;
  spec: LabSpec;
  /** The lab resolved once, for the steps before synth (doctor, artifacts, synth, lb pool). */
  lab: ResolvedLab;
  state: LabState;
  tc: Toolchain;
  kubectl: Kubectl;
  progress: Progress;
  failed: FailedTask;
  startedAt: Date;
  labJson?: LabJson;
  /** kind was asked to create the cluster: from here on a failure has something to diagnose. */
  createAttempted: boolean;
  clusterExists: boolean;
}

export async function up(opts: UpOptions): Promise<UpResult> {
  const run = startRun(opts);
  let outcome: "ok" | "failed" | "interrupted" = "failed";
  try {
    const result = await steps(run);
    outcome = "ok";
    return result;
  } catch (e) {
    if (isInterrupted(e) || opts.signal?.aborted) {
      outcome = "interrupted";
      const exists = run.clusterExists || run.state.readMarker() !== undefined;
      throw new UpInterrupted(run.spec.name, run.failed.title, exists);
    }
    // Before kind was asked for a cluster there is nothing to diagnose: the error says it all.
    if (!run.clusterExists && !run.createAttempted) throw e;
    throw await failure(run, e);
  } finally {
    writeJsonAtomic(run.state.timings, {
      lab: run.spec.name,
      cluster: run.state.clusterName,
      startedAt: run.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      result: outcome,
      tasks: run.progress.timings,
    });
  }
}

function startRun(opts: UpOptions): Run {
  const env = opts.env ?? process.env;
  const lab = resolveLab(opts.spec);
  const spec = lab.spec;
  const state = new LabState(stateRoot(env), spec.name).ensure();
  const tc = new Toolchain({ env, signal: opts.signal, onCommand: commandLogger(state.logsDir) });
  const failed = new FailedTask(opts.progress);
  return {
    opts,
    env,
    spec,
    lab,
    state,
    tc,
    kubectl: new Kubectl(tc, state.kubeconfig),
    progress: new Progress(failed.sink),
    failed,
    startedAt: new Date(),
    createAttempted: false,
    clusterExists: false,
  };
}

/** The steps of `labs up`, in order. */
async function steps(run: Run): Promise<UpResult> {
  const { opts, state, progress } = run;
  const docker = await checkToolchain(run);
  await refuseIfBroken(run);
  await checkHost(run);
  const kindYaml = await synthesize(run, nodeArchOf(docker.architecture ?? process.arch));
  const images = opts.preload ? await preloadPull(run) : [];
  const action = await ensureCluster(run, kindYaml);
  run.clusterExists = true;
  await runPostCreate(run);
  await fillClusterVariables(run);
  await checkLoadBalancerPool(run);
  if (images.length) await preloadLoad(run, images);
  await applyStages(run, dockerInVm(docker));
  if (opts.exportKubeconfig) await exportUserKubeconfig(run);
  let verify: VerifyOutcome | undefined;
  if (opts.verify !== false) {
    verify = await progress.task(
      "verify",
      "verify: run the probes",
      () => verifyLab({ lab: run.spec.name, env: run.env, signal: opts.signal, toolchain: run.tc }),
      (v) => v.summary,
    );
  }
  return {
    lab: run.spec.name,
    cluster: state.clusterName,
    state,
    kubeconfig: state.kubeconfig,
    action,
    timings: progress.timings,
    verify,
  };
}

/** Docker must answer; kind and kubectl are offered for install when missing. */
async function checkToolchain(run: Run): Promise<DockerInfo> {
  return run.progress.task(
    "toolchain",
    "toolchain: Docker, kind, kubectl",
    async () => {
      const info = await requireDocker(run.tc);
      await ensureClusterTools(run.tc, { ...run.opts.tools, command: `labs up ${run.spec.name}` });
      // Tool versions (kind other than the pinned one, kubectl skew) are the doctor's checks.
      return info;
    },
    (info) => `Docker ${info.serverVersion} (${info.architecture ?? "?"})`,
  );
}

/**
 * A lab broken on purpose (`labs break`) is not converged over its fault (brokenLabError says
 * why); `--recreate` goes on, since the new cluster has no fault. A fault recorded for a cluster
 * that is gone (deleted with kind itself, or left half-created) is retired instead.
 */
async function refuseIfBroken(run: Run): Promise<void> {
  const { state, opts } = run;
  if (opts.recreate) return;
  const fault = currentFault(state);
  if (!fault) return;
  const running = (await kindClusters(run.tc)).includes(state.clusterName);
  if (running && state.readMarker()?.phase !== "creating") throw brokenLabError(run.spec.name, fault);
  retireFaultState(state, fault, new Date().toISOString());
}

/**
 * The lab's doctor checks (`labs doctor <lab>`) before anything is made: a `fail` stops `up`
 * with the check's fix; warnings are shown and `up` goes on.
 */
async function checkHost(run: Run): Promise<void> {
  const { progress, spec } = run;
  await progress.task(
    "doctor",
    `doctor: what ${spec.name} needs of this host`,
    async () => {
      // Host ports are checked right before `kind create`, where the cluster would bind them
      // (checkHostPorts names the lab holding one); a converged cluster holds its own already.
      const facts = await gatherFacts(
        run.tc,
        { ...labNeeds(run.lab), hostPorts: [] },
        {
          stateRoot: run.state.root,
          readHost: run.opts.readHost,
        },
      );
      const checks = doctorChecks(facts);
      for (const c of checks.filter((x) => x.status === "warn"))
        progress.note(`${c.title}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ""}`, "warn");
      const failed = checks.filter((c) => c.status === "fail");
      if (failed.length) {
        throw new LabError(
          `${spec.name} cannot run on this host: ${failed.map((c) => `${c.title}: ${c.detail}`).join("; ")}`,
          failed
            .map((c) => c.fix)
            .filter(Boolean)
            .join("; "),
          EXIT.environment,
        );
      }
      return checks;
    },
    (checks) => `${checks.length} checks, ${checks.filter((c) => c.status === "warn").length} warnings`,
  );
}

/** Artifacts, synth into the state folder, and the concrete kind config; returns the synthesized kind.yaml. */
async function synthesize(run: Run, arch: NodeArch): Promise<string> {
  const { state, progress } = run;
  // Flags win over LABS_OFFLINE / LABS_MIRROR; the cache is LABS_CACHE_DIR's, as for `labs prefetch`.
  const upstream = upstreamSettingsFromEnv(run.env);
  await progress.task("synth", "artifacts and synth", async () => {
    const prepared = await prepareLab(run.lab, {
      cacheDir: upstream.cacheDir,
      offline: run.opts.offline || upstream.offline,
      mirror: run.opts.mirror ?? upstream.mirror,
      arch,
      helm: () => run.tc.path("helm"),
      helmRun: { env: run.env, signal: run.tc.signal, onCommand: commandLogger(state.logsDir) },
      onArtifact: (e) => noteArtifact(progress, e),
    });
    writePrepared(prepared, state.synthDir);
  });
  const labJson = state.readLabJson();
  run.labJson = labJson;
  const kindYaml = readFileSync(join(state.synthDir, "kind.yaml"), "utf8");
  const concrete = concreteKindConfig(kindYaml, labJson.hostPathVariables ?? [], {
    cacheDir: upstream.cacheDir,
    arch,
  });
  checkHostPaths(concrete.hostPaths, run.spec.name);
  writeFileSync(state.kindConfig, concrete.yaml);
  return kindYaml;
}

/**
 * Creates the cluster, or converges the lab's existing one. A cluster of that name labs did not
 * create is refused; one an interrupted run left half-created is made again.
 */
async function ensureCluster(run: Run, kindYaml: string): Promise<UpResult["action"]> {
  const { tc, state, progress } = run;
  const clusters = await kindClusters(tc);
  const exists = clusters.includes(state.clusterName);
  let create = !exists || Boolean(run.opts.recreate);
  if (exists) {
    const marker = state.readMarker();
    await assertOwnCluster(tc, state, marker);
    if (marker?.phase === "creating") {
      progress.note(
        `cluster ${state.clusterName} was left half-created by an interrupted run: recreating it`,
        "warn",
      );
      create = true;
    }
  }
  if (!create) {
    progress.skip(
      "cluster",
      `kind cluster ${state.clusterName}`,
      "exists: converging it (--recreate to start afresh)",
    );
    if (!existsSync(state.kubeconfig)) await writeOwnKubeconfig(tc, state);
    return "converged";
  }
  await progress.task("ports", "host ports", () =>
    checkHostPorts(run.spec.name, run.labJson!.hostPorts, runningLabPorts(state, clusters)),
  );
  if (exists) {
    await progress.task("delete", `delete cluster ${state.clusterName}`, async () => {
      must(await deleteCluster(tc, state.clusterName, state.kubeconfig), "kind delete cluster");
      state.removeMarker();
    });
  }
  run.createAttempted = true;
  await progress.task("cluster", `kind create cluster ${state.clusterName}`, () =>
    createLabCluster(tc, state, kindYaml, run.opts.labsVersion ?? "unknown"),
  );
  return exists ? "recreated" : "created";
}

/**
 * The stage files as they are applied, in the state folder: the synthesized ones with the
 * cluster's own values (e.g. the API server's address) filled in.
 */
async function fillClusterVariables(run: Run): Promise<void> {
  const { state, labJson } = run;
  const variables = labJson!.clusterVariables ?? [];
  const write = (values: Record<string, string>) =>
    writeAppliedStages(state.synthDir, state.appliedDir, labJson!.stages, variables, values);
  if (!variables.length) return write({});
  await run.progress.task(
    "cluster-variables",
    `cluster values for the stages: ${variables.map((v) => v.name).join(", ")}`,
    async () => {
      const values = await resolveClusterVariables(run.kubectl, variables);
      write(values);
      return values;
    },
    (values) =>
      Object.entries(values)
        .map(([k, v]) => `${k}=${v}`)
        .join(", "),
  );
}

/** Address pools (MetalLB's) must lie inside the real `kind` network, which exists once the cluster does. */
async function checkLoadBalancerPool(run: Run): Promise<void> {
  for (const [i, pool] of addressPoolsOf(run.lab).entries()) {
    await run.progress.task(
      i === 0 ? "lb-pool" : `lb-pool-${i + 1}`,
      "load balancer pool inside the kind network",
      async () => assertPoolInNetwork(pool, (await kindNetworkSubnets(run.tc)) ?? []),
      (subnet) => `${pool.range} in ${subnet}`,
    );
  }
}

/** Pulls every image of the lock that the host does not have yet; returns them all. */
async function preloadPull(run: Run): Promise<string[]> {
  const images = lockImages(run.state);
  await run.progress.task("preload:pull", `preload: pull ${images.length} images once`, async () => {
    for (const image of images) {
      if (await imagePresent(run.tc, image)) continue;
      must(await pullImage(run.tc, image), `docker pull ${image}`);
    }
  });
  return images;
}

async function preloadLoad(run: Run, images: string[]): Promise<void> {
  await run.progress.task("preload:load", `preload: kind load ${images.length} images`, async () =>
    must(await loadImages(run.tc, run.state.clusterName, images), "kind load docker-image"),
  );
}

/** The stages with their gates; side containers start before the stage they name, or at the end. */
async function applyStages(run: Run, inVm: boolean): Promise<void> {
  const labJson = run.labJson!;
  const sides = labJson.sideContainers.map((c) => sideContainerFor(c, inVm));
  const stageNames = new Set(labJson.stages.map((st) => st.name));
  const start = async (group: SideContainer[], id: string) => {
    if (!group.length) return;
    await run.progress.task(
      id,
      `side containers: ${group.map((c) => c.name).join(", ")}`,
      () => ensureSideContainers(run.tc, group, run.spec.name, run.state.clusterName),
      (done) =>
        Object.entries(done)
          .map(([n, a]) => `${n} ${a}`)
          .join(", "),
    );
  };
  await runStages(labJson.stages, {
    kubectl: run.kubectl,
    progress: run.progress,
    stageDir: run.state.appliedDir,
    signal: run.opts.signal,
    pollMs: run.opts.pollMs,
    timeoutScale: run.opts.timeoutScale,
    applyRetryMs: run.opts.applyRetryMs,
    // A load balancer must run before the stages whose gates wait for its addresses.
    beforeStage: (stage) =>
      start(
        sides.filter((c) => c.startBefore === stage.name),
        `side-containers:before-${stage.name}`,
      ),
  });
  await start(
    sides.filter((c) => !c.startBefore || !stageNames.has(c.startBefore)),
    "side-containers",
  );
}

async function exportUserKubeconfig(run: Run): Promise<void> {
  await run.progress.task("export-kubeconfig", "export the context to your kubeconfig", async () =>
    must(await exportKubeconfig(run.tc, run.state.clusterName), "kind export kubeconfig"),
  );
}

/** The error `up` reports: what failed (stage and gate), the diagnostics bundle, how to go on. */
async function failure(run: Run, e: unknown): Promise<UpFailed> {
  const { state, env } = run;
  const name = run.spec.name;
  const described = describeFailure(e);
  const record = { lab: name, task: run.failed.title, ...described, at: new Date().toISOString() };
  // Collected without the (aborted or not) signal of the run, logged like every other command.
  const quiet = new Toolchain({ env, onCommand: commandLogger(state.logsDir) });
  let diagnostics: string | undefined;
  let diagnosticsError: string | undefined;
  try {
    diagnostics = await writeDiagnostics({
      tc: quiet,
      kubectl: new Kubectl(quiet, state.kubeconfig),
      state,
      labJson: run.labJson,
      failure: record,
      clusterExists: true,
    });
  } catch (d) {
    // The lab's own failure is what the user must see; the missing bundle is said beside it.
    diagnostics = undefined;
    diagnosticsError = d instanceof Error ? d.message : String(d);
  }
  // A stage's failure names the stage (and its gate); anything else is prefixed with its task.
  const message = !described.stage
    ? `${run.failed.title ?? "labs up"} failed: ${described.message}`
    : described.message.startsWith("stage ")
      ? described.message
      : `stage ${described.stage}: ${described.message}`;
  const exitCode = e instanceof LabError ? Math.max(e.exitCode, EXIT.failed) : EXIT.failed;
  const fix = [
    e instanceof LabError && e.fix ? e.fix : undefined,
    diagnostics ? `diagnostics: ${diagnostics}` : undefined,
    diagnosticsError ? `diagnostics could not be collected: ${diagnosticsError}` : undefined,
    `the cluster is left for inspection (export KUBECONFIG=${state.kubeconfig}); \`labs up ${name}\` retries, \`labs down ${name}\` removes it`,
  ]
    .filter(Boolean)
    .join("; ");
  return new UpFailed(message, fix, exitCode, diagnostics, run.failed.title);
}

/** Throws when a tool failed, with the end of its error output. */
function must(r: RunResult, what: string): void {
  if (!r.ok)
    throw new LabError(
      `${what}: ${lastLines(r.stderr) || `exit ${r.exitCode}`}`,
      undefined,
      EXIT.environment,
    );
}

/** Remembers the innermost task that failed first (the one running when Ctrl-C came). */
class FailedTask {
  title: string | undefined;
  constructor(private readonly next?: ProgressSink) {}
  readonly sink: ProgressSink = (e) => {
    if (e.type === "failed" && this.title === undefined) this.title = e.title.trim();
    this.next?.(e);
  };
}

async function createLabCluster(tc: Toolchain, state: LabState, kindYaml: string, labsVersion: string) {
  const marker: ClusterMarker = {
    markerVersion: 1,
    createdBy: "labs",
    labsVersion,
    lab: state.lab,
    cluster: state.clusterName,
    phase: "creating",
    createdAt: new Date().toISOString(),
    kubeconfig: state.kubeconfig,
  };
  // Written first: a create interrupted half-way is still known to be labs' own.
  state.writeMarker(marker);
  const image = nodeImageOf(kindYaml);
  if (!image) throw new LabError("kind.yaml names no node image", "synthesize the lab again", EXIT.failed);
  const r = await createCluster(tc, {
    name: state.clusterName,
    config: state.kindConfig,
    kubeconfig: state.kubeconfig,
    image,
  });
  if (!r.ok) {
    throw new LabError(lastLines(r.stderr, 4) || `kind exited ${r.exitCode}`, undefined, EXIT.environment);
  }
  const id = await containerId(tc, `${state.clusterName}-control-plane`);
  state.writeMarker({ ...marker, phase: "created", ...(id ? { controlPlaneId: id } : {}) });
}

/** kubectl steps the lab runs once after `kind create cluster` (e.g. a node label removed). */
async function runPostCreate(run: Run): Promise<void> {
  const { state, progress, kubectl } = run;
  const marker = state.readMarker();
  const steps = run.labJson?.postCreate ?? [];
  if (!steps.length || marker?.postCreateDone) return;
  for (const step of steps) {
    await progress.task(`post-create:${step.id}`, `post-create: ${step.description}`, async () => {
      const r = await kubectl.run(step.kubectl, { timeoutMs: 120_000 });
      if (!r.ok)
        throw new LabError(
          `kubectl ${step.kubectl.join(" ")}: ${lastLines(r.stderr)}`,
          undefined,
          EXIT.failed,
        );
    });
  }
  if (marker) state.writeMarker({ ...marker, postCreateDone: true });
}

async function writeOwnKubeconfig(tc: Toolchain, state: LabState) {
  const args = ["export", "kubeconfig", "--name", state.clusterName, "--kubeconfig", state.kubeconfig];
  must(await tc.run("kind", args), "kind export kubeconfig");
}

/** Host ports of the other labs whose clusters are running. */
function runningLabPorts(me: LabState, clusters: string[]) {
  return listLabStates(me.root)
    .filter((s) => s.lab !== me.lab && clusters.includes(s.clusterName) && s.readMarker())
    .map((s) => ({ lab: s.lab, hostPorts: s.readLabJson().hostPorts }));
}

/** The part of lab.lock.json preloading reads (lib/synth/lock.ts writes it with the lab). */
const lockImagesSchema = z.object({ images: z.array(z.object({ image: z.string() })) });

function lockImages(state: LabState): string[] {
  const path = join(state.synthDir, "lab.lock.json");
  const lock = readJson(path, lockImagesSchema, state.resynth);
  if (!lock) throw new LabError(`lab ${state.lab} has no ${path}`, state.resynth, EXIT.environment);
  return [...new Set(lock.images.map((i) => i.image))];
}

function noteArtifact(progress: Progress, e: ArtifactEvent) {
  if (e.kind === "download") progress.note(`downloading ${e.id} (${e.url})`);
  else if (e.kind === "retry") progress.note(`retrying ${e.id}: ${e.reason}`, "warn");
  else if (e.kind === "corrupt")
    progress.note(`cache entry of ${e.id} was corrupted; fetching it again`, "warn");
}
