/** Console tables grouped by layer, for `labs probes` (the plan) and `labs verify` (the verdicts). */
import { bold, dim, green, red, table, yellow } from "../../../model/style.ts";
import type { PlannedCheck, ProbesPlan } from "../../probes-plan.ts";
import { byLayer, LAYER_TITLES, type ProbeReport } from "../report.ts";
import type { VerdictStatus } from "../verdict.ts";

export interface ConsoleOptions {
  /** Colour on or off (callers pass `useColor()`, which honours NO_COLOR). */
  color: boolean;
}

const MARK: Record<VerdictStatus, string> = { pass: "PASS", fail: "FAIL", error: "ERROR", skipped: "SKIP" };

function mark(v: VerdictStatus, color: boolean): string {
  const paint = { pass: green, fail: red, error: red, skipped: yellow }[v];
  return paint(MARK[v], color);
}

/** Pads before colouring, so escape codes do not upset the columns. */
function cells(
  rows: { verdict: VerdictStatus; cells: string[] }[],
  color: boolean,
  header: string[],
): string {
  const plain = table(
    header,
    rows.map((r) => [MARK[r.verdict], ...r.cells]),
  );
  const lines = plain.split("\n");
  return lines
    .map((line, i) => {
      if (i === 0) return bold(line, color);
      const v = rows[i - 1]!.verdict;
      return line.replace(MARK[v], mark(v, color));
    })
    .join("\n");
}

export function renderReportConsole(report: ProbeReport, o: ConsoleOptions): string {
  const out: string[] = [bold(`${report.lab}: probes`, o.color), ""];
  for (const [layer, verdicts] of byLayer(report.verdicts)) {
    out.push(bold(LAYER_TITLES[layer], o.color));
    out.push(
      cells(
        verdicts.map((v) => ({
          verdict: v.verdict,
          cells: [v.verdict === "skipped" ? v.title : v.describes, v.message],
        })),
        o.color,
        ["", "check", "why"],
      ),
    );
    const failed = verdicts.filter((v) => v.verdict === "fail" && v.expected && v.observed);
    for (const v of failed) {
      out.push(
        dim(`  ${v.id}: expected ${v.expected!.outcome} ${v.expected!.details.join("; ")}`, o.color),
        dim(
          `  ${" ".repeat(v.id.length)}  observed ${v.observed!.outcome} ${v.observed!.details.join("; ")}`,
          o.color,
        ),
      );
    }
    out.push("");
  }
  const s = report.summary;
  const line = `${s.pass} passed, ${s.fail} failed, ${s.error} errors, ${s.skipped} skipped (${s.total} checks)`;
  out.push(s.fail || s.error ? red(line, o.color) : green(line, o.color));
  return out.join("\n");
}

/** The expected outcome in a word or two. */
export function expectLabel(c: PlannedCheck): string {
  if (c.action.kind === "inspect") return c.expect.contains !== undefined ? "contains" : "succeeds";
  if (c.expect.outcome === "status") return `HTTP ${c.expect.status}`;
  if (c.expect.split) return "split";
  if (c.expect.outcome === "blocked") return c.expect.denial ? `blocked (${c.expect.denial})` : "blocked";
  return c.expect.outcome;
}

/** What will be checked and why, without a cluster. */
export function renderPlanConsole(plan: ProbesPlan, o: ConsoleOptions): string {
  const out: string[] = [
    bold(
      `${plan.lab}: ${plan.checks.length} checks from ${plan.probes.length - plan.skipped.length} probes`,
      o.color,
    ),
    "",
  ];
  for (const [layer, probes] of byLayer(plan.probes)) {
    out.push(bold(`== ${LAYER_TITLES[layer]}`, o.color), "");
    for (const p of probes) {
      const skipped = plan.skipped.find((s) => s.probe === p.id);
      out.push(`${bold(p.title, o.color)} ${dim(`[${p.id}]`, o.color)}`);
      out.push(dim(`  ${p.teaches}`, o.color));
      if (skipped) {
        out.push(`  ${yellow("skipped", o.color)}: ${skipped.reason}`, "");
        continue;
      }
      const rows = plan.checks
        .filter((c) => c.probe === p.id)
        .map((c) => [`  ${expectLabel(c)}`, c.describes, c.expect.reason]);
      out.push(table(["  expect", "path", "why"], rows));
      for (const l of (plan.leftOut ?? []).filter((x) => x.probe === p.id))
        out.push(`  ${yellow("left out", o.color)}: ${l.describes}: ${l.reason}`);
      out.push("");
    }
  }
  return out.join("\n").trimEnd();
}
