import type { K8sObject } from "../../model/k8s-object.ts";
import { pin, pinnedVersion } from "../../upstream/pins.ts";
import { APP_GATEWAY } from "./app-routes.ts";

/**
 * How labs runs Envoy Gateway v1.9.0 on kind: the chart's values, the EnvoyProxy settings its
 * GatewayClass points at, and what labs keeps of the rendered chart.
 *
 * Exposure: the Envoy Service is a NodePort with a fixed port, mapped to a host port by kind
 * (hostPorts.gatewayHttp). That reaches the Gateway from the host on Linux and on Docker
 * Desktop alike, needs no load balancer, and keeps the lab's one load balancer free for the
 * echo LoadBalancer Services. externalTrafficPolicy is Cluster (Envoy Gateway's default is
 * Local) because the mapping lands on the control plane, where no Envoy pod may run.
 */
export const ENVOY_GATEWAY_VERSION = pinnedVersion("envoy-gateway");
export const ENVOY_GATEWAY_CHART = pin("envoy-gateway/chart");
export const ENVOY_GATEWAY_NAMESPACE = "envoy-gateway-system";
export const ENVOY_GATEWAY_RELEASE = "eg";
export const ENVOY_GATEWAY_DEPLOYMENT = "envoy-gateway";
export const ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";
export const ENVOY_GATEWAY_CLASS = "envoy-gateway";
export const ENVOY_PROXY_CONFIG = "labs-envoy-proxy";
/** The Envoy Service Envoy Gateway creates for the lab's Gateway (named, so probes can find it). */
export const ENVOY_SERVICE = "labs-gateway-envoy";
/** The fixed nodePort of the Gateway's HTTP listener, mapped to hostPorts.gatewayHttp. */
export const ENVOY_GATEWAY_NODE_PORT = 30180;
/** The controller image the chart deploys, and the Envoy image the controller deploys (v1.9.0's default). */
export const ENVOY_GATEWAY_IMAGE = `docker.io/envoyproxy/gateway:${ENVOY_GATEWAY_VERSION}`;
export const ENVOY_PROXY_IMAGE = "docker.io/envoyproxy/envoy:distroless-v1.39.0";

/**
 * Chart values. The chart renders no generated secrets (its certgen Job makes the certificates
 * in the cluster), so the render is byte-identical run to run. Its CRD subchart carries the
 * Gateway API experimental CRDs: labs installs the pinned standard ones instead and drops those
 * from the render (filterEnvoyGatewayRender); the safe-upgrade policy also comes from the pins.
 */
export function envoyGatewayValues(): Record<string, unknown> {
  return {
    global: {
      images: {
        envoyGateway: { image: ENVOY_GATEWAY_IMAGE, pullPolicy: "IfNotPresent" },
        envoyProxy: { image: ENVOY_PROXY_IMAGE, pullPolicy: "IfNotPresent" },
      },
    },
    crds: { enabled: true, gatewayAPI: { safeUpgradePolicy: { enabled: false } } },
    deployment: {
      replicas: 1,
      envoyGateway: {
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      },
    },
    createNamespace: false,
  };
}

/** Envoy Gateway's EnvoyProxy (gateway.envoyproxy.io/v1alpha1), the fields labs sets. */
export interface EnvoyProxy {
  apiVersion: "gateway.envoyproxy.io/v1alpha1";
  kind: "EnvoyProxy";
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    provider: {
      type: "Kubernetes";
      kubernetes: {
        envoyDeployment: {
          replicas: number;
          container: {
            image: string;
            resources: { requests: Record<string, string>; limits: Record<string, string> };
          };
        };
        envoyService: {
          name: string;
          type: "NodePort" | "LoadBalancer" | "ClusterIP";
          externalTrafficPolicy: "Cluster" | "Local";
          patch: {
            type: "StrategicMerge";
            value: { spec: { ports: { port: number; nodePort: number }[] } };
          };
        };
      };
    };
  };
}

export function envoyProxy(): EnvoyProxy {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyProxy",
    metadata: {
      name: ENVOY_PROXY_CONFIG,
      namespace: ENVOY_GATEWAY_NAMESPACE,
      labels: { "app.kubernetes.io/part-of": "labs" },
    },
    spec: {
      provider: {
        type: "Kubernetes",
        kubernetes: {
          envoyDeployment: {
            replicas: 1,
            container: {
              image: ENVOY_PROXY_IMAGE,
              resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "256Mi" } },
            },
          },
          envoyService: {
            name: ENVOY_SERVICE,
            type: "NodePort",
            externalTrafficPolicy: "Cluster",
            // Envoy Gateway has no nodePort field: a strategic merge on the port (merge key
            // `port`) fixes it, so kind can map it before the Service exists.
            patch: {
              type: "StrategicMerge",
              value: { spec: { ports: [{ port: APP_GATEWAY.port, nodePort: ENVOY_GATEWAY_NODE_PORT }] } },
            },
          },
        },
      },
    },
  };
}

const GATEWAY_API_GROUPS = new Set(["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"]);
const SAFE_UPGRADES = "safe-upgrades.gateway.networking.k8s.io";

/**
 * Splits the rendered chart: Envoy Gateway's own CRDs go to the crds stage, the controller to
 * the platform stage; Gateway API CRDs and their upgrade policy are dropped (the lab installs
 * the pinned standard channel, which the chart's experimental CRDs must not replace).
 */
export function filterEnvoyGatewayRender(objects: K8sObject[]): { crds: K8sObject[]; platform: K8sObject[] } {
  const crds: K8sObject[] = [];
  const platform: K8sObject[] = [];
  for (const o of objects) {
    if (o.kind === "CustomResourceDefinition") {
      if (!GATEWAY_API_GROUPS.has(o.spec?.group)) crds.push(o);
      continue;
    }
    if (o.kind.startsWith("ValidatingAdmissionPolicy") && o.metadata?.name === SAFE_UPGRADES) continue;
    platform.push(o);
  }
  return { crds, platform };
}
