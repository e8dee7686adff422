/**
 * Admission webhooks: the one place the harness deals with them.
 *
 * Upstream components ship webhook configurations whose backend is one of their own pods
 * (ingress-nginx's `ingress-nginx-admission`, MetalLB's `metallb-webhook-configuration`, …).
 * Here pods never run, so a call could never be answered; worse, the API server would try to
 * reach the webhook Service through cluster DNS names and pod addresses that do not exist on this
 * machine. So the harness starts kube-apiserver with the two webhook admission plugins switched
 * off. The lab's webhook configurations are still applied exactly as the product writes them (the
 * API server validates and stores them, and a second apply must leave them unchanged); they are
 * only never called. Everything that runs inside the API server stays on: schema validation,
 * CEL rules of CRDs (x-kubernetes-validations), ValidatingAdmissionPolicy, defaulting, RBAC,
 * ServiceAccount and NodeRestriction admission.
 *
 * A CRD's conversion webhook (MetalLB's BGPPeer has one) is called only to convert an object
 * between versions; none of the labs stores such an object, so none is called either. Both
 * kinds of webhook are listed in the suite's output as not checkable here.
 *
 * What this cannot show: what a component's webhook would have rejected or converted.
 */
import type { K8sObject } from "./manifests.ts";

/** The kube-apiserver flags that implement the policy above. */
export const WEBHOOK_ADMISSION_FLAGS = [
  "--disable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
] as const;

export interface WebhookNotice {
  kind: "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration";
  name: string;
  webhooks: string[];
}

/** The webhook configurations among a lab's objects, for the "not checkable" list. */
export function webhooksOf(objects: K8sObject[]): WebhookNotice[] {
  return objects
    .filter(
      (o): o is K8sObject & { kind: WebhookNotice["kind"] } =>
        o.kind === "ValidatingWebhookConfiguration" || o.kind === "MutatingWebhookConfiguration",
    )
    .map((o) => ({
      kind: o.kind,
      name: o.metadata?.name ?? "?",
      webhooks: ((o as { webhooks?: { name: string }[] }).webhooks ?? []).map((w) => w.name),
    }));
}

/** CRDs whose versions convert through a webhook: `BGPPeer.metallb.io (metallb-system/metallb-webhook-service)`. */
export function conversionWebhooksOf(objects: K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === "CustomResourceDefinition" && o.spec?.conversion?.strategy === "Webhook")
    .map((o) => {
      const svc = o.spec.conversion.webhook?.clientConfig?.service;
      const backend = svc ? ` (${svc.namespace}/${svc.name})` : "";
      return `conversion webhook of CRD ${o.metadata?.name}${backend}: applied, never called (no object needs converting here, and no backend pod runs)`;
    });
}

export function describeWebhook(w: WebhookNotice): string {
  return `${w.kind} ${w.name} (${w.webhooks.join(", ") || "no webhooks"}): applied, never called (no backend pod runs here)`;
}
