/**
 * The verdict matrix: labs × catalogue probes. A probe has several checks in a lab; its cell
 * takes the worst verdict (fail, then error, then pass, then skipped) and keeps every check's
 * expectation, observation and reason, so the cell can explain itself.
 */
import type { Layer } from "../probes/probes-plan.ts";
import type { Verdict, VerdictStatus } from "../probes/verdicts/verdict.ts";
import type { LabRun } from "./run-results.ts";

export type CellStatus = VerdictStatus | "absent";

export interface CellCheck {
  id: string;
  describes: string;
  verdict: VerdictStatus;
  expected?: string;
  observed?: string;
  message: string;
}

export interface MatrixCell {
  status: CellStatus;
  counts: Record<VerdictStatus, number>;
  checks: CellCheck[];
}

export interface MatrixProbe {
  id: string;
  title: string;
  layer: Layer;
}

export interface VerdictMatrix {
  /** Row labels, one per lab run: `lab` or `lab (source)` when a lab appears twice. */
  labs: string[];
  probes: MatrixProbe[];
  /** cells[lab][probe] */
  cells: MatrixCell[][];
}

const RANK: VerdictStatus[] = ["fail", "error", "pass", "skipped"];

/** Row labels: the lab's name, with the run's source when the same lab appears more than once. */
export function labLabels(labs: LabRun[]): string[] {
  const counts = new Map<string, number>();
  for (const l of labs) counts.set(l.lab, (counts.get(l.lab) ?? 0) + 1);
  return labs.map((l) => ((counts.get(l.lab) ?? 0) > 1 && l.source ? `${l.lab} (${l.source})` : l.lab));
}

const text = (o: { outcome: string; details: string[] } | undefined, extra?: string) =>
  o ? [o.outcome, ...o.details, ...(extra ? [extra] : [])].join("; ") : undefined;

function cellOf(verdicts: Verdict[]): MatrixCell {
  const counts = { pass: 0, fail: 0, error: 0, skipped: 0 };
  for (const v of verdicts) counts[v.verdict]++;
  const status = verdicts.length ? RANK.find((r) => counts[r] > 0)! : "absent";
  return {
    status,
    counts,
    checks: verdicts.map((v) => ({
      id: v.id,
      describes: v.describes,
      verdict: v.verdict,
      expected: v.expected
        ? `${v.expected.outcome}${v.expected.details.length ? ` (${v.expected.details.join("; ")})` : ""}: ${v.expected.reason}`
        : undefined,
      observed: text(v.observed),
      message: v.message,
    })),
  };
}

export function verdictMatrix(labs: LabRun[]): VerdictMatrix {
  const probes = new Map<string, MatrixProbe>();
  for (const l of labs)
    for (const v of l.probes?.verdicts ?? [])
      if (!probes.has(v.probe)) probes.set(v.probe, { id: v.probe, title: v.title, layer: v.layer });
  const list = [...probes.values()];
  return {
    labs: labLabels(labs),
    probes: list,
    cells: labs.map((l) =>
      list.map((p) => cellOf((l.probes?.verdicts ?? []).filter((v) => v.probe === p.id))),
    ),
  };
}

/** One line per check for a tooltip or a table cell. */
export function explainCell(lab: string, probe: MatrixProbe, cell: MatrixCell): string {
  if (cell.status === "absent") return `${lab} · ${probe.title}: not run in this lab`;
  const lines = [`${lab} · ${probe.title}: ${cell.status}`];
  for (const c of cell.checks) {
    lines.push(`${c.verdict.toUpperCase()} ${c.describes}`);
    if (c.expected) lines.push(`  expected: ${c.expected}`);
    if (c.observed) lines.push(`  observed: ${c.observed}`);
    lines.push(`  why: ${c.message}`);
  }
  return lines.join("\n");
}
