import { k8s } from "cdk8s-plus-34";
import { error, type Finding } from "../../model/findings.ts";
import { routeBackendFindings } from "../apps/route-backends.ts";
import { defineComponent, type LabView } from "../component.ts";
import { ensureGatewayApiCrds, gatewayApiCrdsGate, pinsGatewayApiCrds } from "../gateway/gateway-api-crds.ts";
import { CLOUD_PROVIDER_KIND_UNSTOPPABLE, CLOUD_PROVIDER_KIND_VERSION } from "../lb/cloud-provider-kind.ts";
import { addAppIngress } from "./app-ingress.ts";

/** cloud-provider-kind's IngressClass (v0.11.1 creates it itself; labs writes it so lint sees it). */
export const CLOUD_PROVIDER_KIND_INGRESS_CLASS = "cloud-provider-kind";
export const CLOUD_PROVIDER_KIND_INGRESS_CONTROLLER = "kind.sigs.k8s.io/ingress-controller";

/** Ingress and Gateway from cloud-provider-kind run inside its process: the load balancer must be it. */
export function needsCloudProviderKind(lab: LabView, path: string, what: string): Finding[] {
  if (lab.selected.loadBalancer === "cloud-provider-kind") return [];
  return [
    error(
      path,
      `${what} runs inside cloud-provider-kind, which this lab does not run (loadBalancer is ${lab.selected.loadBalancer ? `"${lab.selected.loadBalancer}"` : "not set"})`,
      'set loadBalancer: "cloud-provider-kind"',
    ),
  ];
}

/**
 * cloud-provider-kind's Ingress: it translates each namespace's Ingresses into a Gateway and
 * HTTPRoutes of its own GatewayClass, served by an Envoy container on the kind network.
 */
export const cloudProviderKindIngress = defineComponent({
  kind: "ingress",
  name: "cloud-provider-kind",
  title: "cloud-provider-kind Ingress",
  version: CLOUD_PROVIDER_KIND_VERSION,
  summary:
    "Translates Ingresses into Gateway API objects served by an Envoy container with its own IP on the kind network.",
  serves: () =>
    "cloud-provider-kind turns Ingresses of class cloud-provider-kind into a Gateway with its own IP on the kind network",
  rules: (_o, lab) => [
    ...needsCloudProviderKind(lab, "northSouth.ingress", "cloud-provider-kind's Ingress"),
    ...routeBackendFindings(lab, "northSouth.ingress", "cloud-provider-kind's Ingress"),
  ],
  // It needs the Gateway API CRDs; the lab's pinned ones, so it does not install its own.
  ...pinsGatewayApiCrds,
  gates: () => [gatewayApiCrdsGate()],
  build: (ctx) => {
    ensureGatewayApiCrds(ctx);
    new k8s.KubeIngressClass(ctx.stage("platform"), "cloud-provider-kind-ingress-class", {
      metadata: { name: CLOUD_PROVIDER_KIND_INGRESS_CLASS, labels: { "app.kubernetes.io/part-of": "labs" } },
      spec: { controller: CLOUD_PROVIDER_KIND_INGRESS_CONTROLLER },
    });
    addAppIngress(ctx, CLOUD_PROVIDER_KIND_INGRESS_CLASS);
  },
  faults: () => ({
    faults: [
      {
        id: "ingress-controller-stopped",
        layer: "north-south",
        title: "cloud-provider-kind's Ingress stopped",
        unavailable: CLOUD_PROVIDER_KIND_UNSTOPPABLE,
      },
    ],
  }),
});
