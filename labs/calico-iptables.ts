import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "calico-iptables",
  description:
    "Calico (Tigera operator) with its iptables dataplane next to kube-proxy in iptables mode: VXLAN between nodes, NetworkPolicy enforced.",
  nodes: { controlPlanes: 1, workers: 2 },
  // Calico's own default pool; clear of Docker's kind network (172.18.0.0/16).
  podSubnet: "192.168.0.0/16",
  cni: { name: "calico", options: { dataplane: "Iptables" } },
  kubeProxyMode: "iptables",
});
