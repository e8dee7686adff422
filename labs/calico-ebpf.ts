import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "calico-ebpf",
  description:
    "Calico's eBPF dataplane replaces kube-proxy: Services, NetworkPolicy and VXLAN forwarding all happen in eBPF programs.",
  nodes: { controlPlanes: 1, workers: 2 },
  podSubnet: "192.168.0.0/16",
  cni: { name: "calico", options: { dataplane: "BPF" } },
  kubeProxyMode: "none",
});
