import type { K8sObject } from "../model/k8s-object.ts";

/** The pod template of a workload (or the pod itself), so rules can read labels and containers. */
export function podTemplateOf(
  o: K8sObject,
): { metadata?: { labels?: Record<string, string> }; spec?: K8sObject["spec"] } | undefined {
  switch (o.kind) {
    case "Pod":
      return o;
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job":
      return o.spec?.template;
    case "CronJob":
      return o.spec?.jobTemplate?.spec?.template;
    default:
      return undefined;
  }
}

export interface ContainerRef {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  resources?: { requests?: Record<string, unknown> };
  ports?: { name?: string; containerPort: number; protocol?: string }[];
}

export function containersOf(o: K8sObject): ContainerRef[] {
  const spec = podTemplateOf(o)?.spec;
  if (!spec) return [];
  return [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])];
}
