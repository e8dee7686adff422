import { error } from "../../model/findings.ts";
import { atLeast, formatVersion } from "../../model/kubernetes-version.ts";
import { defineComponent } from "../component.ts";
import { NF_TABLES_NEED } from "../host-needs.ts";
import { proxyModeProof } from "./proxy-mode-proof.ts";
import { runningKubeProxy } from "./running-kube-proxy.ts";

/** kube-proxy in nftables mode: Services as nftables maps (GA in Kubernetes 1.33, kind ≥ 0.23). */
export const nftables = defineComponent({
  ...runningKubeProxy("nftables"),
  summary: "kube-proxy writes one nftables table with verdict maps: lookups instead of long rule chains.",
  capabilities: () => ({
    serviceProxy: { value: "kube-proxy nftables", reason: "kube-proxy programs Services as nftables maps" },
  }),
  hostNeeds: () => [NF_TABLES_NEED],
  serviceDataplane: () => ({
    inspection: "nftables-kube-proxy-table",
    grows:
      "One more element in the service-ips verdict map and one more service chain: a lookup, not a longer list.",
    size: {
      measure: "nftables-elements",
      command: ["sh", "-c", "nft list table ip kube-proxy | grep -oE ' : (goto|jump) ' | wc -l"],
    },
  }),
  rules: (_o, lab) =>
    atLeast(lab.kubeVersion, 1, 31)
      ? []
      : [
          error(
            "kubeProxyMode",
            `nftables mode needs Kubernetes 1.31 or newer; the node image is ${formatVersion(lab.kubeVersion)}`,
            "use a newer nodeImage or kubeProxyMode iptables",
          ),
        ],
  inspections: () => [
    proxyModeProof("nftables"),
    {
      id: "nftables-kube-proxy-table",
      title: "kube-proxy's nftables table",
      on: "control-plane",
      command: ["nft", "list", "table", "ip", "kube-proxy"],
      explains:
        "All Services live in the `ip kube-proxy` table: a service-ips verdict map, one chain per Service.",
      expectContains: "service-ips",
    },
  ],
});
