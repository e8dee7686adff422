import { GatewayClass } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass";
import { ApiObject } from "cdk8s";
import { z } from "zod";
import { error, type Finding } from "../../model/findings.ts";
import { routeBackendFindings, routeBackends } from "../apps/route-backends.ts";
import { type BuildContext, defineComponent, type LabView } from "../component.ts";
import { addAppGateway, addModel, appGatewayProgrammedGate } from "./app-routes.ts";
import {
  ensureGatewayApiCrds,
  GATEWAY_API_VERSION,
  gatewayApiCrdsGate,
  gatewayApiPins,
} from "./gateway-api-crds.ts";

export const CILIUM_GATEWAY_CLASS = "cilium";
export const CILIUM_GATEWAY_CONTROLLER = "io.cilium/gateway-controller";

function ciliumRules(lab: LabView): Finding[] {
  if (lab.selected.cni !== "cilium") {
    return [
      error(
        "northSouth.gateway",
        `the cilium gateway is Cilium's own Gateway API implementation, but the lab's CNI is ${lab.selected.cni}`,
        'use cni { name: "cilium", options: { kubeProxyReplacement: true } } with kubeProxyMode "none", or northSouth.gateway "envoy-gateway"',
      ),
    ];
  }
  // Without kube-proxy replacement Cilium's own rule names the option to set.
  if (!lab.capabilities.kubeProxyReplacement) return [];
  if (lab.capabilities.loadBalancer) return [];
  return [
    error(
      "northSouth.gateway",
      "Cilium exposes each Gateway as a LoadBalancer Service: without a load balancer it gets no address and never becomes Programmed",
      'set loadBalancer: "cloud-provider-kind" (or "metallb" on a Linux host)',
    ),
  ];
}

/** Cilium's chart renders its GatewayClass only when helm sees the Gateway API; write it otherwise. */
function hasGatewayClass(ctx: BuildContext): boolean {
  return ctx
    .stage("cni")
    .node.findAll()
    .some((c) => c instanceof ApiObject && c.kind === "GatewayClass" && c.name === CILIUM_GATEWAY_CLASS);
}

/**
 * Cilium's Gateway API: the Cilium operator turns each Gateway into a LoadBalancer Service and
 * an Envoy listener in the per-node cilium-envoy, reached through Cilium's eBPF load balancer.
 */
export const ciliumGateway = defineComponent({
  kind: "gateway",
  name: "cilium",
  title: "Cilium Gateway API",
  summary:
    "Cilium programs Gateways into its per-node Envoy; each Gateway is a LoadBalancer Service handled by Cilium's eBPF load balancer.",
  options: z.strictObject({}),
  capabilities: () => ({
    gatewayApi: {
      value: true,
      reason:
        "Cilium serves Gateways of class cilium through its per-node Envoy, behind a LoadBalancer Service (needs kube-proxy replacement)",
    },
  }),
  rules: (_o, lab) => [
    ...ciliumRules(lab),
    ...routeBackendFindings(lab, "northSouth.gateway", "Cilium's Gateway"),
  ],
  versions: () => ({ "gateway-api": GATEWAY_API_VERSION }),
  artifacts: (_o, lab) => gatewayApiPins(lab),
  gates: (_o, lab) => [
    gatewayApiCrdsGate(),
    {
      stage: "platform",
      kind: "condition",
      resource: `gatewayclass/${CILIUM_GATEWAY_CLASS}`,
      condition: "Accepted",
      timeoutSeconds: 180,
      description: "the Cilium operator accepted the cilium GatewayClass",
    },
    appGatewayProgrammedGate(routeBackends(lab).namespace),
  ],
  build: (ctx) => {
    ensureGatewayApiCrds(ctx);
    if (!hasGatewayClass(ctx)) {
      addModel(
        ctx.stage("platform"),
        "cilium-gateway-class",
        new GatewayClass({
          metadata: { name: CILIUM_GATEWAY_CLASS, labels: { "app.kubernetes.io/part-of": "labs" } },
          spec: { controllerName: CILIUM_GATEWAY_CONTROLLER, description: "Cilium's Gateway API" },
        }),
      );
    }
    addAppGateway(ctx, CILIUM_GATEWAY_CLASS);
  },
});
