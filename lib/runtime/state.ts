/**
 * Per-lab state on the host: `$LABS_STATE_DIR/<lab>`, else `$XDG_STATE_HOME/labs/<lab>`, else
 * `~/.local/state/labs/<lab>`. It holds the lab's kubeconfig, the concrete kind config, the
 * synthesized files the cluster was built from, the marker that says labs created the cluster,
 * stage timings, command logs, verify results and diagnostics bundles.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as z from "zod/mini";
import { CLUSTER_PREFIX } from "../model/defaults.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { type LabJson, labJsonSchema } from "../model/lab-json.ts";
import type { ProbesPlan } from "../probes/probes-plan.ts";

export function stateRoot(
  env: NodeJS.ProcessEnv = process.env,
  home: string = env.HOME ?? homedir(),
): string {
  if (env.LABS_STATE_DIR) return env.LABS_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "labs");
  return join(home, ".local", "state", "labs");
}

export const clusterNameOf = (lab: string) => `${CLUSTER_PREFIX}${lab}`;

/** The files of one lab's state folder. */
export class LabState {
  readonly dir: string;
  constructor(
    readonly root: string,
    readonly lab: string,
  ) {
    this.dir = join(root, lab);
  }
  get kubeconfig() {
    return join(this.dir, "kubeconfig");
  }
  get kindConfig() {
    return join(this.dir, "kind.yaml");
  }
  get marker() {
    return join(this.dir, "cluster.json");
  }
  /** The synthesized files (lab.json, stages, lock, probe plan) the cluster was built from. */
  get synthDir() {
    return join(this.dir, "synth");
  }
  /** The stage files as applied: the synthesized ones with the cluster variables filled in. */
  get appliedDir() {
    return join(this.dir, "applied");
  }
  get timings() {
    return join(this.dir, "timings.json");
  }
  get logsDir() {
    return join(this.dir, "logs");
  }
  get resultsDir() {
    return join(this.dir, "results");
  }
  get diagnosticsDir() {
    return join(this.dir, "diagnostics");
  }
  get clusterName() {
    return clusterNameOf(this.lab);
  }
  ensure(): this {
    mkdirSync(this.dir, { recursive: true });
    return this;
  }
  readMarker(): ClusterMarker | undefined {
    return readJson(this.marker, clusterMarkerSchema, this.resynth);
  }
  writeMarker(marker: ClusterMarker): void {
    writeJsonAtomic(this.marker, marker);
  }
  removeMarker(): void {
    rmSync(this.marker, { force: true });
  }
  /**
   * lab.json of the synth the cluster was built from. `labs up` writes it before the marker, so
   * a lab with a marker or a cluster has one: a missing or unreadable one is an error that says
   * so, never an empty lab (no ports, no side containers, no pod subnet) that misleads.
   */
  readLabJson(): LabJson {
    const path = join(this.synthDir, "lab.json");
    const labJson = readJson(path, labJsonSchema, this.resynth);
    if (!labJson) throw new LabError(`lab ${this.lab} has no ${path}`, this.resynth, EXIT.environment);
    return labJson;
  }
  /**
   * probes.plan.json of that synth, undefined before the first synth. Its version is the
   * caller's to compare with PROBES_PLAN_VERSION (verify refuses another, `labs faults` sketches).
   */
  readProbesPlan(): ProbesPlan | undefined {
    return readJson(join(this.synthDir, "probes.plan.json"), probesPlanSchema, this.resynth);
  }
  /** The fix for a state file this labs cannot read (another version wrote it, or it was edited). */
  get resynth(): string {
    return `\`labs up ${this.lab}\` writes it again (\`labs down ${this.lab}\` first if the cluster is not labs' own any more)`;
  }
}

/**
 * The marker: written before `kind create` (phase `creating`) and completed after it, so a
 * cluster interrupted half-way is recognised as labs' own and recreated, not converged.
 */
const clusterMarkerSchema = z.object({
  markerVersion: z.literal(1),
  createdBy: z.literal("labs"),
  labsVersion: z.string(),
  lab: z.string(),
  cluster: z.string(),
  phase: z.enum(["creating", "created"]),
  createdAt: z.string(),
  kubeconfig: z.string(),
  /** The control-plane container, to tell labs' cluster from a later one of the same name. */
  controlPlaneId: z.optional(z.string()),
  /** The lab's post-create steps ran (they run once, after `kind create cluster`). */
  postCreateDone: z.optional(z.boolean()),
});
export type ClusterMarker = z.infer<typeof clusterMarkerSchema>;

/** Every lab that has a state folder. */
export function listLabStates(root: string): LabState[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => new LabState(root, d.name))
    .sort((a, b) => a.lab.localeCompare(b.lab));
}

/**
 * probes.plan.json as the runtime reads it. Its top level is checked here; the probes, checks and
 * clients inside are lib/probes' types, written by the same synth as lab.json.
 */
const probesPlanShape = z.looseObject({
  version: z.number(),
  lab: z.string(),
  clusterName: z.string(),
  probes: z.array(z.looseObject({ id: z.string() })),
  checks: z.array(z.looseObject({ id: z.string() })),
  skipped: z.array(z.looseObject({ probe: z.string(), reason: z.string() })),
  clients: z.array(z.looseObject({ name: z.string(), namespace: z.string(), node: z.string() })),
});
const probesPlanSchema: JsonSchema<ProbesPlan> = {
  safeParse: (value) => {
    const r = probesPlanShape.safeParse(value);
    return r.success ? { success: true, data: r.data as unknown as ProbesPlan } : r;
  },
};

/** What readJson checks a file against: a zod schema (its `safeParse`). */
export interface JsonSchema<T> {
  safeParse(
    value: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: readonly JsonIssue[] } };
}
interface JsonIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * A JSON file labs wrote, checked against its schema: undefined when there is no such file, the
 * parsed value when it matches, and a LabError naming the file, what is wrong and `fix` when it
 * cannot be read, is not JSON or does not match (written by another labs version, or edited).
 */
export function readJson<T>(path: string, schema: JsonSchema<T>, fix: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new LabError(
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      fix,
      EXIT.environment,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LabError(`${path} is not JSON: ${(e as Error).message}`, fix, EXIT.environment);
  }
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  const issues = checked.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "(the whole file)"}: ${i.message}`);
  throw new LabError(
    `${path} is not what this version of labs reads: ${issues.join("; ")}`,
    fix,
    EXIT.environment,
  );
}

/** Writes through a temp file and a rename, so an interrupted write never leaves half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** A timestamp usable in file names: 2026-11-22T03-21-00Z. */
export function fileStamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}
