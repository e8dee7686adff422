import { Chart } from "cdk8s";
import type { K8sObject } from "../model/k8s-object.ts";

/**
 * The order objects are written in a stage file. `kubectl apply` sends a file's objects in the
 * order they appear and leaves dependencies to the caller (kubernetes/kubectl#1356, closed as
 * out of scope): an object before its Namespace fails with `namespaces "…" not found`, a custom
 * resource before its CRD with `no matches for kind`. So every stage puts Namespaces first, then
 * CRDs, then everything else, each group in the order the components wrote it (a stable sort),
 * whatever order a component happened to create its constructs in.
 */
const FIRST: readonly string[] = ["Namespace", "CustomResourceDefinition"];

const rank = (o: K8sObject) => {
  const i = FIRST.indexOf(o.kind);
  return i === -1 ? FIRST.length : i;
};

/** Namespaces, then CRDs, then the rest; order within each group is kept. */
export function orderForApply<T extends K8sObject>(objects: readonly T[]): T[] {
  return objects
    .map((object, index) => ({ object, index }))
    .sort((a, b) => rank(a.object) - rank(b.object) || a.index - b.index)
    .map((e) => e.object);
}

/**
 * The Chart of one stage: renders its objects in apply order. `App.synth()` and `synthLab` both
 * read a chart through `toJson()`, so the files cdk8s writes and the ones labs writes agree.
 */
export class StageChart extends Chart {
  override toJson(): K8sObject[] {
    return orderForApply(super.toJson() as K8sObject[]);
  }
}
