/** report.md: the same tables as report.html, for pull requests, job summaries and READMEs. */
import { LAYER_TITLES } from "../probes/verdicts/report.ts";
import { explainCell, labLabels, verdictMatrix } from "./matrix.ts";
import type { LabRun, RunResults } from "./run-results.ts";

const ICON = { pass: "✅", fail: "❌", error: "⚠️", skipped: "⏭️", absent: "·" } as const;
export const cell = (t: string) => t.replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const seconds = (labs: LabRun[]) => labs.map((l) => l.stages.reduce((t, s) => t + s.seconds, 0));

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

export function renderRunMarkdown(run: RunResults): string {
  const labels = labLabels(run.labs);
  const out: string[] = [
    `# labs comparison: ${labels.join(", ")}`,
    "",
    `Run of ${run.createdAt}: ${run.labs.length} lab${run.labs.length === 1 ? "" : "s"}.`,
    "",
  ];
  const total = seconds(run.labs);
  out.push(
    "## Summary",
    "",
    ...table(
      ["lab", "result", "pass", "fail", "error", "skipped", "ready in", "host"],
      run.labs.map((l, i) => {
        const s = l.probes?.summary;
        const result =
          l.status !== "ok"
            ? `⚠️ ${l.status}${l.error ? `: ${cell(l.error)}` : ""}`
            : s && s.fail + s.error === 0
              ? "✅ passed"
              : "❌ probes failed";
        return [
          labels[i]!,
          result,
          String(s?.pass ?? "—"),
          String(s?.fail ?? "—"),
          String(s?.error ?? "—"),
          String(s?.skipped ?? "—"),
          total[i] ? `${total[i]!.toFixed(1)} s` : "—",
          cell(`${l.host.os}, ${l.host.cpu.count} CPU, ${l.host.memoryGiB} GiB`),
        ];
      }),
    ),
    "",
  );
  if (run.mixed?.length) {
    out.push(
      "## ⚠️ Mixed locks",
      "",
      "These runs were not built alike (merged with --allow-mixed): compare their numbers with care.",
      "",
    );
    out.push(
      ...table(
        ["field", "values"],
        run.mixed.map((m) => [
          cell(m.field),
          cell(
            Object.entries(m.values)
              .map(([k, v]) => `${k}: ${v}`)
              .join("; "),
          ),
        ]),
      ),
      "",
    );
  }
  const matrix = verdictMatrix(run.labs);
  if (matrix.probes.length) {
    out.push(
      "## Probe verdicts",
      "",
      `${ICON.pass} pass · ${ICON.fail} fail · ${ICON.error} error · ${ICON.skipped} skipped (does not apply) · ${ICON.absent} not run`,
      "",
    );
    out.push(
      ...table(
        ["layer", "probe", ...matrix.labs],
        matrix.probes.map((p, j) => [
          LAYER_TITLES[p.layer],
          cell(p.title),
          ...matrix.labs.map((_, i) => {
            const c = matrix.cells[i]![j]!;
            const n = c.counts.pass + c.counts.fail + c.counts.error;
            return c.status === "absent" || c.status === "skipped"
              ? ICON[c.status]
              : `${ICON[c.status]} ${c.counts.pass}/${n}`;
          }),
        ]),
      ),
      "",
    );
  }
  const paths = [...new Set(run.labs.flatMap((l) => l.performance?.latency.map((s) => s.path) ?? []))];
  if (paths.length) {
    const sample = run.labs.flatMap((l) => l.performance?.latency ?? [])[0]!;
    out.push(
      "## HTTP latency (ms: p50 / p90 / p99)",
      "",
      `${sample.requests} requests at concurrency ${sample.concurrency} on every path.`,
      "",
    );
    out.push(
      ...table(
        ["path", ...labels],
        paths.map((p) => [
          p,
          ...run.labs.map((l) => {
            const s = l.performance?.latency.find((x) => x.path === p);
            return s
              ? `${ms(s.p50Ms)} / ${ms(s.p90Ms)} / ${ms(s.p99Ms)}${s.errors ? ` (${s.errors} errors)` : ""}`
              : "—";
          }),
        ]),
      ),
      "",
    );
  }
  if (run.labs.some((l) => l.performance?.throughput.length)) {
    out.push("## Pod-to-pod TCP throughput (Mbit/s)", "");
    out.push(
      ...table(
        ["path", ...labels],
        ["same-node", "cross-node"].map((p) => [
          p,
          ...run.labs.map((l) => {
            const t = l.performance?.throughput.find((x) => x.path === p);
            return t ? t.mbps.toFixed(0) : "—";
          }),
        ]),
      ),
      "",
    );
  }
  const stages = [...new Set(run.labs.flatMap((l) => l.stages.map((s) => s.id)))];
  if (stages.length) {
    out.push("## Time to ready (s)", "");
    out.push(
      ...table(
        ["stage", ...labels],
        [
          ...stages.map((id) => [
            cell(run.labs.flatMap((l) => l.stages).find((s) => s.id === id)!.title),
            ...run.labs.map((l) => {
              const s = l.stages.find((x) => x.id === id);
              return s ? s.seconds.toFixed(1) : "—";
            }),
          ]),
          ["**total**", ...total.map((t) => `**${t.toFixed(1)}**`)],
        ],
      ),
      "",
    );
  }
  if (run.labs.some((l) => l.dataplane.length)) {
    out.push("## Dataplane size on one node", "");
    out.push(
      ...table(
        ["lab", "measure", "count", "node"],
        run.labs.flatMap((l, i) => l.dataplane.map((d) => [labels[i]!, d.measure, String(d.count), d.node])),
      ),
      "",
    );
  }
  const notes = run.labs.flatMap((l, i) => (l.performance?.notes ?? []).map((n) => `- ${labels[i]}: ${n}`));
  if (notes.length) out.push("## Notes", "", ...notes, "");
  const problems = run.labs.flatMap((_l, i) =>
    matrix.probes.flatMap((p, j) => {
      const c = matrix.cells[i]?.[j];
      return c && (c.status === "fail" || c.status === "error") ? [explainCell(labels[i]!, p, c)] : [];
    }),
  );
  if (problems.length) out.push("## What failed, and why", "", "```text", ...problems, "```", "");
  out.push(
    "## Hosts",
    "",
    ...table(
      ["lab", "OS", "kernel", "CPU", "memory", "tools"],
      run.labs.map((l, i) => [
        labels[i]!,
        cell(l.host.os),
        l.host.kernel,
        cell(`${l.host.cpu.count}× ${l.host.cpu.model}`),
        `${l.host.memoryGiB} GiB`,
        cell(
          Object.entries(l.host.tools)
            .map(([k, v]) => `${k} ${v}`)
            .join(", "),
        ),
      ]),
    ),
    "",
  );
  return out.join("\n");
}
