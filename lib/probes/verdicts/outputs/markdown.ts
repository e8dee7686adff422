/** Markdown: a summary line and one table per layer, for handouts, PR comments and reports. */
import { byLayer, LAYER_TITLES, type ProbeReport } from "../report.ts";
import type { Verdict } from "../verdict.ts";

const ICON: Record<Verdict["verdict"], string> = {
  pass: "✅ pass",
  fail: "❌ fail",
  error: "⚠️ error",
  skipped: "⏭️ skipped",
};

/** Table cells cannot hold pipes or newlines. */
export const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");

function row(v: Verdict): string {
  const expected = v.expected
    ? `${v.expected.outcome}${v.expected.details.length ? `: ${v.expected.details.join("; ")}` : ""}`
    : "—";
  const observed = v.observed
    ? `${v.observed.outcome}${v.observed.details.length ? `: ${v.observed.details.join("; ")}` : ""}`
    : "—";
  const what = v.verdict === "skipped" ? v.title : v.describes;
  return `| ${ICON[v.verdict]} | ${cell(what)} | ${cell(expected)} | ${cell(observed)} | ${cell(v.message)} |`;
}

export function renderMarkdown(report: ProbeReport): string {
  const s = report.summary;
  const out = [
    `# Probes: ${report.lab}`,
    "",
    `**${s.pass} passed, ${s.fail} failed, ${s.error} errors, ${s.skipped} skipped** of ${s.total} checks` +
      (report.generatedAt ? ` (${report.generatedAt})` : ""),
    "",
  ];
  for (const [layer, verdicts] of byLayer(report.verdicts)) {
    out.push(
      `## ${LAYER_TITLES[layer]}`,
      "",
      "| | check | expected | observed | why |",
      "|---|---|---|---|---|",
    );
    out.push(...verdicts.map(row), "");
  }
  return out.join("\n");
}
