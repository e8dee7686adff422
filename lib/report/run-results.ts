/**
 * `results.json` of a comparison run: for every lab, every probe verdict with its evidence, the
 * time each stage took to become ready, the dataplane's size, performance numbers, the lab's
 * lock, and the host it ran on. Written by `labs compare`, merged by `labs report`; reports and
 * charts are rendered from this file alone.
 */

import type { DataplaneMeasure } from "../components/component.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { LatencyStats } from "../probes/prober/result.ts";
import { PROBE_REPORT_SCHEMA } from "../probes/verdicts/outputs/json.ts";
import type { ProbeReport } from "../probes/verdicts/report.ts";
import type { LabLock } from "../synth/lock.ts";
import { firstShapeProblem } from "./shape-check.ts";

export const RUN_KIND = "labs-run";
/** Bumped when a field changes meaning or disappears; new optional fields keep the version. */
export const RUN_VERSION = 1;

/** The machine a lab ran on. No user names, no home paths. */
export interface HostFingerprint {
  os: string;
  kernel: string;
  arch: string;
  cpu: { model: string; count: number };
  memoryGiB: number;
  /** docker, kind, kubectl, node and labs versions; "unknown" when a tool did not say. */
  tools: Record<string, string>;
}

/** One stage's time to ready, from the runtime's timings.json. */
export interface StageTiming {
  id: string;
  title: string;
  seconds: number;
  status: string;
}

/** What `labs compare` measured (lib/runtime/performance.ts), as results.json keeps it. */
export type LatencyPath = "ClusterIP" | "NodePort" | "Ingress" | "Gateway" | "LoadBalancer";

export interface LatencySample {
  path: LatencyPath;
  /** What was asked, e.g. `http://10.96.12.4/hostname`. */
  target: string;
  requests: number;
  concurrency: number;
  ok: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

/** A latency sample as results.json keeps it, from the engine's latency stats of one path. */
export function latencySample(path: LatencyPath, target: string, s: LatencyStats): LatencySample {
  const { requests, concurrency, ok, errors, p50Ms, p90Ms, p99Ms } = s;
  return { path, target, requests, concurrency, ok, errors, p50Ms, p90Ms, p99Ms };
}

export interface ThroughputSample {
  path: "same-node" | "cross-node";
  /** Megabits per second, as iperf3 reports the receiver side. */
  mbps: number;
  seconds: number;
  /** The iperf3 image, pinned. */
  image: string;
}

export interface DataplaneSize {
  node: string;
  /** What was counted: iptables rules, nftables elements, IPVS services, BPF map entries. */
  measure: DataplaneMeasure;
  count: number;
  command: string[];
}

export interface Performance {
  latency: LatencySample[];
  throughput: ThroughputSample[];
  /** Why a measurement is missing (no Ingress in this lab, iperf3 pod failed, …). */
  notes: string[];
}

export interface LabRun {
  lab: string;
  description?: string;
  clusterName: string;
  /** Where this lab's run came from: a run folder name or CI artifact, set when runs are merged. */
  source?: string;
  /** ok: up and verify ran (probes may still fail); failed: up failed; error: labs itself failed. */
  status: "ok" | "failed" | "error";
  error?: string;
  startedAt?: string;
  host: HostFingerprint;
  lock?: LabLock;
  probes?: ProbeReport;
  stages: StageTiming[];
  dataplane: DataplaneSize[];
  performance?: Performance;
  /** Raw logs of this lab, relative to the run folder. */
  logs?: string;
}

export interface LockDifference {
  /** `nodeImage.digest`, `tools.kind`, `images`, … */
  field: string;
  /** The value per lab run (`<lab> (<source>)` → value). */
  values: Record<string, string>;
}

export interface RunResults {
  kind: typeof RUN_KIND;
  version: typeof RUN_VERSION;
  createdAt: string;
  labs: LabRun[];
  /** Set by `labs report --allow-mixed` when the runs' locks disagree. */
  mixed?: LockDifference[];
}

export function isRunResults(value: unknown): value is RunResults {
  const v = value as Partial<RunResults> | null;
  return !!v && typeof v === "object" && v.kind === RUN_KIND && Array.isArray(v.labs);
}

/** Parses results.json; refuses other kinds and newer versions with a clear line. */
export function parseRunResults(text: string, file: string): RunResults {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new LabError(`${file} is not JSON: ${(e as Error).message}`, undefined, EXIT.usage);
  }
  if (!isRunResults(value))
    throw new LabError(`${file} is not a labs run (kind "${RUN_KIND}")`, "point labs report at a run folder");
  if (value.version !== RUN_VERSION)
    throw new LabError(
      `${file} has run format version ${value.version}; this labs reads version ${RUN_VERSION}`,
      "use the labs version that wrote it",
    );
  // Every field the reports read, checked here: a hand-edited or truncated file fails naming the
  // field, not deep inside a renderer.
  const problem =
    firstShapeProblem(value, RUN_RESULTS_SCHEMA) ??
    value.labs
      .map((l, i) =>
        l.probes ? firstShapeProblem(l.probes, PROBE_REPORT_SCHEMA, `labs[${i}].probes`) : undefined,
      )
      .find(Boolean);
  if (problem)
    throw new LabError(
      `${file} is not a valid labs run: ${problem.path}: ${problem.message}`,
      "regenerate it with `labs compare`, or restore the file as labs wrote it",
    );
  return value;
}

const str = { type: "string" } as const;
const num = { type: "number" } as const;
const int = { type: "integer", minimum: 0 } as const;

/** JSON Schema (draft 2020-12) of results.json. Probe reports follow the probe report schema. */
export const RUN_RESULTS_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://labs.dev/schemas/run-results-v1.json",
  title: "labs comparison run",
  type: "object",
  required: ["kind", "version", "createdAt", "labs"],
  additionalProperties: false,
  properties: {
    kind: { const: RUN_KIND },
    version: { const: RUN_VERSION },
    createdAt: { type: "string", format: "date-time" },
    mixed: {
      type: "array",
      items: {
        type: "object",
        required: ["field", "values"],
        properties: { field: str, values: { type: "object", additionalProperties: str } },
      },
    },
    labs: {
      type: "array",
      items: {
        type: "object",
        required: ["lab", "clusterName", "status", "host", "stages", "dataplane"],
        additionalProperties: false,
        properties: {
          lab: str,
          description: str,
          clusterName: str,
          source: str,
          status: { enum: ["ok", "failed", "error"] },
          error: str,
          startedAt: str,
          logs: str,
          host: {
            type: "object",
            required: ["os", "kernel", "arch", "cpu", "memoryGiB", "tools"],
            properties: {
              os: str,
              kernel: str,
              arch: str,
              cpu: { type: "object", required: ["model", "count"], properties: { model: str, count: int } },
              memoryGiB: num,
              tools: { type: "object", additionalProperties: str },
            },
          },
          lock: { type: "object", required: ["lockVersion", "lab", "tools", "nodeImage", "images"] },
          probes: { type: "object", required: ["kind", "version", "lab", "summary", "verdicts"] },
          stages: {
            type: "array",
            items: {
              type: "object",
              required: ["id", "title", "seconds", "status"],
              properties: { id: str, title: str, seconds: num, status: str },
            },
          },
          dataplane: {
            type: "array",
            items: {
              type: "object",
              required: ["node", "measure", "count", "command"],
              properties: {
                node: str,
                measure: {
                  enum: ["iptables-rules", "nftables-elements", "ipvs-services", "bpf-map-entries"],
                },
                count: int,
                command: { type: "array", items: str },
              },
            },
          },
          performance: {
            type: "object",
            required: ["latency", "throughput", "notes"],
            properties: {
              latency: {
                type: "array",
                items: {
                  type: "object",
                  required: [
                    "path",
                    "target",
                    "requests",
                    "concurrency",
                    "ok",
                    "errors",
                    "p50Ms",
                    "p90Ms",
                    "p99Ms",
                  ],
                  properties: {
                    path: { enum: ["ClusterIP", "NodePort", "Ingress", "Gateway", "LoadBalancer"] },
                    target: str,
                    requests: int,
                    concurrency: int,
                    ok: int,
                    errors: int,
                    p50Ms: num,
                    p90Ms: num,
                    p99Ms: num,
                  },
                },
              },
              throughput: {
                type: "array",
                items: {
                  type: "object",
                  required: ["path", "mbps", "seconds", "image"],
                  properties: {
                    path: { enum: ["same-node", "cross-node"] },
                    mbps: num,
                    seconds: num,
                    image: str,
                  },
                },
              },
              notes: { type: "array", items: str },
            },
          },
        },
      },
    },
  },
} as const;
