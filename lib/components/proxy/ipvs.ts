import { warning } from "../../model/findings.ts";
import { atLeast } from "../../model/kubernetes-version.ts";
import { defineComponent, type LabView } from "../component.ts";
import { IP_VS_NEED } from "../host-needs.ts";
import { proxyModeProof } from "./proxy-mode-proof.ts";
import { runningKubeProxy } from "./running-kube-proxy.ts";

/**
 * MetalLB in L2 mode answers ARP for LoadBalancer IPs from one node, but in IPVS mode every node
 * holds every Service IP on kube-ipvs0 and would answer too. strictARP stops that; kind passes
 * this KubeProxyConfiguration patch to kubeadm.
 */
export const STRICT_ARP_PATCH = `kind: KubeProxyConfiguration
apiVersion: kubeproxy.config.k8s.io/v1alpha1
ipvs:
  strictARP: true
`;

const needsStrictArp = (lab: LabView) => lab.selected.loadBalancer === "metallb";

/** kube-proxy in IPVS mode: kernel load balancer, a dummy kube-ipvs0 interface holds every Service IP. */
export const ipvs = defineComponent({
  ...runningKubeProxy("ipvs"),
  summary:
    "kube-proxy programs the kernel's IPVS load balancer; every ClusterIP is bound to the kube-ipvs0 device.",
  capabilities: () => ({
    serviceProxy: {
      value: "kube-proxy ipvs",
      reason: "kube-proxy programs Services as IPVS virtual servers",
    },
  }),
  hostNeeds: () => [IP_VS_NEED],
  serviceDataplane: () => ({
    inspection: "ipvs-device",
    grows: "kube-ipvs0 holds one more address: the new ClusterIP, bound to the dummy device.",
    size: { measure: "ipvs-services", command: ["sh", "-c", "grep -cE '^(TCP|UDP)' /proc/net/ip_vs"] },
  }),
  kindConfig: (_o, lab) => ({
    kubeProxyMode: "ipvs",
    ...(needsStrictArp(lab) ? { kubeadmConfigPatches: [STRICT_ARP_PATCH] } : {}),
  }),
  rules: (_o, lab) =>
    atLeast(lab.kubeVersion, 1, 35)
      ? [
          warning(
            "kubeProxyMode",
            "ipvs mode is deprecated since Kubernetes 1.35",
            "fine for teaching; prefer nftables for new work",
          ),
        ]
      : [],
  inspections: (_o, lab) => [
    proxyModeProof("ipvs"),
    {
      id: "ipvs-device",
      title: "kube-ipvs0 holds the Service IPs",
      on: "control-plane",
      command: ["ip", "-brief", "address", "show", "kube-ipvs0"],
      explains:
        "In IPVS mode every ClusterIP is an address on the dummy kube-ipvs0 device (kind nodes have no ipvsadm).",
      expectContains: "kube-ipvs0",
    },
    ...(needsStrictArp(lab)
      ? [
          {
            id: "ipvs-strict-arp",
            title: "strictARP: nodes do not answer ARP for kube-ipvs0 addresses",
            on: "every-node" as const,
            command: ["sysctl", "net.ipv4.conf.all.arp_ignore", "net.ipv4.conf.all.arp_announce"],
            explains:
              "With strictARP kube-proxy sets arp_ignore=1 and arp_announce=2, so only MetalLB's speaker answers ARP for a LoadBalancer IP that every node also holds on kube-ipvs0.",
            expectContains: "arp_ignore = 1",
          },
        ]
      : []),
  ],
});
