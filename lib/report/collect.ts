/**
 * Reads a lab's run out of its state folder (what `labs up` and `labs verify` leave there, or a
 * CI job uploaded): the lock of the synth the cluster was built from, timings.json, the latest
 * probe report, and — when `labs compare` measured them — performance.json. Files only: the
 * caller brings the host fingerprint of the machine that ran it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LabError } from "../model/errors.ts";
import { type ProbeReport, REPORT_KIND } from "../probes/verdicts/report.ts";
import type { LabLock } from "../synth/lock.ts";
import type { DataplaneSize, HostFingerprint, LabRun, Performance, StageTiming } from "./run-results.ts";

/** What compare writes next to the runtime's files: measurements and its own view of the run. */
export const PERFORMANCE_FILE = "performance.json";
export interface PerformanceFile {
  performance?: Performance;
  dataplane?: DataplaneSize[];
  status?: LabRun["status"];
  error?: string;
}

/** A file of the run, or undefined when the run did not write it; a damaged one is an error, not a gap. */
function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new LabError(
      `${file} is not JSON (${(e as Error).message}): the report would silently lack what it holds`,
      "remove the file or run the lab again (`labs verify`, `labs compare`) to write it anew",
    );
  }
}

interface TimingsFile {
  lab?: string;
  startedAt?: string;
  result?: string;
  tasks?: { id: string; title: string; status: string; ms: number }[];
}

/** True when `dir` looks like a lab's state folder. */
export function isLabStateDir(dir: string): boolean {
  return ["timings.json", "cluster.json", "synth", "results", "verify.json"].some((f) =>
    existsSync(join(dir, f)),
  );
}

/** The newest probe report: verify.json (CI), else results/latest.json, else the newest results/*.json. */
function latestReport(dir: string): ProbeReport | undefined {
  const candidates = [join(dir, "verify.json"), join(dir, "results", "latest.json")];
  const results = join(dir, "results");
  if (existsSync(results))
    candidates.push(
      ...readdirSync(results)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .reverse()
        .map((f) => join(results, f)),
    );
  for (const file of candidates) {
    const r = readJson<ProbeReport>(file);
    if (r?.kind === REPORT_KIND) return r;
  }
  return undefined;
}

export function stagesOf(timings: TimingsFile | undefined): StageTiming[] {
  return (timings?.tasks ?? []).map((t) => ({
    id: t.id,
    title: t.title,
    seconds: Math.round(t.ms) / 1000,
    status: t.status,
  }));
}

export function collectLabRun(dir: string, host: HostFingerprint, lab?: string): LabRun {
  const timings = readJson<TimingsFile>(join(dir, "timings.json"));
  const labJson = readJson<{ name: string; description?: string; clusterName: string }>(
    join(dir, "synth", "lab.json"),
  );
  const lock = readJson<LabLock>(join(dir, "synth", "lab.lock.json"));
  const probes = latestReport(dir);
  const extra = readJson<PerformanceFile>(join(dir, PERFORMANCE_FILE));
  const name = lab ?? labJson?.name ?? probes?.lab ?? timings?.lab ?? lock?.lab;
  if (!name) throw new LabError(`${dir} holds no lab run (no lab.json, timings.json or probe report)`);
  const upFailed = timings?.result === "failed" || timings?.result === "interrupted";
  const run: LabRun = {
    lab: name,
    clusterName: labJson?.clusterName ?? probes?.clusterName ?? `labs-${name}`,
    status: extra?.status ?? (upFailed ? "failed" : probes ? "ok" : "error"),
    host,
    stages: stagesOf(timings),
    dataplane: extra?.dataplane ?? [],
  };
  if (labJson?.description) run.description = labJson.description;
  if (timings?.startedAt) run.startedAt = timings.startedAt;
  if (lock) run.lock = lock;
  if (probes) run.probes = probes;
  if (extra?.performance) run.performance = extra.performance;
  const error =
    extra?.error ?? (upFailed ? `labs up ${timings?.result}` : probes ? undefined : "no probe report");
  if (error && run.status !== "ok") run.error = error;
  if (existsSync(join(dir, "logs"))) run.logs = "logs";
  return run;
}
