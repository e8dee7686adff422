/**
 * report.html: one self-contained file (styles and SVG charts inline, no script, no network).
 * The verdict matrix is a table whose every cell explains itself on hover (expected, observed,
 * why); latency, throughput, dataplane size and time to ready are ECharts bar charts.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { LAYER_TITLES } from "../probes/verdicts/report.ts";
import { type Chart, dataplaneChart, latencyCharts, readinessChart, throughputChart } from "./charts.ts";
import { explainCell, labLabels, verdictMatrix } from "./matrix.ts";
import type { RunResults } from "./run-results.ts";

export const REPORT_TEMPLATE = fileURLToPath(new URL("../../templates/report.html.tmpl", import.meta.url));

export const escapeHtml = (t: string) =>
  t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function summary(run: RunResults, labels: string[]): string {
  const cards = run.labs.map((l, i) => {
    const s = l.probes?.summary;
    const broken = l.status !== "ok";
    const bad = !broken && !!s && s.fail + s.error > 0;
    const ready = l.stages.reduce((t, x) => t + x.seconds, 0);
    const line = broken
      ? `${l.status}${l.error ? `: ${l.error}` : ""}`
      : s
        ? `${s.pass} pass · ${s.fail} fail · ${s.error} error · ${s.skipped} skipped`
        : "no probe report";
    return `<div class="card${broken ? " broken" : bad ? " bad" : ""}" data-lab="${escapeHtml(labels[i]!)}"><h3>${escapeHtml(labels[i]!)}</h3><div>${escapeHtml(line)}</div><div class="n">${ready ? `ready in ${ready.toFixed(1)} s · ` : ""}${escapeHtml(l.host.os)}, ${l.host.cpu.count} CPU</div></div>`;
  });
  return `<section id="summary"><h2>Summary</h2><div class="cards">${cards.join("")}</div></section>`;
}

function mixed(run: RunResults): string {
  if (!run.mixed?.length) return "";
  const rows = run.mixed
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.field)}</td><td>${Object.entries(m.values)
          .map(([k, v]) => `${escapeHtml(k)}: <code>${escapeHtml(v)}</code>`)
          .join("<br>")}</td></tr>`,
    )
    .join("");
  return `<section id="mixed"><div class="banner"><strong>Mixed locks.</strong> These runs were not built alike (merged with --allow-mixed): compare their numbers with care.</div><table class="plain">${rows}</table></section>`;
}

function matrixSection(run: RunResults): string {
  const m = verdictMatrix(run.labs);
  if (!m.probes.length) return "";
  const head = `<tr><th></th>${m.labs.map((l) => `<th class="lab" scope="col">${escapeHtml(l)}</th>`).join("")}</tr>`;
  const rows: string[] = [];
  let layer = "";
  m.probes.forEach((p, j) => {
    if (p.layer !== layer) {
      layer = p.layer;
      rows.push(
        `<tr><th class="layer" colspan="${m.labs.length + 1}">${escapeHtml(LAYER_TITLES[p.layer])}</th></tr>`,
      );
    }
    const cells = m.labs.map((lab, i) => {
      const c = m.cells[i]![j]!;
      const n = c.counts.pass + c.counts.fail + c.counts.error;
      const label = c.status === "absent" ? "·" : c.status === "skipped" ? "–" : `${c.counts.pass}/${n}`;
      const tip = explainCell(lab, p, c);
      return `<td class="cell ${c.status}" data-lab="${escapeHtml(lab)}" data-probe="${escapeHtml(p.id)}" title="${escapeHtml(tip)}">${label}<div class="tip">${escapeHtml(tip)}</div></td>`;
    });
    rows.push(
      `<tr><th class="probe" scope="row" title="${escapeHtml(p.id)}">${escapeHtml(p.title)}</th>${cells.join("")}</tr>`,
    );
  });
  const legend = ["pass", "fail", "error", "skipped", "absent"]
    .map(
      (s) =>
        `<span><i style="background:var(--${s})"></i>${s === "absent" ? "not run" : s === "skipped" ? "skipped (does not apply)" : s}</span>`,
    )
    .join("");
  return `<section id="verdicts"><h2>Probe verdicts</h2><p class="legend">${legend}<span>Hover a cell: expected, observed and why, for every check.</span></p><table class="matrix"><thead>${head}</thead><tbody>${rows.join("")}</tbody></table></section>`;
}

function chartsSection(id: string, title: string, charts: Chart[], note = ""): string {
  if (!charts.length) return "";
  const figures = charts
    .map(
      (c) => `<figure class="chart" id="chart-${c.id}" aria-label="${escapeHtml(c.title)}">${c.svg}</figure>`,
    )
    .join("");
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${note ? `<p class="muted">${escapeHtml(note)}</p>` : ""}<div class="charts">${figures}</div></section>`;
}

function failures(run: RunResults, labels: string[]): string {
  const m = verdictMatrix(run.labs);
  const items = run.labs.flatMap((_, i) =>
    m.probes.flatMap((p, j) => {
      const c = m.cells[i]![j]!;
      return c.status === "fail" || c.status === "error" ? [explainCell(labels[i]!, p, c)] : [];
    }),
  );
  if (!items.length) return "";
  return `<section id="failures"><h2>What failed, and why</h2>${items.map((t) => `<pre>${escapeHtml(t)}</pre>`).join("")}</section>`;
}

function hosts(run: RunResults, labels: string[]): string {
  const rows = run.labs
    .map(
      (l, i) =>
        `<tr><td>${escapeHtml(labels[i]!)}</td><td>${escapeHtml(l.host.os)}</td><td>${escapeHtml(l.host.kernel)}</td><td>${l.host.cpu.count}× ${escapeHtml(l.host.cpu.model)}</td><td>${l.host.memoryGiB} GiB</td><td>${escapeHtml(
          Object.entries(l.host.tools)
            .map(([k, v]) => `${k} ${v}`)
            .join(", "),
        )}</td></tr>`,
    )
    .join("");
  return `<section id="hosts"><h2>Hosts</h2><table class="plain"><tr><th>lab</th><th>OS</th><th>kernel</th><th>CPU</th><th>memory</th><th>tools</th></tr>${rows}</table></section>`;
}

export function renderRunHtml(run: RunResults, template = readFileSync(REPORT_TEMPLATE, "utf8")): string {
  const labels = labLabels(run.labs);
  const latency = latencyCharts(run.labs, labels);
  const sample = run.labs.flatMap((l) => l.performance?.latency ?? [])[0];
  const body = [
    summary(run, labels),
    mixed(run),
    matrixSection(run),
    chartsSection(
      "latency",
      "Latency",
      latency,
      sample ? `${sample.requests} requests at concurrency ${sample.concurrency} on every path.` : "",
    ),
    chartsSection(
      "throughput",
      "Throughput",
      [throughputChart(run.labs, labels)].filter((c): c is Chart => !!c),
    ),
    chartsSection(
      "readiness",
      "Time to ready",
      [readinessChart(run.labs, labels)].filter((c): c is Chart => !!c),
    ),
    chartsSection(
      "dataplane",
      "Dataplane size",
      [dataplaneChart(run.labs, labels)].filter((c): c is Chart => !!c),
    ),
    failures(run, labels),
    hosts(run, labels),
  ].join("\n");
  const title = `labs comparison: ${labels.join(", ")}`;
  const values: Record<string, string> = {
    title: escapeHtml(title),
    subtitle: escapeHtml(
      `Run of ${run.createdAt} · ${run.labs.length} lab${run.labs.length === 1 ? "" : "s"}`,
    ),
    body,
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? "");
}
