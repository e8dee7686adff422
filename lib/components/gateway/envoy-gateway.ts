import type { GatewayClass } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass";
import { ApiObject } from "cdk8s";
import { routeBackendFindings, routeBackends } from "../apps/route-backends.ts";
import { type ChartRender, defineComponent, type LabView } from "../component.ts";
import { scaledToZero } from "../fault.ts";
import { ensureNamespace } from "../namespace.ts";
import { includeUpstream, parseManifest } from "../upstream-manifest.ts";
import { APP_GATEWAY } from "./app-routes.ts";
import {
  ENVOY_GATEWAY_CHART,
  ENVOY_GATEWAY_CLASS,
  ENVOY_GATEWAY_CONTROLLER,
  ENVOY_GATEWAY_DEPLOYMENT,
  ENVOY_GATEWAY_NAMESPACE,
  ENVOY_GATEWAY_NODE_PORT,
  ENVOY_GATEWAY_RELEASE,
  ENVOY_GATEWAY_VERSION,
  ENVOY_PROXY_CONFIG,
  ENVOY_PROXY_IMAGE,
  envoyGatewayValues,
  envoyProxy,
  filterEnvoyGatewayRender,
} from "./envoy-gateway-values.ts";
import { GATEWAY_API_VERSION, gatewayApiPins } from "./gateway-api-crds.ts";
import { buildGateway, type GatewayClassOf, gatewayClass, gatewayGates } from "./gateway-class.ts";

/** The chart render Envoy Gateway needs (the artifact step renders it before synth). */
export const envoyGatewayRender = (): ChartRender => ({
  id: "envoy-gateway",
  chart: ENVOY_GATEWAY_CHART,
  release: ENVOY_GATEWAY_RELEASE,
  namespace: ENVOY_GATEWAY_NAMESPACE,
  values: envoyGatewayValues(),
});

/** The GatewayClass, pointing at the EnvoyProxy settings that make the Gateway reachable on kind. */
const CLASS: GatewayClassOf = {
  name: ENVOY_GATEWAY_CLASS,
  controllerName: ENVOY_GATEWAY_CONTROLLER,
  description: "Envoy Gateway: Envoy behind a fixed NodePort mapped to the host",
  parametersRef: {
    group: "gateway.envoyproxy.io",
    kind: "EnvoyProxy",
    name: ENVOY_PROXY_CONFIG,
    namespace: ENVOY_GATEWAY_NAMESPACE,
  },
  acceptedWithinSeconds: 120,
  accepted: "Envoy Gateway accepted its GatewayClass and the EnvoyProxy settings",
};

export const envoyGatewayClass = (): GatewayClass => gatewayClass(CLASS);

export const envoyGateway = defineComponent({
  kind: "gateway",
  name: "envoy-gateway",
  title: "Envoy Gateway",
  version: ENVOY_GATEWAY_VERSION,
  summary:
    "Gateway API implementation that runs one Envoy Deployment per Gateway; here behind a NodePort mapped to the host.",
  serves: (_o, lab) =>
    `Envoy Gateway serves Gateways of class ${ENVOY_GATEWAY_CLASS}; the host reaches the HTTP listener at ${lab.spec.listenAddress}:${lab.spec.hostPorts.gatewayHttp} (nodePort ${ENVOY_GATEWAY_NODE_PORT})`,
  rules: (_o, lab: LabView) => routeBackendFindings(lab, "northSouth.gateway", "Envoy Gateway"),
  versions: () => ({ "envoy-gateway": ENVOY_GATEWAY_VERSION, "gateway-api": GATEWAY_API_VERSION }),
  artifacts: (_o, lab) => [ENVOY_GATEWAY_CHART, ...gatewayApiPins(lab)],
  charts: () => [envoyGatewayRender()],
  // Envoy Gateway creates the Envoy Deployment itself: its image is in no manifest.
  images: () => [ENVOY_PROXY_IMAGE],
  kindConfig: (_o, lab) => ({
    extraPortMappings: [{ containerPort: ENVOY_GATEWAY_NODE_PORT, hostPort: lab.spec.hostPorts.gatewayHttp }],
  }),
  gates: (_o, lab) =>
    gatewayGates(lab, CLASS, [
      {
        stage: "crds",
        kind: "crds-established",
        names: ["envoyproxies.gateway.envoyproxy.io"],
        timeoutSeconds: 120,
        description: "Envoy Gateway's CRDs are served",
      },
      {
        stage: "platform",
        kind: "deployment-available",
        namespace: ENVOY_GATEWAY_NAMESPACE,
        name: ENVOY_GATEWAY_DEPLOYMENT,
        timeoutSeconds: 240,
        description: "the Envoy Gateway controller is Available",
      },
    ]),
  build: (ctx) =>
    buildGateway(ctx, CLASS, {
      classId: "envoy-gateway-class",
      own: () => {
        const rendered = parseManifest(ctx.readRenderedChart(envoyGatewayRender()));
        const { crds, platform } = filterEnvoyGatewayRender(rendered);
        includeUpstream(ctx.stage("crds"), "envoy-gateway-crds", crds);
        const chart = ctx.stage("platform");
        ensureNamespace(chart, ENVOY_GATEWAY_NAMESPACE);
        includeUpstream(chart, "envoy-gateway", platform);
        new ApiObject(chart, "envoy-proxy", envoyProxy());
      },
    }),
  faults: (_o, lab) => {
    const namespace = routeBackends(lab).namespace;
    // Envoy Gateway runs one Envoy Deployment per Gateway in its own namespace, labelled with the
    // Gateway it serves (gateway.envoyproxy.io/owning-gateway-{namespace,name}), and reconciles it:
    // the controller goes to zero first, so it cannot scale Envoy back up.
    const scale = scaledToZero([
      {
        namespace: ENVOY_GATEWAY_NAMESPACE,
        name: ENVOY_GATEWAY_DEPLOYMENT,
        variable: "CONTROLLER_REPLICAS",
        what: "the Envoy Gateway controller",
      },
      {
        namespace: ENVOY_GATEWAY_NAMESPACE,
        selector: `gateway.envoyproxy.io/owning-gateway-namespace=${namespace},gateway.envoyproxy.io/owning-gateway-name=${APP_GATEWAY.name}`,
        variable: "ENVOY_REPLICAS",
        what: `the Envoy proxy of Gateway ${APP_GATEWAY.name}`,
      },
    ]);
    return {
      faults: [
        {
          id: "gateway-stopped",
          layer: "north-south",
          title: "Envoy Gateway and its Envoy proxy scaled to zero",
          does: `scales the Envoy Gateway controller, then the Envoy Deployment of Gateway ${APP_GATEWAY.name}, to zero: the Envoy Service's node port has no endpoint left`,
          undo: "scales the Envoy proxy and then the controller back to the replicas they had",
          effect: { kind: "north-south-down", serves: "gateway" },
          observe:
            "Every Gateway check fails (refused at the node port); the HTTPRoutes and the Gateway object look the same, and the Services behind them answer inside the cluster.",
          look: [
            {
              run: { kubectl: ["--namespace", ENVOY_GATEWAY_NAMESPACE, "get", "deployments"] },
              shows: "both at 0/0",
            },
            {
              run: { kubectl: ["--namespace", ENVOY_GATEWAY_NAMESPACE, "get", "endpointslices"] },
              shows: "the Envoy Service without endpoints",
            },
          ],
          ...scale,
          source:
            "Envoy Gateway (gateway.envoyproxy.io/owning-gateway-* labels on the Envoy Deployment it reconciles)",
        },
      ],
    };
  },
});
