import { routeBackendFindings } from "../apps/route-backends.ts";
import { defineComponent } from "../component.ts";
import { needsCloudProviderKind } from "../ingress/cloud-provider-kind.ts";
import { CLOUD_PROVIDER_KIND_UNSTOPPABLE, CLOUD_PROVIDER_KIND_VERSION } from "../lb/cloud-provider-kind.ts";
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
  kind: "gateway",
  name: "cloud-provider-kind",
  title: "cloud-provider-kind Gateway API",
  version: CLOUD_PROVIDER_KIND_VERSION,
  summary:
    "cloud-provider-kind runs each Gateway as an Envoy container with its own IP on the kind network, outside the nodes.",
  serves: () =>
    "cloud-provider-kind serves Gateways of class cloud-provider-kind from an Envoy container on the kind network",
  rules: (_o, lab) => [
    ...needsCloudProviderKind(lab, "northSouth.gateway", "cloud-provider-kind's Gateway API"),
    ...routeBackendFindings(lab, "northSouth.gateway", "cloud-provider-kind's Gateway"),
  ],
  ...pinsGatewayApiCrds,
  gates: (_o, lab) => gatewayGates(lab, CLASS),
  build: (ctx) => buildGateway(ctx, CLASS, { classId: "cloud-provider-kind-gateway-class" }),
  faults: () => ({
    faults: [
      {
        id: "gateway-stopped",
        layer: "north-south",
        title: "cloud-provider-kind's Gateway stopped",
        unavailable: CLOUD_PROVIDER_KIND_UNSTOPPABLE,
      },
    ],
  }),
});
