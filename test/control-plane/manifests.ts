/** A lab's synthesized stage files, read back as objects (what kubectl is given). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseManifest } from "../../lib/components/upstream-manifest.ts";
import type { K8sObject } from "../../lib/model/k8s-object.ts";
import type { StagePlan } from "../../lib/model/lab-json.ts";

export { describe as describeObject } from "../../lib/validate/object-ref.ts";
export type { K8sObject };

export function stageObjects(synthDir: string, stage: StagePlan): K8sObject[] {
  if (!stage.objects) return [];
  return parseManifest(readFileSync(join(synthDir, stage.file), "utf8"));
}

/** Workloads whose pods the scheduler must place. */
export const WORKLOAD_KINDS = ["Deployment", "DaemonSet", "StatefulSet", "Job", "ReplicaSet", "Pod"] as const;

export function workloadsOf(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => (WORKLOAD_KINDS as readonly string[]).includes(o.kind));
}
