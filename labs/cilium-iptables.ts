import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "cilium-iptables",
  description:
    "Cilium's eBPF pod network (VXLAN tunnel, NetworkPolicy in eBPF) with kube-proxy still programming Services in iptables.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: { name: "cilium", options: { kubeProxyReplacement: false } },
  kubeProxyMode: "iptables",
});
