/**
 * Applies a lab's stages in order (crds → cni → platform → apps → probes), each with
 * `kubectl apply --server-side` and then its gates. Ordering alone is not enough: a stage starts
 * only when the gates of the one before hold. Apply is retried briefly on the errors that mean
 * "not yet" (a CRD just created, a webhook whose pod is still starting), never on others.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Gate } from "../components/component.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { K8sObject } from "../model/k8s-object.ts";
import type { StagePlan } from "../model/lab-json.ts";
import { parseYamlDocuments } from "../model/yaml.ts";
import { describe } from "../validate/object-ref.ts";
import { GateFailed, gateLabel, runGate, sleep } from "./gates.ts";
import type { Kubectl } from "./kubectl.ts";
import { lastLines } from "./process.ts";
import type { Progress } from "./progress.ts";

export interface StageOptions {
  kubectl: Kubectl;
  progress: Progress;
  /** Folder of the stage files to apply (the lab's applied/ copy, cluster variables filled in). */
  stageDir: string;
  signal?: AbortSignal;
  pollMs?: number;
  timeoutScale?: number;
  /** Pause between apply attempts. */
  applyRetryMs?: number;
  /** Runs before a stage is applied, after the gates of the stage before it (side containers). */
  beforeStage?: (stage: StagePlan) => Promise<void>;
}

/**
 * A stage whose apply failed for good: what kubectl said, and which of the stage's objects it did
 * not apply. kubectl's error often names only the cause (`namespaces "late" not found`, `no
 * matches for kind "Widget"`), not the object it refused, so the message names those too.
 */
export class ApplyFailed extends LabError {
  constructor(
    readonly stage: string,
    /** kubectl's own words (its last lines). */
    readonly detail: string,
    /** The stage's objects kubectl did not report as applied, e.g. `ConfigMap late/greeting`; empty when unknown. */
    readonly notApplied: string[] = [],
    /** How many objects the stage has (0 when its file could not be read back). */
    readonly objectCount = 0,
  ) {
    const n = notApplied.length;
    const which = !n
      ? ""
      : n === objectCount
        ? ` for ${listObjects(notApplied)}${n > 1 ? ` (none of its ${n} objects applied)` : ""}`
        : ` for ${listObjects(notApplied)} (${n} of ${objectCount} objects not applied)`;
    super(`stage ${stage}: kubectl apply failed${which}: ${detail}`, undefined, EXIT.failed);
  }
}

/** `A, B, C` or, past `max`, `A, B, C and 7 more`. */
export function listObjects(names: readonly string[], max = 6): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** How kubectl's name printer writes an object: `deployment.apps/echo`, `configmap/greeting`. */
export function printedName(o: K8sObject): string {
  const group = o.apiVersion.includes("/") ? o.apiVersion.split("/")[0] : "";
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ""}/${o.metadata?.name ?? ""}`;
}

/**
 * The objects kubectl did not apply. Server-side, kubectl prints `<kind>.<group>/<name>
 * serverside-applied` for each object it applied and goes on past one the API server refuses,
 * so the objects missing from those lines are the refused ones (or, when kubectl stopped before
 * the first, all of them). The line has no namespace: an object whose namesake of the same kind
 * in another namespace was applied counts as applied, so no object is ever named wrongly.
 */
export function notAppliedObjects(stdout: string, objects: readonly K8sObject[]): K8sObject[] {
  const applied = new Set(
    stdout
      .split("\n")
      .map((l) => /^(\S+\/\S+) serverside-applied$/.exec(l.trim())?.[1])
      .filter((x): x is string => !!x),
  );
  return objects.filter((o) => !applied.has(printedName(o)));
}

/** The stage file's objects missing from kubectl's output, named; empty when the file cannot be read back. */
function notAppliedIn(file: string, stdout: string): { names: string[]; count: number } {
  try {
    const objects = parseYamlDocuments(readFileSync(file, "utf8")).filter(
      (o): o is K8sObject => typeof o === "object" && o !== null && "kind" in o,
    );
    return { names: notAppliedObjects(stdout, objects).map(describe), count: objects.length };
  } catch {
    return { names: [], count: 0 };
  }
}

export const NODES_READY_GATE: Gate = {
  stage: "cni",
  kind: "nodes-ready",
  timeoutSeconds: 240,
  description: "every node is Ready once the pod network is up",
};

/** The stages with their gates; nodes-ready follows the CNI stage when no component asked for it. */
export function withImplicitGates(stages: StagePlan[]): StagePlan[] {
  const hasNodesReady = stages.some((s) => s.gates.some((g) => g.kind === "nodes-ready"));
  if (hasNodesReady) return stages;
  return stages.map((s) => (s.name === "cni" ? { ...s, gates: [...s.gates, NODES_READY_GATE] } : s));
}

/** Errors kubectl reports while the API is still catching up with the previous apply. */
const TRANSIENT =
  /no matches for kind|ensure CRDs are installed first|failed calling webhook|connection refused|the server could not find the requested resource|i\/o timeout|TLS handshake timeout|etcdserver: request timed out/i;

const APPLY_ATTEMPTS = 6;

export async function applyStage(stage: StagePlan, opts: StageOptions): Promise<void> {
  const file = join(opts.stageDir, stage.file);
  for (let attempt = 1; ; attempt++) {
    const r = await opts.kubectl.apply(file);
    if (r.ok) return;
    const detail = lastLines(r.stderr || r.stdout);
    if (attempt >= APPLY_ATTEMPTS || !TRANSIENT.test(r.stderr)) {
      const { names, count } = notAppliedIn(file, r.stdout);
      throw new ApplyFailed(stage.name, detail, names, count);
    }
    opts.progress.note(`stage ${stage.name}: apply attempt ${attempt} failed (${detail}); retrying`, "warn");
    await sleep(opts.applyRetryMs ?? 5_000, opts.signal);
  }
}

export function stageTitle(stage: StagePlan): string {
  const what = stage.objects
    ? `apply ${stage.objects} object${stage.objects === 1 ? "" : "s"}`
    : "nothing to apply";
  const gates = stage.gates.length
    ? `, ${stage.gates.length} gate${stage.gates.length === 1 ? "" : "s"}`
    : "";
  return `stage ${stage.name}: ${what}${gates}`;
}

/** Applies every stage and waits for its gates; a failure names the stage and the gate. */
export async function runStages(stages: StagePlan[], opts: StageOptions): Promise<void> {
  for (const stage of withImplicitGates(stages)) {
    await opts.beforeStage?.(stage);
    if (!stage.objects && !stage.gates.length) {
      opts.progress.skip(`stage:${stage.name}`, `stage ${stage.name}`, "nothing to apply");
      continue;
    }
    await opts.progress.task(`stage:${stage.name}`, stageTitle(stage), async () => {
      if (stage.objects) await applyStage(stage, opts);
      for (const [i, gate] of stage.gates.entries()) {
        await opts.progress.task(`gate:${stage.name}:${i}`, `  gate: ${gate.description}`, () =>
          runGate(opts.kubectl, gate, {
            pollMs: opts.pollMs,
            timeoutScale: opts.timeoutScale,
            signal: opts.signal,
          }),
        );
      }
    });
  }
}

export function describeFailure(e: unknown): { stage?: string; gate?: string; message: string } {
  if (e instanceof GateFailed) return { stage: e.gate.stage, gate: gateLabel(e.gate), message: e.message };
  if (e instanceof ApplyFailed) return { stage: e.stage, message: e.message };
  return { message: e instanceof Error ? e.message : String(e) };
}
