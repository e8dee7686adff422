import { defineComponent } from "../component.ts";
import { proxyModeProof } from "./proxy-mode-proof.ts";
import { runningKubeProxy } from "./running-kube-proxy.ts";

/** kube-proxy in iptables mode: kind's default. */
export const iptables = defineComponent({
  ...runningKubeProxy("iptables"),
  summary: "kube-proxy writes a KUBE-SERVICES chain; each Service is a chain of DNAT rules picked at random.",
  capabilities: () => ({
    serviceProxy: {
      value: "kube-proxy iptables",
      reason: "kube-proxy programs Services as iptables DNAT chains",
    },
  }),
  serviceDataplane: () => ({
    inspection: "iptables-kube-services",
    grows: "The count goes up by one per Service port: each is a KUBE-SVC-* chain in the nat table.",
    size: { measure: "iptables-rules", command: ["sh", "-c", "iptables-save | grep -c '^-A'"] },
  }),
  inspections: () => [
    proxyModeProof("iptables"),
    {
      id: "iptables-kube-services",
      title: "KUBE-SERVICES chain",
      on: "control-plane",
      command: ["sh", "-c", "iptables-save -t nat | grep -c KUBE-SVC"],
      explains: "Every Service port is a KUBE-SVC-* chain in the nat table; the count grows with Services.",
    },
  ],
});
