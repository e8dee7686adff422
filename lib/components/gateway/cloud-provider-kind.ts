import { defineComponent } from "../component.ts";
import { cloudProviderKindFeature } from "../lb/cloud-provider-kind-feature.ts";
import { pinsGatewayApiCrds } from "./gateway-api-crds.ts";
import { buildGateway, type GatewayClassOf, gatewayGates } from "./gateway-class.ts";

/** cloud-provider-kind's GatewayClass (it creates the class itself when missing; labs writes the same). */
export const CLOUD_PROVIDER_KIND_GATEWAY_CLASS = "cloud-provider-kind";

const CLASS: GatewayClassOf = {
  name: CLOUD_PROVIDER_KIND_GATEWAY_CLASS,
  controllerName: "kind.sigs.k8s.io/gateway-controller",
  description: "cloud-provider-kind gateway API",
  acceptedWithinSeconds: 120,
  accepted: "cloud-provider-kind accepted its GatewayClass",
};

/** cloud-provider-kind's Gateway API: each Gateway becomes an Envoy container on the kind network. */
export const cloudProviderKindGateway = defineComponent({
  ...cloudProviderKindFeature({
    kind: "gateway",
    title: "cloud-provider-kind Gateway API",
    summary:
      "cloud-provider-kind runs each Gateway as an Envoy container with its own IP on the kind network, outside the nodes.",
    serves:
      "cloud-provider-kind serves Gateways of class cloud-provider-kind from an Envoy container on the kind network",
    what: "cloud-provider-kind's Gateway API",
    stopped: { id: "gateway-stopped", title: "cloud-provider-kind's Gateway stopped" },
  }),
  ...pinsGatewayApiCrds,
  gates: (_o, lab) => gatewayGates(lab, CLASS),
  build: (ctx) => buildGateway(ctx, CLASS, { classId: "cloud-provider-kind-gateway-class" }),
});
