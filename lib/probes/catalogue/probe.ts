/**
 * A catalogue probe: what it checks (layer, title, what it teaches) and how it plans its checks
 * for a lab, or why it does not apply. Adding a probe = one definition in a family file + one line
 * in `index.ts`.
 */

import type { NorthSouthCapability } from "../../components/component.ts";
import type { ClientPod } from "../clients.ts";
import type { Clients, ProbeLab } from "../probe-lab.ts";
import type { Action, Endpoint, Expectation, PlannedCheck, ProbeInfo, SourceRef } from "../probes-plan.ts";

/** A check a probe could have planned but left out, and why. */
export interface LeftOut {
  describes: string;
  reason: string;
}

export type Planned = PlannedCheck[] | { skip: string } | { checks: PlannedCheck[]; leftOut: LeftOut[] };

export interface ProbeDefinition extends ProbeInfo {
  /**
   * The capability the probe needs from the lab (a load balancer, an Ingress controller, Gateway
   * API). A lab without it skips the probe with its claim's reason, and `plan` is not asked.
   */
  requires?: NorthSouthCapability;
  /** The probe's checks in `pl`, sent from its client pods (`clients`), or why it does not apply. */
  plan(pl: ProbeLab, clients: Clients): Planned;
}

export function defineProbe(p: ProbeDefinition): ProbeDefinition {
  return p;
}

export const HOST: SourceRef = { host: true };
export const fromClient = (c: ClientPod): SourceRef => ({ client: c.name });

/** Builds a check of `probe`; the id is the probe id plus the variant parts that make it unique. */
export function check(
  probe: { id: string },
  variant: (string | undefined)[],
  from: SourceRef,
  action: Action,
  expect: Expectation,
  describes: string,
): PlannedCheck {
  const id = [probe.id, ...variant.filter((v): v is string => !!v)].join("/");
  return { id, probe: probe.id, from, action, expect, describes };
}

export const httpGet = (
  to: Endpoint,
  path: string,
  extra: Partial<Extract<Action, { kind: "http" }>> = {},
): Action => ({
  kind: "http",
  to,
  path,
  ...extra,
});

/** Nothing to check is a skip, with the reason given. */
export const orSkip = (checks: PlannedCheck[], reason: string): Planned =>
  checks.length ? checks : { skip: reason };

/**
 * Checks, and the ones left out with their reasons. With no check left the probe is skipped,
 * and the skip says why each was left out.
 */
export function withLeftOut(checks: PlannedCheck[], leftOut: LeftOut[], none: string): Planned {
  if (checks.length) return leftOut.length ? { checks, leftOut } : checks;
  if (!leftOut.length) return { skip: none };
  return { skip: leftOut.map((l) => `${l.describes}: ${l.reason}`).join("; ") };
}
