import { z } from "zod";
import { error } from "../../model/findings.ts";
import { atLeast, formatVersion } from "../../model/kubernetes-version.ts";
import { defineComponent } from "../component.ts";
import { NF_TABLES_NEED } from "../host-needs.ts";
import { kubeProxyRulesFlushed, kubeProxyServiceUnprogrammed } from "./kube-proxy-faults.ts";
import { kubeProxyGate } from "./kube-proxy-gate.ts";
import { proxyModeProof } from "./proxy-mode-proof.ts";

/** kube-proxy in nftables mode: Services as nftables maps (GA in Kubernetes 1.33, kind ≥ 0.23). */
export const nftables = defineComponent({
  kind: "proxy",
  name: "nftables",
  title: "kube-proxy (nftables)",
  summary: "kube-proxy writes one nftables table with verdict maps: lookups instead of long rule chains.",
  options: z.strictObject({}),
  capabilities: () => ({
    serviceProxy: { value: "kube-proxy nftables", reason: "kube-proxy programs Services as nftables maps" },
  }),
  gates: () => [kubeProxyGate("nftables")],
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
  kindConfig: () => ({ kubeProxyMode: "nftables" }),
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
  faults: () => ({ faults: [kubeProxyRulesFlushed("nftables"), kubeProxyServiceUnprogrammed("nftables")] }),
});
