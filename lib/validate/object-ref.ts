import type { K8sObject } from "../model/k8s-object.ts";

/** How to name a manifest object in messages, and where it came from. */

/** Where an object came from: written by labs, or included from a pinned upstream file. */
export type Origin = "labs" | "upstream";

export interface LocatedObject {
  stage: string;
  object: K8sObject;
  origin: Origin;
}

export function describe(o: K8sObject): string {
  const ns = o.metadata?.namespace ? `${o.metadata.namespace}/` : "";
  return `${o.kind} ${ns}${o.metadata?.name ?? "(unnamed)"}`;
}

export function groupOf(apiVersion: string): string {
  return apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
}

/** Identity used for duplicate detection: group, kind, namespace, name. */
export function identity(o: K8sObject): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
}
