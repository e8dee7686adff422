/**
 * `labs compare`: for each lab, up → verify → performance sample → down (unless `keep`), one
 * after another, or `parallel` at once when the host has the memory for it. Every lab's run is
 * read back from its state folder (lib/report/collect.ts) and the run folder gets results.json,
 * raw logs per lab, report.md, report.html and junit.xml. It sits above the runtime (which runs
 * the labs and takes the sample, lib/runtime/performance.ts) and the report (which writes them).
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { freemem } from "node:os";
import { join } from "node:path";
import { resolveLab, sideContainersOf } from "../components/resolve.ts";
import { makeDir } from "../files/make-dir.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import { collectLabRun, PERFORMANCE_FILE, type PerformanceFile } from "../report/collect.ts";
import { hostFingerprint } from "../report/host.ts";
import { type LabRun, RUN_KIND, RUN_VERSION, type RunResults } from "../report/run-results.ts";
import { writeRunDir } from "../report/write.ts";
import { commandLogger } from "../runtime/command-log.ts";
import { probeDocker, requireDocker } from "../runtime/docker.ts";
import { down } from "../runtime/down.ts";
import { kindVersion } from "../runtime/kind.ts";
import { kubectlVersion } from "../runtime/kubectl.ts";
import { measurePerformance } from "../runtime/performance.ts";
import { messageUnlessInterrupted } from "../runtime/process.ts";
import { LabState, stateRoot } from "../runtime/state.ts";
import { Toolchain } from "../runtime/toolchain.ts";
import { type UpOptions, up } from "../runtime/up.ts";
import { verifyLab } from "../runtime/verify.ts";

/** Rough memory one kind node of a lab needs, for --parallel. */
const NODE_MEMORY_BYTES = 1.5 * 1024 ** 3;

export interface CompareOptions {
  specs: LabSpec[];
  out: string;
  parallel?: number;
  keep?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Progress lines for people. */
  onLine?: (line: string) => void;
  /** Passed to `up` (tests shorten polls). */
  upOptions?: Partial<UpOptions>;
  /** Skip the performance sample (tests of the orchestration alone). */
  performance?: boolean;
  /** Free memory, for tests of the parallel decision. @default os.freemem() */
  freeMemoryBytes?: number;
}

/** How many labs run at once: what was asked, lowered until their nodes fit in free memory. */
export function parallelism(
  requested: number,
  specs: Pick<LabSpec, "nodes">[],
  freeBytes: number,
): { parallel: number; note?: string } {
  if (requested <= 1) return { parallel: 1 };
  const nodes = specs.map((s) => s.nodes.controlPlanes + s.nodes.workers).sort((a, b) => b - a);
  let n = Math.min(requested, specs.length);
  while (n > 1 && nodes.slice(0, n).reduce((t, x) => t + x, 0) * NODE_MEMORY_BYTES > freeBytes) n--;
  if (n === Math.min(requested, specs.length)) return { parallel: n };
  const gib = (freeBytes / 1024 ** 3).toFixed(1);
  return {
    parallel: n,
    note: `--parallel ${requested} lowered to ${n}: ${gib} GiB free, about ${(NODE_MEMORY_BYTES / 1024 ** 3).toFixed(1)} GiB per kind node`,
  };
}

/** docker, kind and kubectl versions on this host ("absent" when a tool is not there). */
export async function hostToolVersions(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const tc = new Toolchain({ env });
  // A tool that is there but does not say its version is "unknown", never "absent".
  const unknown = (e: unknown) => `unknown (${messageUnlessInterrupted(e).split("\n")[0]})`;
  const docker = await probeDocker(tc).catch(unknown);
  const version = async (f: () => Promise<string | undefined>) =>
    f().then((v) => v ?? "unknown (its version command failed)", unknown);
  const labs = (
    JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return {
    docker:
      typeof docker === "string" ? docker : docker.state === "ok" ? docker.info.serverVersion : "absent",
    kind: tc.locate("kind") ? await version(() => kindVersion(tc)) : "absent",
    kubectl: tc.locate("kubectl") ? await version(() => kubectlVersion(tc)) : "absent",
    labs,
  };
}

async function runOne(spec: LabSpec, o: CompareOptions, host: LabRun["host"]): Promise<LabRun> {
  const env = o.env ?? process.env;
  const say = o.onLine ?? (() => {});
  const state = new LabState(stateRoot(env), spec.name).ensure();
  const extra: PerformanceFile = { status: "ok" };
  let clusterUp = false;
  try {
    say(`${spec.name}: up`);
    await up({ spec, env, signal: o.signal, verify: false, ...o.upOptions });
    clusterUp = true;
    say(`${spec.name}: verify`);
    const v = await verifyLab({ lab: spec.name, env, signal: o.signal });
    say(`${spec.name}: ${v.summary}`);
    if (o.performance !== false) {
      say(`${spec.name}: performance sample`);
      const tc = new Toolchain({ env, signal: o.signal, onCommand: commandLogger(state.logsDir) });
      Object.assign(extra, await measurePerformance(state, tc, o.signal));
    }
  } catch (e) {
    extra.status = clusterUp ? "error" : "failed";
    extra.error = (e as Error).message.split("\n")[0];
    say(`${spec.name}: ${extra.status}: ${extra.error}`);
  }
  writeFileSync(join(state.dir, PERFORMANCE_FILE), `${JSON.stringify(extra, null, 2)}\n`);
  if (!o.keep) {
    say(`${spec.name}: down`);
    await down(spec.name, { env }).catch((e: Error) => say(`${spec.name}: down failed: ${e.message}`));
  }
  const run = collectLabRun(state.dir, host, spec.name);
  const logs = join(o.out, "logs", spec.name);
  makeDir(logs);
  for (const part of [
    "logs",
    "timings.json",
    "results",
    "diagnostics",
    PERFORMANCE_FILE,
    "synth/lab.lock.json",
  ]) {
    const from = join(state.dir, part);
    if (existsSync(from)) cpSync(from, join(logs, part), { recursive: true });
  }
  return { ...run, logs: `logs/${spec.name}` };
}

/**
 * Which labs may run at the same time, as groups of indexes into `specs`, in the order they
 * first appear. A host-wide side container (cloud-provider-kind) acts on every kind cluster on the
 * host, so a lab that runs one shares the host only with labs that run the same one with the
 * same arguments (host-wide.ts); labs without one share it with each other.
 */
export function hostGroups(specs: readonly LabSpec[]): number[][] {
  const keyOf = (spec: LabSpec) =>
    JSON.stringify(
      sideContainersOf(resolveLab(spec))
        .filter((c) => c.hostWide)
        .map((c) => [c.name, c.image, c.args]),
    );
  const groups = new Map<string, number[]>();
  specs.forEach((s, i) => {
    const key = keyOf(s);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return [...groups.values()];
}

export async function compareLabs(o: CompareOptions): Promise<{ results: RunResults; files: string[] }> {
  if (!o.specs.length) throw new LabError("no labs to compare", "name labs, or pass --all", EXIT.usage);
  // Without Docker every lab would "fail" one after another: that is the environment, say so
  // once, before anything runs (exit 3, not 1).
  await requireDocker(new Toolchain({ env: o.env ?? process.env, signal: o.signal }));
  const { parallel, note } = parallelism(o.parallel ?? 1, o.specs, o.freeMemoryBytes ?? freemem());
  if (note) o.onLine?.(note);
  const host = hostFingerprint(await hostToolVersions(o.env));
  const runs: LabRun[] = new Array(o.specs.length);
  const groups = hostGroups(o.specs);
  if (parallel > 1 && groups.length > 1)
    o.onLine?.(
      `labs that cannot share the Docker host run in ${groups.length} groups, one group after the other: ${groups.map((g) => g.map((i) => o.specs[i]!.name).join(" + ")).join(", then ")}`,
    );
  for (const group of groups) {
    let next = 0;
    const worker = async () => {
      while (next < group.length) {
        const i = group[next++]!;
        if (o.signal?.aborted) return;
        runs[i] = await runOne(o.specs[i]!, o, host);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, group.length) }, worker));
  }
  const results: RunResults = {
    kind: RUN_KIND,
    version: RUN_VERSION,
    createdAt: new Date().toISOString(),
    labs: runs.filter(Boolean),
  };
  return { results, files: writeRunDir(results, o.out) };
}
