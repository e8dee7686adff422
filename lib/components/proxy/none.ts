import { defineComponent } from "../component.ts";

/** No kube-proxy: the CNI must program Services itself (eBPF). The rule lives in rules.ts. */
export const none = defineComponent({
  kind: "proxy",
  name: "none",
  title: "no kube-proxy",
  summary: "kube-proxy is not installed; the CNI's eBPF dataplane handles Services.",
  capabilities: () => ({
    serviceProxy: { value: "none", reason: "kube-proxy is not installed" },
  }),
  kindConfig: () => ({ kubeProxyMode: "none" }),
  // No `grows`: what a new Service adds depends on the CNI that replaces kube-proxy.
  serviceDataplane: () => ({ inspection: "no-kube-proxy" }),
  inspections: () => [
    {
      id: "no-kube-proxy",
      title: "No kube-proxy chains",
      on: "control-plane",
      command: ["sh", "-c", "iptables-save -t nat | grep -c KUBE-SVC || true"],
      explains: "Without kube-proxy there are no KUBE-SVC chains: Services are handled in eBPF maps.",
      expectContains: "0",
    },
  ],
  faults: (_o, lab) => ({
    faults: [
      {
        id: "kube-proxy-rules-flushed",
        layer: "service",
        title: "kube-proxy stopped, its rules flushed",
        unavailable: `there is no kube-proxy in this lab: ${lab.selected.cni} load-balances Services itself (kubeProxyMode "none")`,
      },
    ],
  }),
});
