/**
 * Helm, used only to render charts into plain manifests (`helm template`), in the artifact step
 * before synth. Renders are checked to be byte-identical run to run (a chart that generates
 * random certificates must be given values that stop it), then filed in the render cache that
 * synth reads (lib/upstream/render-cache.ts). Labs without charts never need helm.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT, LabError } from "../model/errors.ts";
import { blobPath, defaultCacheDir } from "../upstream/cache.ts";
import { sha256Hex } from "../upstream/digest.ts";
import {
  type ChartRenderRequest,
  chartDigest,
  readRender,
  renderKey,
  storeRender,
  valuesYaml,
} from "../upstream/render-cache.ts";
import { lastLines, type RunResult, run } from "./process.ts";
import { locateTool, missingTool } from "./toolchain.ts";

/** How helm is run: cancelled with the caller's AbortSignal, and logged like every other tool. */
export interface HelmRunOptions {
  /** The environment helm's own settings are taken from (see helmEnv). @default process.env */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called after every helm command, e.g. to append it to the lab's command log. */
  onCommand?: (result: RunResult) => void;
}

export interface RenderChartOptions {
  /** Path of the helm binary (see findHelm). */
  helm: string;
  /** A packaged chart (.tgz; the cache's blob files work too) or a chart folder. */
  chartPath: string;
  releaseName: string;
  namespace: string;
  values: Record<string, unknown>;
  kubeVersion: string;
}

export interface RenderedChart {
  id: string;
  releaseName: string;
  chartSha256: string;
  helmVersion: string;
  /** Render cache key; `sha256` is the digest of the rendered YAML. */
  key: string;
  sha256: string;
}

/** `LABS_HELM`, else `helm` on PATH (as the toolchain finds it). */
export function findHelm(env: NodeJS.ProcessEnv = process.env): string {
  const found = locateTool("helm", env, defaultCacheDir(env));
  if (!found) throw missingTool("helm");
  return found.path;
}

/** e.g. `v4.1.4`; part of the render cache key, since another helm may render differently. */
export async function helmVersion(helm: string, opts: HelmRunOptions = {}): Promise<string> {
  const { stdout } = await runHelm(helm, ["version", "--template", "{{.Version}}"], opts);
  return stdout.trim();
}

export async function renderChart(o: RenderChartOptions, opts: HelmRunOptions = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "labs-helm-"));
  try {
    const valuesFile = join(dir, "values.yaml");
    writeFileSync(valuesFile, valuesYaml(o.values));
    const args = ["template", o.releaseName, o.chartPath, "--namespace", o.namespace, "--include-crds"];
    args.push("--values", valuesFile, "--kube-version", o.kubeVersion);
    const { stdout } = await runHelm(o.helm, args, opts);
    return stdout.endsWith("\n") ? stdout : `${stdout}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A render of the biggest chart (Cilium's) takes seconds: minutes mean helm is stuck. */
const HELM_TIMEOUT_MS = 5 * 60_000;

async function runHelm(helm: string, args: string[], opts: HelmRunOptions): Promise<{ stdout: string }> {
  const result = await run(helm, args, {
    env: helmEnv(opts.env ?? process.env),
    signal: opts.signal,
    timeoutMs: HELM_TIMEOUT_MS,
  });
  opts.onCommand?.(result);
  if (result.ok) return { stdout: result.stdout };
  const detail = result.timedOut
    ? `no answer within ${HELM_TIMEOUT_MS / 60_000} minutes`
    : lastLines(result.stderr);
  throw new LabError(
    `helm ${args[0]} failed: ${detail}`,
    "check the chart and values given to helm",
    EXIT.environment,
  );
}

/**
 * What helm is given of the environment: where to find programs, its home and temp folders and
 * where the user keeps helm's own files. Nothing else: a render goes into a cache keyed by chart,
 * values and helm version only, so it must not depend on KUBECONFIG, HELM_* flags or proxies.
 */
export function helmEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const keep = /^(PATH|HOME|TMPDIR|XDG_(CACHE|CONFIG|DATA)_HOME|HELM_(CACHE|CONFIG|DATA)_HOME)$/;
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => keep.test(k) && v !== undefined));
}

export interface EnsureRenderedOptions extends HelmRunOptions {
  cacheDir: string;
  helm: string;
  /** Digests from lab.lock.json for charts recorded on first download. */
  recorded?: Record<string, string>;
  onProgress?: (event: { kind: "render-hit" | "rendered"; id: string; releaseName: string }) => void;
}

/**
 * Renders every request not yet in the render cache. Charts must already be in the artifact
 * cache (ensureArtifacts). Each render is done twice and must come out byte-identical.
 */
export async function ensureRendered(
  requests: ChartRenderRequest[],
  opts: EnsureRenderedOptions,
): Promise<RenderedChart[]> {
  const version = await helmVersion(opts.helm, opts);
  const out: RenderedChart[] = [];
  for (const request of requests) {
    out.push(await ensureOneRendered(request, version, opts));
  }
  return out;
}

async function ensureOneRendered(
  request: ChartRenderRequest,
  version: string,
  opts: EnsureRenderedOptions,
): Promise<RenderedChart> {
  const chartSha256 = chartDigest(request.chart, opts.recorded);
  const key = renderKey(request, chartSha256, version);
  const base = {
    id: request.chart.id,
    releaseName: request.releaseName,
    chartSha256,
    helmVersion: version,
    key,
  };
  const hit = readRender(opts.cacheDir, key);
  if (hit !== undefined) {
    opts.onProgress?.({ kind: "render-hit", id: base.id, releaseName: base.releaseName });
    return { ...base, sha256: sha256Hex(hit) };
  }
  const { releaseName, namespace, values, kubeVersion } = request;
  const chartPath = blobPath(opts.cacheDir, chartSha256);
  const render = () =>
    renderChart({ helm: opts.helm, chartPath, releaseName, namespace, values, kubeVersion }, opts);
  const first = await render();
  if ((await render()) !== first) {
    throw new LabError(
      `chart ${request.chart.id} renders differently each time (release ${request.releaseName})`,
      "give it values that avoid generated secrets or certificates, so synth output stays byte-identical",
      EXIT.environment,
    );
  }
  opts.onProgress?.({ kind: "rendered", id: base.id, releaseName: base.releaseName });
  return { ...base, sha256: storeRender(opts.cacheDir, key, first) };
}
