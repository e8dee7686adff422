/**
 * What the control-plane suite needs and whether this machine has it: the built binaries
 * (test/control-plane/build.sh), ../shared/upstream as the offline mirror for the catalogue's
 * upstream files, helm for labs that render a chart, and artifacts the tests build themselves
 * (the Envoy Gateway chart from its Go module). Each missing piece is one line saying what is
 * skipped and why.
 */

import { SHARED_UPSTREAM, sharedUpstreamPresent } from "../components/support/upstream.ts";
import { type HelmBinary, helmBinary } from "../support/helm-binary.ts";
import { type ControlPlaneBinaries, controlPlaneBinaries } from "./binaries.ts";
import type { HarnessOptions, SeededArtifact } from "./lab-cluster.ts";

export const binaries: ControlPlaneBinaries = controlPlaneBinaries();
export const unavailable = "unavailable" in binaries ? binaries.unavailable : undefined;
export { SHARED_UPSTREAM, sharedUpstreamPresent };

let helm: HelmBinary | undefined;
export function helmPath(): string | undefined {
  helm ??= helmBinary();
  return "path" in helm ? helm.path : undefined;
}

export function harnessOptions(log: (line: string) => void, seeded: SeededArtifact[] = []): HarnessOptions {
  if (!("path" in binaries)) throw new Error(unavailable);
  // A user's clone has no ../shared: labs that need no upstream file still run (offline, empty cache).
  return {
    binaries: binaries.path,
    mirror: sharedUpstreamPresent ? SHARED_UPSTREAM : undefined,
    seeded,
    helm: helmPath(),
    log,
  };
}

/** Why a lab's upstream files cannot be had offline here (chart not mirrored, no helm), from prepare's error. */
export function notAtHand(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split("\n")[0]!;
}
