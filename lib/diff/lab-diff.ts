/**
 * `labs diff`: what changes between two labs — spec, components, capabilities, kind cluster
 * config, synthesized objects (object by object, field by field), images, and the expected
 * outcome of every probe. The shortest way to see what swapping a CNI or a proxy mode changes.
 *
 * Pure: it compares two synth outputs. Each lab's own cluster name (`labs-<lab>`) is replaced by
 * `<cluster>` before comparing, so node names and the like do not show up as differences.
 */
import { parse as parseYaml } from "yaml";
import type { CapabilityName } from "../components/component.ts";
import type { PlannedCheck, ProbesPlan } from "../probes/probes-plan.ts";
import type { SynthOutput } from "../synth/synth.ts";
import { describe, identity, type LocatedObject } from "../validate/object-ref.ts";
import { diffValues, type FieldChange } from "./value-diff.ts";

export const CLUSTER_PLACEHOLDER = "<cluster>";

export interface LabSide {
  name: string;
  description: string;
  clusterName: string;
}

export interface ComponentChange {
  /** `cni`, `proxy`, `ingress`, `gateway`, `loadBalancer`, or `app:<name>`. */
  slot: string;
  before?: string;
  after?: string;
}

export interface CapabilityChange {
  capability: CapabilityName;
  before: { value: unknown; by: string; reason: string };
  after: { value: unknown; by: string; reason: string };
}

export interface ObjectRef {
  /** group/kind/namespace/name. */
  id: string;
  /** `DaemonSet kube-system/cilium`. */
  title: string;
  stage: string;
  origin: string;
}

export interface ObjectChange extends ObjectRef {
  fields: FieldChange[];
}

export interface ExpectationText {
  outcome: string;
  reason: string;
  describes: string;
}

export type ProbeChange =
  | { probe: string; change: "now-skipped"; before: number; reason: string }
  | { probe: string; change: "now-planned"; after: number; reason: string }
  | { probe: string; check: string; change: "added"; after: ExpectationText }
  | { probe: string; check: string; change: "removed"; before: ExpectationText }
  | {
      probe: string;
      check: string;
      change: "outcome";
      before: ExpectationText;
      after: ExpectationText;
    }
  | { probe: string; check: string; change: "reason"; before: ExpectationText; after: ExpectationText };

export interface LabDiff {
  a: LabSide;
  b: LabSide;
  spec: FieldChange[];
  components: ComponentChange[];
  capabilities: CapabilityChange[];
  /** The kind cluster config (kind.yaml): proxy mode, default CNI, mounts, port mappings. */
  cluster: FieldChange[];
  objects: { added: ObjectRef[]; removed: ObjectRef[]; changed: ObjectChange[]; unchanged: number };
  images: { added: string[]; removed: string[] };
  probes: ProbeChange[];
}

/** Replaces the lab's cluster name in every string, so both labs name their nodes alike. */
export function normalizeNames<T>(value: T, clusterName: string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v.split(clusterName).join(CLUSTER_PLACEHOLDER);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [walk(k) as string, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

const sideOf = (s: SynthOutput): LabSide => ({
  name: s.lab.spec.name,
  description: s.lab.spec.description,
  clusterName: s.lab.clusterName,
});

function specDiff(a: SynthOutput, b: SynthOutput): FieldChange[] {
  const strip = ({ name: _n, description: _d, ...rest }: SynthOutput["lab"]["spec"]) => rest;
  return diffValues(strip(a.lab.spec), strip(b.lab.spec));
}

function componentsOf(s: SynthOutput): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of s.lab.components) {
    const slot = c.component.kind === "app" ? `app:${c.component.name}` : c.component.kind;
    const options = Object.keys(c.options as object).length ? ` ${JSON.stringify(c.options)}` : "";
    out.set(slot, `${c.component.title}${c.component.version ? ` ${c.component.version}` : ""}${options}`);
  }
  return out;
}

function componentDiff(a: SynthOutput, b: SynthOutput): ComponentChange[] {
  const ca = componentsOf(a);
  const cb = componentsOf(b);
  return [...new Set([...ca.keys(), ...cb.keys()])]
    .filter((slot) => ca.get(slot) !== cb.get(slot))
    .map((slot) => ({ slot, before: ca.get(slot), after: cb.get(slot) }));
}

function capabilityDiff(a: SynthOutput, b: SynthOutput): CapabilityChange[] {
  return (Object.keys(a.lab.claims) as CapabilityName[])
    .filter(
      (k) => a.lab.claims[k].value !== b.lab.claims[k].value || a.lab.claims[k].by !== b.lab.claims[k].by,
    )
    .map((k) => ({ capability: k, before: { ...a.lab.claims[k] }, after: { ...b.lab.claims[k] } }));
}

function kindConfig(s: SynthOutput): unknown {
  return normalizeNames(parseYaml(s.files.get("kind.yaml") ?? "{}"), s.lab.clusterName);
}

function refOf(o: LocatedObject, id: string): ObjectRef {
  return { id, title: describe(o.object), stage: o.stage, origin: o.origin };
}

function objectDiff(a: SynthOutput, b: SynthOutput): LabDiff["objects"] {
  const index = (s: SynthOutput) => {
    const m = new Map<string, LocatedObject>();
    for (const o of s.objects) {
      const object = normalizeNames(o.object, s.lab.clusterName);
      m.set(identity(object), { ...o, object });
    }
    return m;
  };
  const ia = index(a);
  const ib = index(b);
  const out: LabDiff["objects"] = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const [id, o] of ia) {
    const other = ib.get(id);
    if (!other) {
      out.removed.push(refOf(o, id));
      continue;
    }
    const fields = diffValues(o.object, other.object);
    if (o.stage !== other.stage)
      fields.unshift({ path: "(stage)", change: "changed", before: o.stage, after: other.stage });
    if (fields.length) out.changed.push({ ...refOf(other, id), fields });
    else out.unchanged++;
  }
  for (const [id, o] of ib) if (!ia.has(id)) out.added.push(refOf(o, id));
  const byStage = (x: ObjectRef, y: ObjectRef) => x.stage.localeCompare(y.stage) || x.id.localeCompare(y.id);
  out.added.sort(byStage);
  out.removed.sort(byStage);
  out.changed.sort(byStage);
  return out;
}

function imageDiff(a: SynthOutput, b: SynthOutput): LabDiff["images"] {
  const ia = new Set(a.lock.images.map((i) => i.image));
  const ib = new Set(b.lock.images.map((i) => i.image));
  return {
    added: [...ib].filter((i) => !ia.has(i)).sort(),
    removed: [...ia].filter((i) => !ib.has(i)).sort(),
  };
}

/** The lab's probe plan (written by synth as probes.plan.json), names normalized. */
export function planOf(s: SynthOutput): ProbesPlan {
  const text = s.files.get("probes.plan.json");
  if (!text) throw new Error(`synth output of ${s.lab.spec.name} has no probes.plan.json`);
  return normalizeNames(JSON.parse(text) as ProbesPlan, s.lab.clusterName);
}

function expectationText(c: PlannedCheck): ExpectationText {
  const outcome = c.expect.outcome === "status" ? `HTTP ${c.expect.status}` : c.expect.outcome;
  return { outcome, reason: c.expect.reason, describes: c.describes };
}

function probeDiff(a: SynthOutput, b: SynthOutput): ProbeChange[] {
  const pa = planOf(a);
  const pb = planOf(b);
  const out: ProbeChange[] = [];
  const probeIds = [...new Set([...pa.probes.map((p) => p.id), ...pb.probes.map((p) => p.id)])];
  for (const probe of probeIds) {
    const ca = pa.checks.filter((c) => c.probe === probe);
    const cb = pb.checks.filter((c) => c.probe === probe);
    const sa = pa.skipped.find((s) => s.probe === probe);
    const sb = pb.skipped.find((s) => s.probe === probe);
    if (!sa && sb) {
      out.push({ probe, change: "now-skipped", before: ca.length, reason: sb.reason });
      continue;
    }
    if (sa && !sb) {
      out.push({ probe, change: "now-planned", after: cb.length, reason: sa.reason });
      continue;
    }
    const byId = new Map(cb.map((c) => [c.id, c]));
    for (const c of ca) {
      const other = byId.get(c.id);
      const before = expectationText(c);
      if (!other) {
        out.push({ probe, check: c.id, change: "removed", before });
        continue;
      }
      const after = expectationText(other);
      if (before.outcome !== after.outcome)
        out.push({ probe, check: c.id, change: "outcome", before, after });
      else if (before.reason !== after.reason)
        out.push({ probe, check: c.id, change: "reason", before, after });
    }
    const inA = new Set(ca.map((c) => c.id));
    for (const c of cb)
      if (!inA.has(c.id)) out.push({ probe, check: c.id, change: "added", after: expectationText(c) });
  }
  return out;
}

/** Everything that differs from lab `a` to lab `b`. */
export function diffLabs(a: SynthOutput, b: SynthOutput): LabDiff {
  return {
    a: sideOf(a),
    b: sideOf(b),
    spec: specDiff(a, b),
    components: componentDiff(a, b),
    capabilities: capabilityDiff(a, b),
    cluster: diffValues(kindConfig(a), kindConfig(b)),
    objects: objectDiff(a, b),
    images: imageDiff(a, b),
    probes: probeDiff(a, b),
  };
}

/** True when the two labs would build the same cluster and expect the same outcomes. */
export function isEmptyDiff(d: LabDiff): boolean {
  return (
    !d.spec.length &&
    !d.components.length &&
    !d.capabilities.length &&
    !d.cluster.length &&
    !d.objects.added.length &&
    !d.objects.removed.length &&
    !d.objects.changed.length &&
    !d.images.added.length &&
    !d.images.removed.length &&
    !d.probes.length
  );
}
