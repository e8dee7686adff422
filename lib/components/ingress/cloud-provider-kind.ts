import { k8s } from "cdk8s-plus-34";
import { defineComponent } from "../component.ts";
import { ensureGatewayApiCrds, gatewayApiCrdsGate, pinsGatewayApiCrds } from "../gateway/gateway-api-crds.ts";
import { cloudProviderKindFeature } from "../lb/cloud-provider-kind-feature.ts";
import { addAppIngress } from "./app-ingress.ts";

/** cloud-provider-kind's IngressClass (v0.11.1 creates it itself; labs writes it so lint sees it). */
export const CLOUD_PROVIDER_KIND_INGRESS_CLASS = "cloud-provider-kind";
export const CLOUD_PROVIDER_KIND_INGRESS_CONTROLLER = "kind.sigs.k8s.io/ingress-controller";

/**
 * cloud-provider-kind's Ingress: it translates each namespace's Ingresses into a Gateway and
 * HTTPRoutes of its own GatewayClass, served by an Envoy container on the kind network.
 */
export const cloudProviderKindIngress = defineComponent({
  ...cloudProviderKindFeature({
    kind: "ingress",
    title: "cloud-provider-kind Ingress",
    summary:
      "Translates Ingresses into Gateway API objects served by an Envoy container with its own IP on the kind network.",
    serves:
      "cloud-provider-kind turns Ingresses of class cloud-provider-kind into a Gateway with its own IP on the kind network",
    what: "cloud-provider-kind's Ingress",
    stopped: { id: "ingress-controller-stopped", title: "cloud-provider-kind's Ingress stopped" },
  }),
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
});
