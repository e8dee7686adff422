import { error, type Finding } from "../../model/findings.ts";
import { routeBackendFindings } from "../apps/route-backends.ts";
import type { Component, LabView } from "../component.ts";
import { CLOUD_PROVIDER_KIND_UNSTOPPABLE, CLOUD_PROVIDER_KIND_VERSION } from "./cloud-provider-kind.ts";

/**
 * cloud-provider-kind's Ingress and its Gateway API are two faces of the one cloud-provider-kind
 * process (cloud-provider-kind.ts): both need it as the lab's load balancer, carry its version,
 * and cannot be stopped as a fault of one lab. This declares that once; each face adds its own
 * classes, gates and objects.
 */
export interface CloudProviderKindFeatureProps {
  kind: "ingress" | "gateway";
  /** Human name, e.g. `cloud-provider-kind Ingress`. */
  title: string;
  /** One sentence for `labs show` and reports. */
  summary: string;
  /** How it serves the lab's Ingresses or Gateways: the reason of the capability claim. */
  serves: string;
  /** Who it is in findings, e.g. `cloud-provider-kind's Ingress`. */
  what: string;
  /** The "it stopped" fault it would offer, which cloud-provider-kind cannot give one lab. */
  stopped: { id: string; title: string };
}

/** Ingress and Gateway from cloud-provider-kind run inside its process: the load balancer must be it. */
function needsCloudProviderKind(lab: LabView, path: string, what: string): Finding[] {
  if (lab.selected.loadBalancer === "cloud-provider-kind") return [];
  return [
    error(
      path,
      `${what} runs inside cloud-provider-kind, which this lab does not run (loadBalancer is ${lab.selected.loadBalancer ? `"${lab.selected.loadBalancer}"` : "not set"})`,
      'set loadBalancer: "cloud-provider-kind"',
    ),
  ];
}

export function cloudProviderKindFeature(p: CloudProviderKindFeatureProps) {
  const path = `northSouth.${p.kind}`;
  return {
    kind: p.kind,
    name: "cloud-provider-kind",
    title: p.title,
    version: CLOUD_PROVIDER_KIND_VERSION,
    summary: p.summary,
    serves: () => p.serves,
    rules: (_o, lab) => [
      ...needsCloudProviderKind(lab, path, p.what),
      ...routeBackendFindings(lab, path, p.what),
    ],
    faults: () => ({
      faults: [
        {
          id: p.stopped.id,
          layer: "north-south",
          title: p.stopped.title,
          unavailable: CLOUD_PROVIDER_KIND_UNSTOPPABLE,
        },
      ],
    }),
  } satisfies Partial<Component<Record<string, never>>>;
}
