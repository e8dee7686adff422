import { z } from "zod";
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
 * Why the faults of what cloud-provider-kind serves are left out: its controller is one container
 * that serves every kind cluster on the host, and its shutdown removes every container carrying
 * its label (DESIGN.md), so stopping it is not one fault in one lab. It has no address pool.
 */
export const CLOUD_PROVIDER_KIND_UNSTOPPABLE =
  "it runs inside cloud-provider-kind, whose one container serves every kind cluster on this host and removes every load balancer container it made when it stops: not a fault of this lab alone";

/** The side container's name: one per lab. */
export const cloudProviderKindContainer = (lab: LabView) => `${lab.clusterName}-cloud-provider-kind`;

/** True when the lab uses cloud-provider-kind's Ingress or Gateway, which run inside the same process. */
const servesIngressOrGateway = (lab: LabView) =>
  lab.selected.ingress === "cloud-provider-kind" || lab.selected.gateway === "cloud-provider-kind";

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
  options: z.strictObject({}),
  capabilities: () => ({
    loadBalancer: {
      value: true,
      reason:
        "cloud-provider-kind starts an Envoy container per LoadBalancer Service on the kind network and writes its IP into the Service status",
    },
    // v0.11.1 pkg/loadbalancer/proxy.go: a tcp_proxy listener whose cluster is every node's
    // InternalIP:nodePort; server.go writes the container's own IP into status.loadBalancer.
    loadBalancerSource: {
      value: "proxy",
      reason:
        "its Envoy is an L4 proxy (tcp_proxy) that opens its own connection to a node's nodePort: the node sees the Envoy container's address, which is the LoadBalancer IP",
    },
  }),
  images: () => [CLOUD_PROVIDER_KIND_PROXY_IMAGE],
  sideContainers: (_o, lab): SideContainer[] => [
    {
      name: cloudProviderKindContainer(lab),
      image: CLOUD_PROVIDER_KIND_IMAGE,
      args: cloudProviderKindArgs(lab),
      dockerSocket: true,
      network: "kind",
      // Gateways and LoadBalancer Services get their address from it: their gates need it running.
      // Starting after the crds stage also means it finds the lab's pinned Gateway API CRDs and
      // does not install its own.
      startBefore: "platform",
      // In a container it cannot detect Docker Desktop, so labs asks for port mapping there.
      argsIfDockerInVm: ["--enable-lb-port-mapping"],
      createsContainersLabelled: CLOUD_PROVIDER_KIND_CLUSTER_LABEL,
    },
  ],
  postCreate: (_o, lab) => allowLoadBalancingOnControlPlanes(lab),
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
