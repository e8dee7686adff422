/**
 * The probe report: every verdict of one run of a lab's probes. Written as JSON (versioned, see
 * outputs/json.ts for the JSON Schema), and rendered for consoles, CI (JUnit) and documents
 * (Markdown).
 */
import { LAYERS, type Layer, type ProbesPlan } from "../probes-plan.ts";
import { summarize, type Verdict, type VerdictStatus } from "./verdict.ts";

export const REPORT_KIND = "labs-probe-report";
/** Bumped when a field changes meaning or disappears; new optional fields keep the version. */
export const REPORT_VERSION = 1;

export interface ProbeReport {
  kind: typeof REPORT_KIND;
  version: typeof REPORT_VERSION;
  lab: string;
  clusterName: string;
  /** ISO time the run finished; absent in reports built for tests. */
  generatedAt?: string;
  summary: Record<VerdictStatus, number> & { total: number };
  verdicts: Verdict[];
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
