import { GatewayClass } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass";
import { z } from "zod";
import { routeBackendFindings, routeBackends } from "../apps/route-backends.ts";
import { defineComponent } from "../component.ts";
import { needsCloudProviderKind } from "../ingress/cloud-provider-kind.ts";
import { CLOUD_PROVIDER_KIND_UNSTOPPABLE, CLOUD_PROVIDER_KIND_VERSION } from "../lb/cloud-provider-kind.ts";
import { addAppGateway, addModel, appGatewayProgrammedGate } from "./app-routes.ts";
import {
  ensureGatewayApiCrds,
  GATEWAY_API_VERSION,
  gatewayApiCrdsGate,
  gatewayApiPins,
} from "./gateway-api-crds.ts";

/** cloud-provider-kind's GatewayClass (it creates the class itself when missing; labs writes the same). */
export const CLOUD_PROVIDER_KIND_GATEWAY_CLASS = "cloud-provider-kind";
export const CLOUD_PROVIDER_KIND_GATEWAY_CONTROLLER = "kind.sigs.k8s.io/gateway-controller";

/** cloud-provider-kind's Gateway API: each Gateway becomes an Envoy container on the kind network. */
export const cloudProviderKindGateway = defineComponent({
  kind: "gateway",
  name: "cloud-provider-kind",
  title: "cloud-provider-kind Gateway API",
  version: CLOUD_PROVIDER_KIND_VERSION,
  summary:
    "cloud-provider-kind runs each Gateway as an Envoy container with its own IP on the kind network, outside the nodes.",
  options: z.strictObject({}),
  capabilities: () => ({
    gatewayApi: {
      value: true,
      reason:
        "cloud-provider-kind serves Gateways of class cloud-provider-kind from an Envoy container on the kind network",
    },
  }),
  rules: (_o, lab) => [
    ...needsCloudProviderKind(lab, "northSouth.gateway", "cloud-provider-kind's Gateway API"),
    ...routeBackendFindings(lab, "northSouth.gateway", "cloud-provider-kind's Gateway"),
  ],
  versions: () => ({ "gateway-api": GATEWAY_API_VERSION }),
  artifacts: (_o, lab) => gatewayApiPins(lab),
  gates: (_o, lab) => [
    gatewayApiCrdsGate(),
    {
      stage: "platform",
      kind: "condition",
      resource: `gatewayclass/${CLOUD_PROVIDER_KIND_GATEWAY_CLASS}`,
      condition: "Accepted",
      timeoutSeconds: 120,
      description: "cloud-provider-kind accepted its GatewayClass",
    },
    appGatewayProgrammedGate(routeBackends(lab).namespace),
  ],
  build: (ctx) => {
    ensureGatewayApiCrds(ctx);
    addModel(
      ctx.stage("platform"),
      "cloud-provider-kind-gateway-class",
      new GatewayClass({
        metadata: {
          name: CLOUD_PROVIDER_KIND_GATEWAY_CLASS,
          labels: { "app.kubernetes.io/part-of": "labs" },
        },
        spec: {
          controllerName: CLOUD_PROVIDER_KIND_GATEWAY_CONTROLLER,
          description: "cloud-provider-kind gateway API",
        },
      }),
    );
    addAppGateway(ctx, CLOUD_PROVIDER_KIND_GATEWAY_CLASS);
  },
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
