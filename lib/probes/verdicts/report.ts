/**
 * The probe report: every verdict of one run of a lab's probes. Written as JSON (versioned, see
 * outputs/json.ts for the JSON Schema), and rendered for consoles, CI (JUnit) and documents
 * (Markdown).
 */

import { LAYERS, type Layer, type ProbesPlan } from "../probes-plan.ts";
import type { FaultCheck } from "./fault-check.ts";
import { summarize, type Verdict, type VerdictStatus } from "./verdict.ts";

export const REPORT_KIND = "labs-probe-report";
/**
 * Bumped when a field changes meaning or disappears, and when one is added: the JSON Schema closes
 * every object (additionalProperties: false), so a tool validating against the older schema would
 * reject the new field. Version 2 added `fault`; a version 1 report is a version 2 report without
 * it, so readers accept both (READABLE_REPORT_VERSIONS).
 */
export const REPORT_VERSION = 2;
export const READABLE_REPORT_VERSIONS = [1, 2] as const;

export interface ProbeReport {
  kind: typeof REPORT_KIND;
  /** REPORT_VERSION when written here; older reports read back may have an older one. */
  version: (typeof READABLE_REPORT_VERSIONS)[number];
  lab: string;
  clusterName: string;
  /** ISO time the run finished; absent in reports built for tests. */
  generatedAt?: string;
  summary: Record<VerdictStatus, number> & { total: number };
  verdicts: Verdict[];
  /**
   * When the lab was broken on purpose (`labs break`): the fault, its signature check by check
   * beside the verdicts, whether they match and where the failures point (lib/faults/compare.ts).
   */
  fault?: FaultCheck;
}

export function buildReport(plan: ProbesPlan, verdicts: Verdict[], generatedAt?: string): ProbeReport {
  const report: ProbeReport = {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    lab: plan.lab,
    clusterName: plan.clusterName,
    summary: summarize(verdicts),
    verdicts,
  };
  if (generatedAt) report.generatedAt = generatedAt;
  return report;
}

/** Verdicts grouped by layer, in layer order, empty layers left out. */
export function byLayer<T extends { layer: Layer }>(items: T[]): [Layer, T[]][] {
  return LAYERS.map((l): [Layer, T[]] => [l, items.filter((i) => i.layer === l)]).filter(
    ([, v]) => v.length > 0,
  );
}

/** A run passes when nothing failed or errored (skipped probes do not count against it). */
export const reportPassed = (r: ProbeReport) => r.summary.fail === 0 && r.summary.error === 0;

export const LAYER_TITLES: Record<Layer, string> = {
  node: "Node network",
  pod: "Pod network",
  service: "Service network",
  "north-south": "North-south",
  policy: "NetworkPolicy",
  dataplane: "Dataplane (on the nodes)",
};
