import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { join } from "node:path";
import { DOMParser } from "@xmldom/xmldom";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { PROBE_REPORT_SCHEMA } from "../../lib/probes/verdicts/outputs/json.ts";
import { renderRunHtml } from "../../lib/report/html.ts";
import { renderRunJunit } from "../../lib/report/junit.ts";
import { renderRunMarkdown } from "../../lib/report/markdown.ts";
import { verdictMatrix } from "../../lib/report/matrix.ts";
import { RUN_RESULTS_SCHEMA } from "../../lib/report/run-results.ts";
import { renderRunFiles, writeRunDir } from "../../lib/report/write.ts";
import { CHROMIUM, dumpDom, NO_CHROMIUM, screenshot } from "./chromium.ts";
import { NFTABLES, readRun, TWO_CNIS, tempDir } from "./support.ts";

const run = readRun(TWO_CNIS);

describe("the recorded runs", () => {
  it("follow the versioned results schema, with every probe report in the probe report schema", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validRun = ajv.compile(RUN_RESULTS_SCHEMA);
    const validReport = ajv.compile(PROBE_REPORT_SCHEMA);
    for (const dir of [TWO_CNIS, NFTABLES]) {
      const r = readRun(dir);
      expect(validRun(r), JSON.stringify(validRun.errors?.slice(0, 3))).toBe(true);
      for (const lab of r.labs)
        expect(validReport(lab.probes), JSON.stringify(validReport.errors?.slice(0, 3))).toBe(true);
    }
  });

  it("come from real prober runs: every verdict that ran carries the engine's evidence", () => {
    const verdicts = run.labs.flatMap((l) => l.probes!.verdicts);
    const statuses = new Set(verdicts.map((v) => v.verdict));
    // Passes, failures, errors and skips: a report has to show all four.
    expect([...statuses].sort()).toEqual(["error", "fail", "pass", "skipped"]);
    const engine = verdicts.filter((v) => v.evidence && "attempts" in v.evidence);
    expect(engine.length).toBeGreaterThan(20);
    for (const v of engine) {
      const e = v.evidence as { startedAt: string; totalMs: number; attempts: { count: number } };
      expect(Date.parse(e.startedAt)).not.toBeNaN();
      expect(e.totalMs).toBeGreaterThanOrEqual(0);
    }
    // A confirmed block: the engine tried twice and nothing answered.
    expect(
      verdicts.some(
        (v) =>
          v.verdict === "pass" &&
          v.expected?.outcome === "blocked" &&
          (v.evidence as { blockConfirmed?: boolean })?.blockConfirmed,
      ),
    ).toBe(true);
    const latency = run.labs.flatMap((l) => l.performance!.latency);
    expect(new Set(latency.map((s) => `${s.requests}/${s.concurrency}`)).size).toBe(1);
    for (const s of latency) expect(s.p50Ms).toBeLessThanOrEqual(s.p99Ms);
  });

  it("show the evidence that decided each failed check, in words, in Markdown and HTML", () => {
    const md = renderRunMarkdown(run);
    const html = renderRunHtml(run);
    const failed = run.labs.flatMap((l) => l.probes!.verdicts).filter((v) => v.verdict === "fail");
    expect(failed.length).toBeGreaterThan(0);
    const inHtml = (t: string) =>
      t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    for (const v of failed) {
      // What was seen, attempt by attempt ("no handshake within …", "the lookup of … failed"), and
      // the sentence that decided the verdict.
      expect(v.observed!.details.length, v.id).toBeGreaterThan(0);
      expect(md, v.id).toContain(`why: ${v.message}`);
      expect(html, v.id).toContain(inHtml(`why: ${v.message}`));
      for (const d of v.observed!.details) expect(md, v.id).toContain(d);
    }
    // A drop that passed is explained by what was seen too: no handshake on either attempt.
    const drop = run.labs[0]!.probes!.verdicts.find(
      (v) => v.id === "netpol-ingress/probe-worker/netpol-deny",
    )!;
    expect(drop).toMatchObject({ verdict: "pass" });
    expect(drop.observed!.details).toEqual([
      expect.stringMatching(/^attempt 1: no handshake within the timeout/),
      expect.stringMatching(/^attempt 2: no handshake within the timeout/),
    ]);
  });

  it("name no user and no home folder", () => {
    for (const dir of [TWO_CNIS, NFTABLES]) {
      const text = readFileSync(join(dir, "results.json"), "utf8");
      if (homedir().length > 1) expect(text).not.toContain(`${homedir()}/`);
      expect(text).not.toContain(`"${userInfo().username}"`);
      expect(text).not.toContain("/home/");
    }
  });
});

describe("report.md and junit.xml", () => {
  it("carry the same table the HTML draws: one row per probe, one column per lab", () => {
    const md = renderRunMarkdown(run);
    const matrix = verdictMatrix(run.labs);
    const section = md.split("## Probe verdicts")[1]!.split("\n## ")[0]!;
    const rows = section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| layer"));
    expect(rows).toHaveLength(matrix.probes.length);
    for (const r of rows) expect(r.split(" | ")).toHaveLength(2 + run.labs.length);
    expect(md).toContain("| lab | result | pass | fail | error | skipped | ready in | host |");
    for (const l of run.labs)
      expect(md).toContain(
        `| ${l.lab} | ❌ probes failed | ${l.probes!.summary.pass} | ${l.probes!.summary.fail} |`,
      );
    expect(md).toMatch(
      /## HTTP latency \(ms: p50 \/ p90 \/ p99\)\n\n300 requests at concurrency 8 on every path/,
    );
    expect(md).toContain("## What failed, and why");
  });

  it("gives JUnit one suite per lab and one case per check, failures and errors counted", () => {
    const doc = new DOMParser().parseFromString(renderRunJunit(run), "text/xml");
    const suites = Array.from(doc.getElementsByTagName("testsuite"));
    expect(suites.map((s) => s.getAttribute("name"))).toEqual(run.labs.map((l) => l.lab));
    suites.forEach((s, i) => {
      const summary = run.labs[i]!.probes!.summary;
      expect(s.getElementsByTagName("testcase").length).toBe(summary.total);
      expect(Number(s.getAttribute("failures"))).toBe(summary.fail);
      expect(s.getElementsByTagName("failure").length).toBe(summary.fail);
      expect(s.getElementsByTagName("error").length).toBe(summary.error);
      expect(s.getElementsByTagName("skipped").length).toBe(summary.skipped);
    });
  });

  it("writes the four files of a run folder", () => {
    const dir = tempDir("labs-write-");
    const files = writeRunDir(run, dir);
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual([
      "junit.xml",
      "report.html",
      "report.md",
      "results.json",
    ]);
    expect(readRun(dir)).toEqual(run);
  });
});

describe("report.html", () => {
  const html = renderRunHtml(run);

  it("is one self-contained file: no script, no stylesheet link, nothing fetched", () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html.match(/<svg/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
  });

  it.skipIf(!CHROMIUM)(
    "shows a verdict matrix whose cells explain themselves, and ECharts bar charts, in Chromium",
    () => {
      const dir = tempDir("labs-html-");
      const file = join(dir, "report.html");
      writeRunDir(run, dir);
      const dom = dumpDom(file, 3000);
      const matrix = verdictMatrix(run.labs);
      const cells = [
        ...dom.matchAll(
          /<td class="cell (pass|fail|error|skipped|absent)" data-lab="([^"]+)" data-probe="([^"]+)" title="([^"]*)"/g,
        ),
      ];
      expect(cells).toHaveLength(run.labs.length * matrix.probes.length);
      for (const lab of run.labs)
        expect(cells.filter((c) => c[2] === lab.lab)).toHaveLength(matrix.probes.length);
      // Each cell's hover text says what was expected, what was seen and why, for every check.
      for (const c of cells.filter((c) => c[1] === "fail" || c[1] === "pass")) {
        expect(c[4]).toMatch(/expected: /);
        expect(c[4]).toMatch(/why: /);
      }
      expect(cells.filter((c) => c[1] === "fail").every((c) => /observed: /.test(c[4]!))).toBe(true);
      for (const title of [
        "HTTP latency p50 by path (ms)",
        "HTTP latency p99 by path (ms)",
        "Pod-to-pod TCP throughput (Mbit/s)",
        "Time to ready per stage (s)",
      ]) {
        expect(dom).toContain(`aria-label="${title}"`);
        expect(dom).toContain(`>${title}</text>`);
      }
      // Bars are drawn, one series per lab in the legend.
      for (const lab of run.labs) expect(dom).toContain(`>${lab.lab}</text>`);

      const png = join(dir, "report.png");
      screenshot(file, png, 1400, 2600);
      const bytes = readFileSync(png);
      expect(bytes.subarray(1, 4).toString()).toBe("PNG");
      expect(statSync(png).size).toBeGreaterThan(50_000);
      console.log(`report screenshot: ${png}`);
    },
    120_000,
  );
});
if (!CHROMIUM) console.log(`skipping the report.html checks in Chromium: ${NO_CHROMIUM}`);

it("keeps the committed fixture reports in step with the renderers", () => {
  // The fixtures' report files are rendered from their results.json: a renderer change shows here.
  for (const dir of [TWO_CNIS, NFTABLES]) {
    const files = renderRunFiles(readRun(dir));
    for (const name of ["report.md", "junit.xml", "report.html"] as const) {
      expect(existsSync(join(dir, name))).toBe(true);
      expect(readFileSync(join(dir, name), "utf8"), `${dir}/${name}: run scripts/record-fixtures.ts`).toBe(
        files[name],
      );
    }
  }
});
