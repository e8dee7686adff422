/** Shared pieces of the runtime tests: catalogue labs, quick `up` options, reading the lab's state. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findLabs } from "../../lib/catalogue.ts";
import type { LabSpec } from "../../lib/model/lab-spec.ts";
import { type UpOptions, up } from "../../lib/runtime/up.ts";
import type { Fake } from "../fake-toolchain/fake-toolchain.ts";

export async function catalogueLab(name: string): Promise<LabSpec> {
  return (await findLabs([name]))[0]!.spec;
}

/**
 * `up` against the fake, with short polls and no probes unless asked. The fake engine is not this
 * machine, so the doctor checks `up` runs first do not read this machine's kernel files.
 */
export function upWith(fake: Fake, spec: LabSpec, extra: Partial<UpOptions> = {}) {
  return up({
    spec,
    env: fake.env,
    pollMs: 5,
    applyRetryMs: 5,
    verify: false,
    readHost: false,
    labsVersion: "test",
    ...extra,
  });
}

export function stateFile<T = unknown>(fake: Fake, lab: string, file: string): T {
  return JSON.parse(readFileSync(join(fake.stateRoot, lab, file), "utf8")) as T;
}

/** Index of the first call line matching `pattern`, or -1. */
export function indexOf(lines: string[], pattern: RegExp): number {
  return lines.findIndex((l) => pattern.test(l));
}

/** Runs `fn` and returns what it threw. */
export async function thrown<T = Error & Record<string, unknown>>(fn: () => Promise<unknown>): Promise<T> {
  try {
    await fn();
  } catch (e) {
    return e as T;
  }
  throw new Error("expected the call to throw");
}
