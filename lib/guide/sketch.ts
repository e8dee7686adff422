/**
 * A lab as the guide needs it, without a cluster and without requiring its upstream files: the
 * resolved lab, its probe plan and its node inspections. Upstream files are read from the cache
 * or the mirror when they are there, else taken as empty — the plan depends on the objects labs
 * writes itself; components that cannot build without their files are reported.
 */
import { App } from "cdk8s";
import type { ArtifactReader, Inspection } from "../components/component.ts";
import { inspectionsOf, type ResolvedLab } from "../components/resolve.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import type { ProbeLab } from "../probes/probe-lab.ts";
import type { ProbesPlan } from "../probes/probes-plan.ts";
import { Lab } from "../synth/lab.ts";
import { readerFromCache } from "../upstream/fetch-artifacts.ts";
import { loadMirror, readFromMirror } from "../upstream/mirror.ts";
import { upstreamSettingsFromEnv } from "../upstream/settings.ts";

export interface SketchedLab {
  lab: ResolvedLab;
  plan: ProbesPlan;
  inspections: Inspection[];
  /** What the plan was made from (the lab's Services, nodes, port mappings): break-fix signatures read it. */
  probeLab: ProbeLab;
  /** Components whose build needed upstream files that were not at hand. */
  incomplete: { component: string; why: string }[];
}

/** Cache, then mirror (LABS_MIRROR), then empty bytes. */
export function lenientReader(env: NodeJS.ProcessEnv = process.env): ArtifactReader {
  const settings = upstreamSettingsFromEnv(env);
  const fromCache = readerFromCache(settings.cacheDir);
  const mirror = settings.mirror ? loadMirror(settings.mirror) : undefined;
  return (ref) => {
    try {
      return fromCache(ref);
    } catch {
      return (mirror && readFromMirror(mirror, ref)?.bytes) ?? Buffer.from("");
    }
  };
}

export function sketchLab(spec: LabSpec, readArtifact: ArtifactReader = lenientReader()): SketchedLab {
  const incomplete: SketchedLab["incomplete"] = [];
  const construct = new Lab(new App(), "lab", {
    spec,
    readArtifact,
    readRenderedChart: () => "",
    onBuildError: (component, e) =>
      incomplete.push({ component, why: e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e) }),
  });
  const lab = construct.resolved;
  return {
    lab,
    plan: construct.probes.plan,
    probeLab: construct.probes.probeLab,
    inspections: inspectionsOf(lab),
    incomplete,
  };
}
