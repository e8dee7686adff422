/**
 * Rendered Helm charts, kept in the artifact cache so synth can include a chart's manifests
 * without running helm (synth is pure). The artifact step (lib/runtime/helm.ts `ensureRendered`)
 * renders each request once and files the output as a blob; a pointer named by
 * sha256(chart digest, release, namespace, kube version, values, helm version) leads to it.
 *
 * How a component gets its rendered YAML at synth time: it describes the render as a
 * `ChartRenderRequest` (chart pin + release + namespace + values + kube version); the artifact
 * step renders it; at synth, `renderedChartReader(cacheDir, helmVersion, recorded)(request)`
 * returns the YAML, or throws a LabError saying to run the artifact step first.
 */
import { join } from "node:path";
import { stringify } from "yaml";
import type { ArtifactRef } from "../model/artifact-ref.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { atomicWrite, readBlob, readIfExists, writeBlob } from "./cache.ts";
import { isSha256Hex, sha256Hex } from "./digest.ts";
import { isRecordedOnFirstDownload } from "./pins.ts";

export interface ChartRenderRequest {
  chart: ArtifactRef;
  releaseName: string;
  namespace: string;
  values: Record<string, unknown>;
  /** As given to `helm template --kube-version`, e.g. `v1.36.1`. */
  kubeVersion: string;
}

/** Values as YAML with keys sorted at every level: equal values always give equal bytes. */
export function valuesYaml(values: Record<string, unknown>): string {
  return stringify(sortKeys(values), { sortMapEntries: true, lineWidth: 0 });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return Object.fromEntries(
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

export function renderKey(request: ChartRenderRequest, chartSha256: string, helmVersion: string): string {
  const parts = [
    `chart=${chartSha256}`,
    `release=${request.releaseName}`,
    `namespace=${request.namespace}`,
    `kube=${request.kubeVersion}`,
    `helm=${helmVersion}`,
    `values=${valuesYaml(request.values)}`,
  ];
  return sha256Hex(parts.join("\n"));
}

function pointerPath(cacheDir: string, key: string): string {
  return join(cacheDir, "rendered", key);
}

/** Files a render; returns the sha256 of the YAML (the lock may record it). */
export function storeRender(cacheDir: string, key: string, yaml: string): string {
  const bytes = Buffer.from(yaml, "utf8");
  const sha256 = sha256Hex(bytes);
  writeBlob(cacheDir, bytes, sha256);
  atomicWrite(pointerPath(cacheDir, key), `${sha256}\n`, cacheDir);
  return sha256;
}

/** The cached render for `key`, verified, or undefined. */
export function readRender(cacheDir: string, key: string): string | undefined {
  const sha256 = readIfExists(pointerPath(cacheDir, key))?.toString("utf8").trim();
  if (!sha256 || !isSha256Hex(sha256)) return undefined;
  const read = readBlob(cacheDir, sha256);
  return read.state === "hit" ? read.bytes.toString("utf8") : undefined;
}

/** The chart digest a request renders: its pin, or the lock's for a pin recorded on first download. */
export function chartDigest(chart: ArtifactRef, recorded: Record<string, string> = {}): string {
  if (!isRecordedOnFirstDownload(chart)) return chart.sha256;
  const locked = recorded[chart.id];
  if (!locked) {
    throw new LabError(
      `the digest of ${chart.id} is not known yet`,
      "run `labs prefetch <lab>` (or `labs up`) so it is downloaded and recorded in lab.lock.json",
      EXIT.environment,
    );
  }
  return locked;
}

/** The synth-time reader of rendered charts. Never runs helm. */
export function renderedChartReader(
  cacheDir: string,
  helmVersion: string,
  recorded: Record<string, string> = {},
): (request: ChartRenderRequest) => string {
  return (request) => {
    const key = renderKey(request, chartDigest(request.chart, recorded), helmVersion);
    const yaml = readRender(cacheDir, key);
    if (yaml !== undefined) return yaml;
    throw new LabError(
      `chart ${request.chart.id} (release ${request.releaseName}) has not been rendered with helm ${helmVersion}`,
      "run `labs prefetch <lab>` (or `labs up`): charts are rendered in the artifact step, before synth",
      EXIT.environment,
    );
  };
}
