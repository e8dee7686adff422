/**
 * The fault a lab is broken by, in its state folder (`fault.json`): written before the first
 * command of `labs break` runs, so `labs fix` can undo it even after Ctrl-C half-way, and kept
 * until every undo step succeeded. `last-fault.json` keeps the fault `labs fix` last undid, so a
 * mystery can still be revealed afterwards.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as z from "zod/mini";
import type { FaultLayer } from "../components/fault.ts";
import type { ResolvedStep } from "../faults/catalogue.ts";
import type { CheckSignature } from "../faults/signature.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { type JsonSchema, type LabState, readJson, writeJsonAtomic } from "./state.ts";

export const FAULT_STATE_VERSION = 1;

export interface FaultState {
  faultStateVersion: typeof FAULT_STATE_VERSION;
  lab: string;
  id: string;
  title: string;
  layer: FaultLayer;
  /** The component that declares it, or `kind`. */
  by: string;
  /** Chosen at random by `labs break --mystery`: its id stays hidden until `labs fix --reveal`. */
  mystery: boolean;
  /** `breaking` until every apply step ran; `fix` undoes a half-applied fault all the same. */
  phase: "breaking" | "broken";
  since: string;
  does: string;
  undo: string;
  observe: string;
  /** Values read from the cluster before the fault was applied. */
  values: Record<string, string>;
  /** The undo steps with those values filled in. */
  revert: ResolvedStep[];
  signature: CheckSignature[];
  crossings: Record<string, string[]>;
}

/**
 * fault.json as `labs fix` reads it before it runs the undo steps: its fields are checked here;
 * the steps' commands and the signature inside are lib/faults' types, written by `labs break`.
 */
const faultFileShape = z.looseObject({
  faultStateVersion: z.number(),
  lab: z.string(),
  id: z.string(),
  title: z.string(),
  layer: z.string(),
  by: z.string(),
  mystery: z.boolean(),
  phase: z.enum(["breaking", "broken"]),
  since: z.string(),
  does: z.string(),
  undo: z.string(),
  observe: z.string(),
  values: z.record(z.string(), z.string()),
  revert: z.array(z.looseObject({ does: z.string(), run: z.looseObject({}) })),
  signature: z.array(z.looseObject({})),
  crossings: z.record(z.string(), z.array(z.string())),
  fixedAt: z.optional(z.string()),
});
const faultFileSchema: JsonSchema<FaultState & { fixedAt?: string }> = {
  safeParse: (value) => {
    const r = faultFileShape.safeParse(value);
    return r.success ? { success: true, data: r.data as unknown as FaultState & { fixedAt?: string } } : r;
  },
};
const fixOf = (state: LabState, file: string) =>
  `remove ${file} if the lab is not broken on purpose any more (\`labs up ${state.lab} --recreate\` gives a fresh cluster)`;

const faultFile = (state: LabState) => join(state.dir, "fault.json");
const lastFile = (state: LabState) => join(state.dir, "last-fault.json");

export function readFaultState(state: LabState): FaultState | undefined {
  const f = readJson(faultFile(state), faultFileSchema, fixOf(state, faultFile(state)));
  return f?.faultStateVersion === FAULT_STATE_VERSION ? f : undefined;
}

export function writeFaultState(state: LabState, fault: FaultState): void {
  state.ensure();
  writeJsonAtomic(faultFile(state), fault);
}

/** The fault is undone: it becomes the last fault (for `--reveal`) and the lab is no longer broken. */
export function retireFaultState(state: LabState, fault: FaultState, fixedAt: string): void {
  writeJsonAtomic(lastFile(state), { ...fault, fixedAt });
  rmSync(faultFile(state), { force: true });
}

export function readLastFault(state: LabState): (FaultState & { fixedAt: string }) | undefined {
  const last = readJson(lastFile(state), faultFileSchema, fixOf(state, lastFile(state)));
  if (last && last.fixedAt === undefined)
    throw new LabError(
      `${lastFile(state)} does not say when the fault was fixed`,
      fixOf(state, lastFile(state)),
    );
  return last as (FaultState & { fixedAt: string }) | undefined;
}

export const hasFaultFile = (state: LabState) => existsSync(faultFile(state));

/**
 * The fault of the cluster that runs now: a fault recorded before the cluster was (re)created
 * belongs to a cluster that is gone, and is retired.
 */
export function currentFault(state: LabState): FaultState | undefined {
  const fault = readFaultState(state);
  if (!fault) return undefined;
  const marker = state.readMarker();
  if (marker && Date.parse(fault.since) >= Date.parse(marker.createdAt)) return fault;
  retireFaultState(state, fault, new Date().toISOString());
  return undefined;
}

/**
 * `labs up` on a lab broken on purpose converges the cluster: it would apply the lab's objects
 * over the fault and undo part of it (a stray policy stays, a patched DaemonSet may not), leaving a
 * lab that is neither as `labs break` left it nor healthy, while fault.json still says broken and
 * `labs verify` compares against a signature that no longer holds. So `up` refuses and names the
 * way out: `labs fix` undoes exactly what was done; `--recreate` starts a cluster without it.
 * A mystery stays a mystery.
 */
export function brokenLabError(lab: string, fault: FaultState): LabError {
  const which = fault.mystery ? "a mystery fault" : `\`${fault.id}\` (${fault.title})`;
  const what =
    fault.phase === "breaking"
      ? `a \`labs break\` of it did not finish: it is half broken by ${which}`
      : `it is broken on purpose by ${which} since ${fault.since}`;
  return new LabError(
    `labs up ${lab}: ${what}; converging would re-apply the lab over the fault and leave it half undone`,
    `run \`labs fix ${lab}\` first, then \`labs up ${lab}\` (or \`labs up ${lab} --recreate\` for a new cluster without the fault)`,
    EXIT.usage,
  );
}
