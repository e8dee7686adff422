/**
 * `labs break` and `labs fix`: a fault's commands (data, from lib/faults) run against a lab's
 * running cluster, kubectl with the lab's own kubeconfig and node commands with docker exec.
 *
 * break: lookups (values the undo needs) ▶ fault.json written (phase breaking) ▶ apply steps ▶
 * phase broken. fix: the recorded undo steps, in order, each allowed to find its end state
 * already there ▶ fault.json retired. So `fix` works after Ctrl-C during `break`, and twice.
 */

import type {
  LabFault,
  LabFaultList,
  ResolvedCommand,
  ResolvedLookup,
  ResolvedStep,
} from "../faults/catalogue.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { didYouMean } from "../model/suggest.ts";
import { commandLogger } from "./command-log.ts";
import { dockerExec } from "./docker.ts";
import {
  currentFault,
  FAULT_STATE_VERSION,
  type FaultState,
  readLastFault,
  retireFaultState,
  writeFaultState,
} from "./fault-state.ts";
import { kindClusters } from "./kind.ts";
import { Kubectl } from "./kubectl.ts";
import { lastLines, type RunResult } from "./process.ts";
import { LabState, stateRoot } from "./state.ts";
import { Toolchain } from "./toolchain.ts";

/** Long enough for the steps that wait (their own --timeout is at most 180 s). */
const STEP_TIMEOUT_MS = 240_000;

export interface FaultRunOptions {
  lab: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called before each step runs, e.g. to print it. */
  onStep?: (step: ResolvedStep) => void;
}

export interface BreakOptions extends FaultRunOptions {
  /** The lab's faults (lib/faults `labFaults`), computed by the caller from its spec and plan. */
  faults: LabFaultList;
  /** A fault id; absent with `mystery`. */
  fault?: string;
  mystery?: boolean;
  /** Random numbers in [0, 1) for `mystery` (tests pass their own). */
  random?: () => number;
}

export interface BreakOutcome {
  fault: LabFault;
  mystery: boolean;
}

export interface FixOutcome {
  /** `fixed`: undo steps ran; `nothing`: the lab was not broken. */
  action: "fixed" | "nothing";
  fault?: FaultState;
  /** The fault last fixed, when asked to reveal and nothing was broken. */
  last?: FaultState & { fixedAt: string };
  /** How long it was broken, in seconds. */
  brokenSeconds?: number;
}

function setup(opts: FaultRunOptions) {
  const env = opts.env ?? process.env;
  const state = new LabState(stateRoot(env), opts.lab);
  const tc = new Toolchain({ env, signal: opts.signal, onCommand: commandLogger(state.logsDir) });
  return { state, tc, kubectl: new Kubectl(tc, state.kubeconfig) };
}

async function assertRunning(tc: Toolchain, state: LabState): Promise<void> {
  const running = (await kindClusters(tc)).includes(state.clusterName);
  if (!running || !state.readMarker()) {
    throw new LabError(
      `lab ${state.lab} is not running (no kind cluster ${state.clusterName} created by labs)`,
      `start it with \`labs up ${state.lab}\``,
      EXIT.usage,
    );
  }
}

/** `${NAME}` and `${NAME:json}` filled in from looked-up values. */
export function fillValues(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(:json)?\}/g, (whole, name: string, json?: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return json ? JSON.stringify(value) : value;
  });
}

function fillCommand(run: ResolvedCommand, values: Record<string, string>): ResolvedCommand {
  if ("kubectl" in run)
    return {
      kubectl: run.kubectl.map((a) => fillValues(a, values)),
      ...(run.stdin !== undefined ? { stdin: fillValues(run.stdin, values) } : {}),
    };
  return { node: run.node, command: run.command.map((a) => fillValues(a, values)) };
}

const fillSteps = (steps: ResolvedStep[], values: Record<string, string>) =>
  steps.map((s) => ({ ...s, run: fillCommand(s.run, values) }));

function run(cmd: ResolvedCommand, tc: Toolchain, kubectl: Kubectl): Promise<RunResult> {
  if ("kubectl" in cmd)
    return kubectl.run(cmd.kubectl, {
      timeoutMs: STEP_TIMEOUT_MS,
      ...(cmd.stdin !== undefined ? { input: cmd.stdin } : {}),
    });
  return dockerExec(tc, cmd.node, cmd.command, STEP_TIMEOUT_MS);
}

/**
 * A lookup's answer as the fault's steps use it: trimmed unless verbatim, then edited when the
 * lookup says so. Undefined when the text the edit replaces is not in the answer.
 */
export function lookupValue(
  l: Pick<ResolvedLookup, "verbatim" | "edit">,
  answer: string,
): string | undefined {
  const value = l.verbatim ? answer : answer.trim();
  if (!l.edit) return value;
  return value.includes(l.edit.replace) ? value.replace(l.edit.replace, l.edit.with) : undefined;
}

async function lookUp(fault: LabFault, tc: Toolchain, kubectl: Kubectl): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const l of fault.lookups) {
    const r = await run(l.run, tc, kubectl);
    const value = lookupValue(l, r.stdout);
    if (!r.ok || (!r.stdout.trim() && !l.mayBeEmpty)) {
      throw new LabError(
        `cannot read ${l.describes} before breaking ${fault.id}: ${lastLines(r.stderr || r.stdout) || "the answer was empty"}`,
        "check the lab with `labs status` and `labs verify`; nothing was changed",
        EXIT.environment,
      );
    }
    if (value === undefined)
      throw new LabError(
        `${l.describes} does not contain \`${l.edit!.replace}\`: it was changed by hand, so labs cannot break it the way ${fault.id} does`,
        "put it back as it was (or recreate the lab with `labs down` and `labs up`); nothing was changed",
        EXIT.environment,
      );
    values[l.name] = value;
  }
  return values;
}

async function runSteps(
  steps: ResolvedStep[],
  what: string,
  tc: Toolchain,
  kubectl: Kubectl,
  onStep?: (s: ResolvedStep) => void,
): Promise<void> {
  for (const step of steps) {
    onStep?.(step);
    const r = await run(step.run, tc, kubectl);
    if (r.ok) continue;
    const output = `${r.stderr}\n${r.stdout}`;
    if (step.alreadyDone && new RegExp(step.alreadyDone).test(output)) continue;
    throw new LabError(
      `${what}: \`${step.does}\` failed: ${lastLines(r.stderr || r.stdout) || `exit ${r.exitCode}`}`,
      what.startsWith("fix")
        ? "run `labs fix` again once the cause is gone"
        : "`labs fix` undoes what was done",
      EXIT.environment,
    );
  }
}

function pick(opts: BreakOptions): LabFault {
  const list = opts.faults;
  if (opts.mystery) {
    if (!list.faults.length) throw new LabError(`lab ${opts.lab} offers no fault`, "`labs faults` says why");
    const r = (opts.random ?? Math.random)();
    return list.faults[Math.min(list.faults.length - 1, Math.floor(r * list.faults.length))]!;
  }
  const id = opts.fault ?? "";
  const found = list.faults.find((f) => f.id === id);
  if (found) return found;
  const unavailable = list.unavailable.find((u) => u.id === id);
  if (unavailable)
    throw new LabError(
      `fault ${id} does not exist in lab ${opts.lab}: ${unavailable.unavailable}`,
      `\`labs faults ${opts.lab}\` lists what does`,
    );
  throw new LabError(
    `lab ${opts.lab} has no fault "${id}": ${didYouMean(
      id,
      list.faults.map((f) => f.id),
    )}`,
    `\`labs faults ${opts.lab}\` lists them`,
  );
}

export async function breakLab(opts: BreakOptions): Promise<BreakOutcome> {
  const { state, tc, kubectl } = setup(opts);
  const current = currentFault(state);
  if (current) {
    throw new LabError(
      `lab ${opts.lab} is already broken (${current.mystery ? "a mystery fault" : current.id}, since ${current.since})`,
      `\`labs fix ${opts.lab}\` undoes it first`,
    );
  }
  const fault = pick(opts);
  await assertRunning(tc, state);
  const values = await lookUp(fault, tc, kubectl);
  const record: FaultState = {
    faultStateVersion: FAULT_STATE_VERSION,
    lab: opts.lab,
    id: fault.id,
    title: fault.title,
    layer: fault.layer,
    by: fault.by,
    mystery: Boolean(opts.mystery),
    phase: "breaking",
    since: new Date().toISOString(),
    does: fault.does,
    undo: fault.undo,
    observe: fault.observe,
    values,
    revert: fillSteps(fault.revert, values),
    signature: fault.signature,
    crossings: opts.faults.crossings,
  };
  // Recorded before the first change: whatever happens next, `labs fix` knows what to undo.
  writeFaultState(state, record);
  await runSteps(fillSteps(fault.apply, values), `break ${opts.lab}`, tc, kubectl, opts.onStep);
  writeFaultState(state, { ...record, phase: "broken" });
  return { fault, mystery: record.mystery };
}

export async function fixLab(
  opts: FaultRunOptions & { reveal?: boolean; now?: number },
): Promise<FixOutcome> {
  const { state, tc, kubectl } = setup(opts);
  const fault = currentFault(state);
  if (!fault) {
    const last = opts.reveal ? readLastFault(state) : undefined;
    return { action: "nothing", ...(last ? { last } : {}) };
  }
  await assertRunning(tc, state);
  await runSteps(fault.revert, `fix ${opts.lab}`, tc, kubectl, opts.onStep);
  const now = opts.now ?? Date.now();
  retireFaultState(state, fault, new Date(now).toISOString());
  return {
    action: "fixed",
    fault,
    brokenSeconds: Math.max(0, Math.round((now - Date.parse(fault.since)) / 1000)),
  };
}
