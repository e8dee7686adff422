import type { RuntimeObject } from "../../validate/admission.ts";
import { defineComponent, type LabView, type SideContainer } from "../component.ts";
import { allowLoadBalancingOnControlPlanes } from "./exclude-label.ts";

/** kind's recommended cloud provider: LoadBalancer IPs, Ingress and Gateway API for kind clusters. */
export const CLOUD_PROVIDER_KIND_VERSION = "v0.11.1";
export const CLOUD_PROVIDER_KIND_IMAGE = `registry.k8s.io/cloud-provider-kind/cloud-controller-manager:${CLOUD_PROVIDER_KIND_VERSION}`;
/** The Envoy image cloud-provider-kind v0.11.1 runs for each load balancer and gateway (its default). */
export const CLOUD_PROVIDER_KIND_PROXY_IMAGE = "docker.io/envoyproxy/envoy:v1.33.2";
/** Label cloud-provider-kind puts on the containers it creates, valued with the cluster name. */
export const CLOUD_PROVIDER_KIND_CLUSTER_LABEL = "io.x-k8s.cloud-provider-kind.cluster";

/**
 * The Gateway API CRDs cloud-provider-kind v0.11.1 embeds (pkg/gateway/crds/standard, bundle
 * v1.5.0) and creates when its Gateway API controllers are on (pkg/gateway/crd_manager.go).
 */
export const CLOUD_PROVIDER_KIND_GATEWAY_API = {
  bundleVersion: "v1.5.0",
  crds: [
    "backendtlspolicies",
    "gatewayclasses",
    "gateways",
    "grpcroutes",
    "httproutes",
    "listenersets",
    "referencegrants",
    "tlsroutes",
  ],
} as const;

function embeddedGatewayApiCrds(): RuntimeObject[] {
  return CLOUD_PROVIDER_KIND_GATEWAY_API.crds.map((plural) => ({
    by: `cloud-provider-kind ${CLOUD_PROVIDER_KIND_VERSION}`,
    consequence:
      "its controllers never start (controller.go stops on the failed create): no LoadBalancer addresses, no Ingress, no Gateway",
    object: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: {
        name: `${plural}.gateway.networking.k8s.io`,
        annotations: {
          "gateway.networking.k8s.io/bundle-version": CLOUD_PROVIDER_KIND_GATEWAY_API.bundleVersion,
          "gateway.networking.k8s.io/channel": "standard",
        },
      },
      spec: { group: "gateway.networking.k8s.io" },
    },
  }));
}

/**
 * Why the faults of what cloud-provider-kind serves are left out: one container serves every kind
 * cluster on the host and deletes every load balancer container it made when it stops (see
 * CLOUD_PROVIDER_KIND_CONTAINER below), so stopping it is not one fault in one lab.
 */
export const CLOUD_PROVIDER_KIND_UNSTOPPABLE =
  "it runs inside cloud-provider-kind, whose one container serves every kind cluster on this host and removes every load balancer container it made when it stops: not a fault of this lab alone";

/**
 * The side container's name: one per Docker host, shared by the labs that run it. cloud-provider-kind
 * v0.11.1 acts on every kind cluster of the host: its controller lists them all every 30 s and
 * starts a cloud provider for each (pkg/controller/controller.go Run), and when it stops it deletes
 * every container carrying its cluster label, for any cluster (cleanup, ListByLabel of the bare
 * key). It has no flag to limit it to one cluster. Two instances would fight over every cluster's
 * load balancers, and stopping one would delete the other's.
 */
export const CLOUD_PROVIDER_KIND_CONTAINER = "labs-cloud-provider-kind";

/** True when the lab uses cloud-provider-kind's Ingress or Gateway, which run inside the same process. */
const servesIngressOrGateway = (lab: Pick<LabView, "selected">) =>
  lab.selected.ingress === "cloud-provider-kind" || lab.selected.gateway === "cloud-provider-kind";

/**
 * True when cloud-provider-kind runs its Gateway API controllers (`--gateway-channel=standard`):
 * then it also creates the Gateway API CRDs it embeds when it starts (crd_manager.go).
 */
export const cloudProviderKindManagesGatewayApi = (lab: Pick<LabView, "selected">) =>
  lab.selected.loadBalancer === "cloud-provider-kind" && servesIngressOrGateway(lab);

/**
 * Arguments for cloud-provider-kind. Its Gateway API controller (which also serves its Ingress)
 * is switched off unless the lab uses it: otherwise it would install its own Gateway API CRDs
 * and classes next to the lab's implementation. Its IngressClass is never marked default: the
 * lab's Ingress names its class.
 */
export function cloudProviderKindArgs(lab: LabView): string[] {
  return [
    `--gateway-channel=${servesIngressOrGateway(lab) ? "standard" : "disabled"}`,
    "--enable-default-ingress=false",
  ];
}

export const cloudProviderKind = defineComponent({
  kind: "loadBalancer",
  name: "cloud-provider-kind",
  title: "cloud-provider-kind",
  version: CLOUD_PROVIDER_KIND_VERSION,
  summary:
    "Runs next to the cluster with the Docker socket and gives each LoadBalancer Service an Envoy container on the kind network.",
  serves: () =>
    "cloud-provider-kind starts an Envoy container per LoadBalancer Service on the kind network and writes its IP into the Service status",
  capabilities: () => ({
    // v0.11.1 pkg/loadbalancer/proxy.go: a tcp_proxy listener whose cluster is every node's
    // InternalIP:nodePort; server.go writes the container's own IP into status.loadBalancer.
    loadBalancerSource: {
      value: "proxy",
      reason:
        "its Envoy is an L4 proxy (tcp_proxy) that opens its own connection to a node's nodePort: the node sees the Envoy container's address, which is the LoadBalancer IP",
    },
  }),
  versions: () => ({ "cloud-provider-kind": CLOUD_PROVIDER_KIND_VERSION }),
  images: () => [CLOUD_PROVIDER_KIND_PROXY_IMAGE],
  sideContainers: (_o, lab): SideContainer[] => [
    {
      name: CLOUD_PROVIDER_KIND_CONTAINER,
      image: CLOUD_PROVIDER_KIND_IMAGE,
      args: cloudProviderKindArgs(lab),
      dockerSocket: true,
      network: "kind",
      // Gateways and LoadBalancer Services get their address from it: their gates need it running.
      // Starting after the crds stage also means it finds the lab's pinned Gateway API CRDs. (An
      // instance another lab already runs finds the new cluster within 30 s and may create its
      // v1.5.0 CRDs first; the crds stage's server-side apply then takes them over at v1.6.1.)
      startBefore: "platform",
      // In a container it cannot detect Docker Desktop, so labs asks for port mapping there.
      argsIfDockerInVm: ["--enable-lb-port-mapping"],
      createsContainersLabelled: CLOUD_PROVIDER_KIND_CLUSTER_LABEL,
      hostWide: {
        why: "cloud-provider-kind manages every kind cluster on the Docker host, and its shutdown deletes every load balancer it made, for any cluster",
      },
    },
  ],
  postCreate: (_o, lab) => allowLoadBalancingOnControlPlanes(lab),
  runtimeObjects: (_o, lab) => (cloudProviderKindManagesGatewayApi(lab) ? embeddedGatewayApiCrds() : []),
  faults: () => ({
    faults: [
      {
        id: "lb-pool-exhausted",
        layer: "north-south",
        title: "the LoadBalancer address pool exhausted",
        unavailable:
          "cloud-provider-kind has no address pool: it gives each LoadBalancer Service an Envoy container of its own, with the next free address of the kind network",
      },
    ],
  }),
});
