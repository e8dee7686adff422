/**
 * The artifact step and synth, as `labs up` runs them: every upstream file the lab needs is made
 * present and verified in the cache (only the Docker engine's architecture is fetched), charts
 * are rendered with helm into the render cache, then synth reads both from the cache (it never
 * downloads or runs helm) and its files are written into the lab's state folder.
 */
import { mkdirSync, rmSync } from "node:fs";
import type {
  ChartRender,
  HostPathVariable,
  NodeArch,
  RenderedChartReader,
} from "../components/component.ts";
import { artifactsForArch } from "../components/host-paths.ts";
import { type AnyLab, artifactsOf, asResolvedLab, collect, type ResolvedLab } from "../components/resolve.ts";
import { LabError } from "../model/errors.ts";
import { formatVersion } from "../model/kubernetes-version.ts";
import { type SynthOutput, synthLab, writeSynth } from "../synth/synth.ts";
import {
  type ArtifactEvent,
  type EnsuredArtifacts,
  ensureArtifacts,
  type ResolvedArtifact,
} from "../upstream/fetch-artifacts.ts";
import { type ChartRenderRequest, renderedChartReader } from "../upstream/render-cache.ts";
import { ensureRendered, type HelmRunOptions, type RenderedChart } from "./helm.ts";

export interface PrepareOptions {
  cacheDir: string;
  offline?: boolean;
  mirror?: string;
  /**
   * Which tarballs to fetch: the kind nodes' architecture, `all`, or `synth` for none (synth
   * reads manifests and chart renders only; tarballs matter only to a cluster that mounts them).
   */
  arch: NodeArch | "all" | "synth";
  /** The helm binary, asked for only when the lab renders a chart. */
  helm: () => string;
  /** Environment, AbortSignal and command log for helm. */
  helmRun?: HelmRunOptions;
  onArtifact?: (event: ArtifactEvent) => void;
  onRender?: (event: { kind: "render-hit" | "rendered"; id: string; releaseName: string }) => void;
}

/** A lab's upstream files in the cache and its charts rendered: what synth reads. */
export interface PreparedArtifacts {
  lab: ResolvedLab;
  cacheDir: string;
  /** Cache-only reader of the verified artifacts (also lists what was resolved and recorded). */
  readArtifact: EnsuredArtifacts;
  readRenderedChart: RenderedChartReader;
  /** Digests learnt on first download, by artifact id (for the lock). */
  recorded: Record<string, string>;
  /** Every artifact and where it came from (cache, mirror, network). */
  artifacts: ResolvedArtifact[];
  charts: RenderedChart[];
}

export interface PreparedLab {
  lab: ResolvedLab;
  synth: SynthOutput;
  artifacts: EnsuredArtifacts;
}

export function chartsOf(lab: ResolvedLab): ChartRender[] {
  return collect(lab, (s) => s.component.charts?.(s.options, lab));
}

export function hostPathVariablesOf(lab: ResolvedLab): HostPathVariable[] {
  return collect(lab, (s) => s.component.kindConfig?.(s.options, lab).hostPathVariables);
}

/** A component's chart render as the render cache keys it. */
export function renderRequest(render: ChartRender, lab: ResolvedLab): ChartRenderRequest {
  return {
    chart: render.chart,
    releaseName: render.release,
    namespace: render.namespace,
    values: render.values,
    kubeVersion: formatVersion(lab.kubeVersion),
  };
}

/** The artifact step: cache → mirror → network (unless offline), then helm renders into the cache. */
export async function prepareArtifacts(spec: AnyLab, opts: PrepareOptions): Promise<PreparedArtifacts> {
  const lab = asResolvedLab(spec);
  const charts = chartsOf(lab);
  // Chart archives are fetched like any artifact; helm renders them from the cache.
  const all = [...artifactsOf(lab), ...charts.map((c) => c.chart)];
  const refs =
    opts.arch === "synth"
      ? all.filter((r) => r.type !== "tarball")
      : artifactsForArch(all, hostPathVariablesOf(lab), opts.arch);
  const artifacts = await ensureArtifacts(refs, {
    cacheDir: opts.cacheDir,
    offline: opts.offline,
    mirror: opts.mirror,
    lab: lab.spec.name,
    onProgress: opts.onArtifact,
  });
  let readRenderedChart: RenderedChartReader = (render) => {
    throw new LabError(`${lab.spec.name}: chart ${render.id} is not declared by any component's charts()`);
  };
  let rendered: RenderedChart[] = [];
  if (charts.length) {
    const requests = charts.map((c) => renderRequest(c, lab));
    rendered = await ensureRendered(requests, {
      cacheDir: opts.cacheDir,
      helm: opts.helm(),
      recorded: artifacts.recorded,
      onProgress: opts.onRender,
      ...opts.helmRun,
    });
    const read = renderedChartReader(opts.cacheDir, rendered[0]!.helmVersion, artifacts.recorded);
    readRenderedChart = (render) => read(renderRequest(render, lab));
  }
  return {
    lab,
    cacheDir: opts.cacheDir,
    readArtifact: artifacts,
    readRenderedChart,
    recorded: artifacts.recorded,
    artifacts: artifacts.resolved,
    charts: rendered,
  };
}

/** The artifact step, then a pure synth from the cache. */
export async function prepareLab(spec: AnyLab, opts: PrepareOptions): Promise<PreparedLab> {
  const prepared = await prepareArtifacts(spec, opts);
  // The lab prepareArtifacts resolved: synth does not parse or resolve it again.
  const synth = await synthLab(prepared.lab, {
    readArtifact: prepared.readArtifact,
    readRenderedChart: prepared.readRenderedChart,
    recorded: prepared.recorded,
  });
  return { lab: prepared.lab, synth, artifacts: prepared.readArtifact };
}

/** Replaces the synthesized files in `dir` (stale stage files of an older synth must not linger). */
export function writePrepared(prepared: PreparedLab, dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeSynth(prepared.synth, dir);
}
