/**
 * `labs doctor [lab]`: gathers the host's facts (facts.ts), judges them (checks.ts) and, with
 * `install`, first installs the pinned kind and kubectl into the labs cache when they are missing.
 */
import type { LabSpec } from "../../model/lab-spec.ts";
import { upstreamSettingsFromEnv } from "../../upstream/settings.ts";
import { stateRoot } from "../state.ts";
import { ensureClusterTools, type InstallRecord } from "../tool-install.ts";
import { Toolchain } from "../toolchain.ts";
import { type CheckStatus, type DoctorCheck, doctorChecks, overall } from "./checks.ts";
import { type DoctorFacts, gatherFacts } from "./facts.ts";
import { labNeeds } from "./lab-needs.ts";

export interface DoctorOptions {
  spec?: LabSpec;
  env?: NodeJS.ProcessEnv;
  /** Install missing kind/kubectl (pinned, sha256-verified) before checking. */
  install?: boolean;
  onInstalled?: (record: InstallRecord) => void;
}

export interface DoctorReport {
  lab?: string;
  checks: DoctorCheck[];
  overall: CheckStatus;
  facts: DoctorFacts;
}

export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const env = opts.env ?? process.env;
  const tc = new Toolchain({ env });
  if (opts.install) {
    await ensureClusterTools(tc, {
      yes: true,
      offline: upstreamSettingsFromEnv(env).offline,
      command: "labs doctor --install",
      onInstalled: opts.onInstalled,
    });
  }
  const needs = opts.spec ? labNeeds(opts.spec) : undefined;
  const facts = await gatherFacts(tc, needs, { stateRoot: stateRoot(env) });
  const checks = doctorChecks(facts);
  return { lab: opts.spec?.name, checks, overall: overall(checks), facts };
}
