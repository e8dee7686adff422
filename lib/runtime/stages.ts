/**
 * Applies a lab's stages in order (crds → cni → platform → apps → probes), each with
 * `kubectl apply --server-side` and then its gates. Ordering alone is not enough: a stage starts
 * only when the gates of the one before hold. Apply is retried briefly on the errors that mean
 * "not yet" (a CRD just created, a webhook whose pod is still starting), never on others.
 */
import { join } from "node:path";
import type { Gate } from "../components/component.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { GateFailed, gateLabel, runGate, sleep } from "./gates.ts";
import type { Kubectl } from "./kubectl.ts";
import { lastLines } from "./process.ts";
import type { Progress } from "./progress.ts";
import type { StageJson } from "./state.ts";

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
  beforeStage?: (stage: StageJson) => Promise<void>;
}

/** A stage whose apply failed for good. */
export class ApplyFailed extends LabError {
  constructor(
    readonly stage: string,
    detail: string,
  ) {
    super(`stage ${stage}: kubectl apply failed: ${detail}`, undefined, EXIT.failed);
  }
}

export const NODES_READY_GATE: Gate = {
  stage: "cni",
  kind: "nodes-ready",
  timeoutSeconds: 240,
  description: "every node is Ready once the pod network is up",
};

/** The stages with their gates; nodes-ready follows the CNI stage when no component asked for it. */
export function withImplicitGates(stages: StageJson[]): StageJson[] {
  const hasNodesReady = stages.some((s) => s.gates.some((g) => g.kind === "nodes-ready"));
  if (hasNodesReady) return stages;
  return stages.map((s) => (s.name === "cni" ? { ...s, gates: [...s.gates, NODES_READY_GATE] } : s));
}

/** Errors kubectl reports while the API is still catching up with the previous apply. */
const TRANSIENT =
  /no matches for kind|ensure CRDs are installed first|failed calling webhook|connection refused|the server could not find the requested resource|i\/o timeout|TLS handshake timeout|etcdserver: request timed out/i;

const APPLY_ATTEMPTS = 6;

export async function applyStage(stage: StageJson, opts: StageOptions): Promise<void> {
  const file = join(opts.stageDir, stage.file);
  for (let attempt = 1; ; attempt++) {
    const r = await opts.kubectl.apply(file);
    if (r.ok) return;
    const detail = lastLines(r.stderr || r.stdout);
    if (attempt >= APPLY_ATTEMPTS || !TRANSIENT.test(r.stderr)) throw new ApplyFailed(stage.name, detail);
    opts.progress.note(`stage ${stage.name}: apply attempt ${attempt} failed (${detail}); retrying`, "warn");
    await sleep(opts.applyRetryMs ?? 5_000, opts.signal);
  }
}

export function stageTitle(stage: StageJson): string {
  const what = stage.objects
    ? `apply ${stage.objects} object${stage.objects === 1 ? "" : "s"}`
    : "nothing to apply";
  const gates = stage.gates.length
    ? `, ${stage.gates.length} gate${stage.gates.length === 1 ? "" : "s"}`
    : "";
  return `stage ${stage.name}: ${what}${gates}`;
}

/** Applies every stage and waits for its gates; a failure names the stage and the gate. */
export async function runStages(stages: StageJson[], opts: StageOptions): Promise<void> {
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
