/**
 * Helm values labs gives the Cilium chart. Every value is a plain function of the lab, so the
 * same lab always renders to the same bytes.
 */

export interface CiliumValuesInput {
  kubeProxyReplacement: boolean;
  /** The API server as node containers reach it; needed only without kube-proxy. */
  apiServer: { host: string; port: number };
  gatewayApi: boolean;
}

export function ciliumValues(input: CiliumValuesInput): Record<string, unknown> {
  return {
    // Pod CIDRs come from each Node's spec.podCIDR, which kind's controller-manager allocates
    // from the lab's podSubnet: Cilium and the lab agree on addresses without more settings.
    ipam: { mode: "kubernetes" },
    image: { pullPolicy: "IfNotPresent" },
    routingMode: "tunnel",
    tunnelProtocol: "vxlan",
    // bpf.masquerade stays unset (false): without it Cilium keeps legacy host routing ("BPF host
    // routing requires enable-bpf-masquerade"), so pod traffic still passes the node's netfilter,
    // where kind's DNAT to Docker's embedded DNS lives. BPF host routing would bypass it and leave
    // CoreDNS without its upstream (cilium/cilium#23283; the dns-upstream probe checks that path).
    // One operator is plenty for a laptop lab (the chart runs two by default).
    operator: { replicas: 1 },
    kubeProxyReplacement: input.kubeProxyReplacement,
    ...(input.kubeProxyReplacement
      ? {
          k8sServiceHost: input.apiServer.host,
          k8sServicePort: input.apiServer.port,
          // Without kube-proxy nothing answers its health port, 10256, which load balancers probe
          // for Cluster-policy Services: cloud-provider-kind v0.11.1 (pkg/loadbalancer/proxy.go)
          // health-checks every node there, and with no healthy node its Envoy has nowhere to
          // send a connection (kubernetes-sigs/cloud-provider-kind#65). Cilium serves the same
          // endpoint when asked to; the chart leaves it off (values.yaml, 1.19.6 and 1.20.0).
          kubeProxyReplacementHealthzBindAddr: "0.0.0.0:10256",
        }
      : {}),
    // The chart's default ("helm") generates a fresh CA and certificates on every render, so no
    // two renders would match. "cronJob" makes them in the cluster with the chart's certgen Job.
    hubble: { tls: { auto: { enabled: true, method: "cronJob" } } },
    ...(input.gatewayApi ? { gatewayAPI: { enabled: true } } : {}),
  };
}
