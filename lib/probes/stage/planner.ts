/**
 * Plans a lab's probes: every catalogue probe the lab selects (LabSpec `probes.include` /
 * `probes.exclude`) is asked for its checks or the reason it does not apply.
 */
import { LabError } from "../../model/errors.ts";
import { didYouMean } from "../../model/suggest.ts";
import { CATALOGUE, type ProbeDefinition } from "../catalogue/index.ts";
import { missing } from "../expectations.ts";
import { clientsOf, type ProbeLab } from "../probe-lab.ts";
import {
  type LeftOutCheck,
  type PlannedCheck,
  PROBES_PLAN_VERSION,
  type ProbesPlan,
  type SkippedProbe,
} from "../probes-plan.ts";

/** The catalogue probes a lab's spec selects, in catalogue order; unknown ids are errors. */
export function selectedProbes(
  selection: { include?: string[]; exclude: string[] },
  catalogue: readonly ProbeDefinition[] = CATALOGUE,
): { probe: ProbeDefinition; excluded: boolean }[] {
  const ids = catalogue.map((p) => p.id);
  for (const [field, names] of [
    ["include", selection.include ?? []],
    ["exclude", selection.exclude],
  ] as const) {
    for (const name of names) {
      if (!ids.includes(name)) {
        throw new LabError(
          `probes.${field}: unknown probe "${name}": ${didYouMean(name, ids)}`,
          "`labs probes <lab>` lists every probe",
        );
      }
    }
  }
  return catalogue.map((probe) => ({
    probe,
    excluded:
      (selection.include !== undefined && !selection.include.includes(probe.id)) ||
      selection.exclude.includes(probe.id),
  }));
}

export function planProbes(pl: ProbeLab, catalogue: readonly ProbeDefinition[] = CATALOGUE): ProbesPlan {
  const checks: PlannedCheck[] = [];
  const skipped: SkippedProbe[] = [];
  const leftOut: LeftOutCheck[] = [];
  const selection = selectedProbes(pl.lab.spec.probes, catalogue);
  const clients = clientsOf(pl);
  for (const { probe, excluded } of selection) {
    if (excluded) {
      skipped.push({ probe: probe.id, reason: "left out by the lab's probes.include / probes.exclude" });
      continue;
    }
    const absent = probe.requires && missing(pl.lab, probe.requires);
    const planned = absent ? { skip: absent } : probe.plan(pl, clients);
    if ("skip" in planned) skipped.push({ probe: probe.id, reason: planned.skip });
    else if ("leftOut" in planned) {
      checks.push(...planned.checks);
      leftOut.push(...planned.leftOut.map((l) => ({ probe: probe.id, ...l })));
    } else checks.push(...planned);
  }
  const seen = new Set<string>();
  for (const c of checks) {
    if (seen.has(c.id)) throw new Error(`probe plan of ${pl.lab.spec.name}: duplicate check id ${c.id}`);
    seen.add(c.id);
  }
  return {
    version: PROBES_PLAN_VERSION,
    lab: pl.lab.spec.name,
    clusterName: pl.lab.clusterName,
    probes: selection.map(({ probe }) => ({
      id: probe.id,
      layer: probe.layer,
      title: probe.title,
      teaches: probe.teaches,
    })),
    checks,
    skipped,
    ...(leftOut.length ? { leftOut } : {}),
    clients: pl.clients.map((c) => ({
      name: c.name,
      namespace: c.namespace,
      node: c.node,
      labels: c.labels,
    })),
  };
}
