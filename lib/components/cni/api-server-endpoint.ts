import type { ClusterVariable, LabView } from "../component.ts";
import { placeholder } from "../host-paths.ts";

/**
 * Where pods on the node network reach the Kubernetes API server without kube-proxy. Without
 * kube-proxy the `kubernetes` Service (10.96.0.1) is not programmed until the CNI itself runs,
 * so an eBPF dataplane must be told the real address.
 *
 * By name: inside the `kind` Docker network node containers resolve each other by name (the
 * first control plane is `<cluster>-control-plane`; with several, kind puts a load balancer
 * container in front of them). Only a pod that resolves through the node's own resolv.conf
 * sees those names: kind's entrypoint points it at Docker's embedded DNS (enable_network_magic,
 * images/base/files/usr/local/bin/entrypoint@v0.32.0). That is a host-network pod with no
 * dnsPolicy (ClusterFirst falls back to the node's resolver there), such as Cilium's agent and
 * operator: Cilium's own kind guide gives k8sServiceHost by name.
 */
export function apiServerEndpoint(lab: Pick<LabView, "clusterName" | "spec">): {
  host: string;
  port: number;
} {
  const host =
    lab.spec.nodes.controlPlanes > 1
      ? `${lab.clusterName}-external-load-balancer`
      : `${lab.clusterName}-control-plane`;
  return { host, port: 6443 };
}

/**
 * By address: a host-network pod with dnsPolicy ClusterFirstWithHostNet resolves every name
 * through CoreDNS, which cannot run before the CNI (and without kube-proxy its Service address is
 * not programmed either): a name there deadlocks the install (tigera/operator#1746,
 * projectcalico/calico#10683). Such a component gets this variable instead, which `labs up`
 * fills with the API server's advertised IP, read from the `kubernetes` EndpointSlice, as
 * Calico's own bpfNetworkBootstrap reads it (tigera/operator pkg/controller/utils/bpf.go@v1.42.3).
 */
export const API_SERVER_ADDRESS: ClusterVariable = {
  name: "LABS_API_SERVER_ADDRESS",
  source: "api-server-address",
  explains:
    "the API server's IP on the kind network, for host-network pods that start before cluster DNS and must not look up a name",
};

/** `${LABS_API_SERVER_ADDRESS}`, as written in a stage file. */
export const API_SERVER_ADDRESS_VALUE = placeholder(API_SERVER_ADDRESS.name);
