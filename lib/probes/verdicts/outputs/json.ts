/**
 * The report as JSON: `ProbeReport` (report.ts), version REPORT_VERSION. The JSON Schema below
 * documents it for other tools; `test/probes/outputs.test.ts` validates real reports against it.
 */

import { LAYERS } from "../../probes-plan.ts";
import { FAULT_CHECK_SCHEMA } from "../fault-check.ts";
import { type ProbeReport, READABLE_REPORT_VERSIONS, REPORT_KIND } from "../report.ts";
import { VERDICTS } from "../verdict.ts";

export function renderJson(report: ProbeReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const strings = { type: "array", items: { type: "string" } } as const;

/**
 * JSON Schema (draft 2020-12) of `ProbeReport`, version 2. Version 1 had no `fault`; it validates
 * here as well, since it is a version 2 report without one.
 */
export const PROBE_REPORT_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://labs.dev/schemas/probe-report-v2.json",
  title: "labs probe report",
  description:
    "Every verdict of one run of a lab's probes: pass, fail, error or skipped, with expectation and evidence.",
  type: "object",
  required: ["kind", "version", "lab", "clusterName", "summary", "verdicts"],
  properties: {
    kind: { const: REPORT_KIND },
    version: { enum: [...READABLE_REPORT_VERSIONS] },
    lab: { type: "string" },
    clusterName: { type: "string" },
    generatedAt: { type: "string", format: "date-time" },
    summary: {
      type: "object",
      required: [...VERDICTS, "total"],
      properties: Object.fromEntries([...VERDICTS, "total"].map((k) => [k, { type: "integer", minimum: 0 }])),
      additionalProperties: false,
    },
    verdicts: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "probe", "layer", "title", "describes", "source", "verdict", "message"],
        properties: {
          id: { type: "string" },
          probe: { type: "string" },
          layer: { enum: [...LAYERS] },
          title: { type: "string" },
          describes: { type: "string", description: "the path in words" },
          source: { type: "string", description: "client pod, `host`, node, or `-` for a skipped probe" },
          target: { type: "string", description: "the target as resolved (IP:port, URL, DNS name, node)" },
          verdict: { enum: [...VERDICTS] },
          message: { type: "string", description: "why it passed, failed, errored or was skipped" },
          expected: {
            type: "object",
            required: ["outcome", "reason", "details"],
            properties: {
              outcome: { enum: ["reachable", "blocked", "status"] },
              reason: { type: "string", description: "from the capability claims of the lab's components" },
              details: strings,
              because: {
                type: "object",
                required: ["capability", "by"],
                properties: { capability: { type: "string" }, by: { type: "string" } },
              },
            },
          },
          observed: {
            type: "object",
            required: ["outcome", "details"],
            properties: { outcome: { type: "string" }, details: strings },
          },
          evidence: {
            type: "object",
            description: "the prober's result (lib/probes/prober/result.ts) or the inspection output",
          },
        },
        additionalProperties: false,
      },
    },
    fault: FAULT_CHECK_SCHEMA,
  },
  additionalProperties: false,
} as const;
