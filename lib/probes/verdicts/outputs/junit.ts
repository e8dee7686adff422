/**
 * JUnit XML: one testsuite per layer, one testcase per check (skipped probes are testcases with
 * <skipped/>), failures and errors with expected and observed in the body. CI systems read it.
 */
import { byLayer, LAYER_TITLES, type ProbeReport } from "../report.ts";
import type { Verdict } from "../verdict.ts";

export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&apos;")
      // XML 1.0 forbids most control characters even escaped.
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
  );
}

const attr = (name: string, value: string | number) => `${name}="${escapeXml(String(value))}"`;

function seconds(v: Verdict): string {
  const ms = v.evidence && "totalMs" in v.evidence ? v.evidence.totalMs : 0;
  return (ms / 1000).toFixed(3);
}

function body(v: Verdict): string {
  const lines = [v.describes];
  if (v.expected)
    lines.push(
      `expected: ${v.expected.outcome} ${v.expected.details.join("; ")}`.trim(),
      `why: ${v.expected.reason}`,
    );
  if (v.observed) lines.push(`observed: ${v.observed.outcome} ${v.observed.details.join("; ")}`.trim());
  return escapeXml(lines.join("\n"));
}

function testcase(report: ProbeReport, v: Verdict): string {
  const head = `    <testcase ${attr("classname", `${report.lab}.${v.layer}.${v.probe}`)} ${attr("name", v.id)} ${attr("time", seconds(v))}`;
  switch (v.verdict) {
    case "pass":
      return `${head}>\n      <system-out>${body(v)}</system-out>\n    </testcase>`;
    case "skipped":
      return `${head}>\n      <skipped ${attr("message", v.message)}/>\n    </testcase>`;
    case "fail":
      return `${head}>\n      <failure ${attr("message", v.message)} type="fail">${body(v)}</failure>\n    </testcase>`;
    case "error":
      return `${head}>\n      <error ${attr("message", v.message)} type="error">${body(v)}</error>\n    </testcase>`;
  }
}

export function renderJunit(report: ProbeReport): string {
  const suites = byLayer(report.verdicts).map(([layer, verdicts]) => {
    const count = (k: Verdict["verdict"]) => verdicts.filter((v) => v.verdict === k).length;
    const time = verdicts.reduce((t, v) => t + Number(seconds(v)), 0).toFixed(3);
    return [
      `  <testsuite ${attr("name", `${report.lab}: ${LAYER_TITLES[layer]}`)} ${attr("tests", verdicts.length)} ${attr("failures", count("fail"))} ${attr("errors", count("error"))} ${attr("skipped", count("skipped"))} ${attr("time", time)}>`,
      ...verdicts.map((v) => testcase(report, v)),
      "  </testsuite>",
    ].join("\n");
  });
  const s = report.summary;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites ${attr("name", `labs probes: ${report.lab}`)} ${attr("tests", s.total)} ${attr("failures", s.fail)} ${attr("errors", s.error)} ${attr("skipped", s.skipped)}>`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}
