import { ApiObject } from "cdk8s";
import { error, type Finding } from "../../model/findings.ts";
import { routeBackendFindings } from "../apps/route-backends.ts";
import { CILIUM_NAMESPACE } from "../cni/cilium.ts";
import { type BuildContext, defineComponent, type LabView } from "../component.ts";
import { pauseDaemonSet } from "../fault.ts";
import { pinsGatewayApiCrds } from "./gateway-api-crds.ts";
import { buildGateway, type GatewayClassOf, gatewayGates } from "./gateway-class.ts";

export const CILIUM_GATEWAY_CLASS = "cilium";

const CLASS: GatewayClassOf = {
  name: CILIUM_GATEWAY_CLASS,
  controllerName: "io.cilium/gateway-controller",
  description: "Cilium's Gateway API",
  acceptedWithinSeconds: 180,
  accepted: "the Cilium operator accepted the cilium GatewayClass",
};

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
  serves: () =>
    "Cilium serves Gateways of class cilium through its per-node Envoy, behind a LoadBalancer Service (needs kube-proxy replacement)",
  rules: (_o, lab) => [
    ...ciliumRules(lab),
    ...routeBackendFindings(lab, "northSouth.gateway", "Cilium's Gateway"),
  ],
  ...pinsGatewayApiCrds,
  gates: (_o, lab) => gatewayGates(lab, CLASS),
  build: (ctx) =>
    buildGateway(ctx, CLASS, { classId: "cilium-gateway-class", writeClass: !hasGatewayClass(ctx) }),
  faults: () => {
    // Cilium's Gateway is served by the per-node Envoy of the cilium-envoy DaemonSet (the chart's
    // envoy.enabled, on by default for new installs since 1.16); pausing it stops every listener.
    const pause = pauseDaemonSet(CILIUM_NAMESPACE, "cilium-envoy", "its pods serve every Gateway listener");
    return {
      faults: [
        {
          id: "gateway-stopped",
          layer: "north-south",
          title: "Cilium's Envoy (the Gateway's data plane) stopped",
          does: "pauses the cilium-envoy DaemonSet: the Gateway keeps its LoadBalancer IP and Cilium still redirects to the Envoy listener, where nothing answers",
          undo: "un-pauses cilium-envoy and waits until it runs on every node",
          effect: { kind: "north-south-down", serves: "gateway" },
          observe:
            "Every Gateway check fails while the Gateway, its HTTPRoutes and its LoadBalancer IP look fine; Services inside the cluster still answer (Cilium's eBPF load balancer does not need Envoy).",
          look: [
            {
              run: { kubectl: ["--namespace", CILIUM_NAMESPACE, "get", "daemonset", "cilium-envoy"] },
              shows: "DESIRED 0",
            },
            {
              run: { kubectl: ["get", "gateway", "--all-namespaces"] },
              shows: "the Gateway still Programmed, with its address",
            },
          ],
          apply: [
            ...pause.apply,
            {
              does: "wait until every cilium-envoy pod is gone",
              run: {
                kubectl: [
                  "--namespace",
                  CILIUM_NAMESPACE,
                  "wait",
                  "--for=delete",
                  "pod",
                  "--selector",
                  "k8s-app=cilium-envoy",
                  "--timeout=120s",
                ],
              },
            },
          ],
          revert: pause.revert,
          source:
            "cilium install/kubernetes/cilium values.yaml (envoy.enabled) and Documentation/network/servicemesh/gateway-api",
        },
      ],
    };
  },
});
