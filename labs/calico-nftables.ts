import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "calico-nftables",
  description:
    "Calico's nftables dataplane with kube-proxy in nftables mode: policy, NAT and Services all in nftables; the only iptables rules left are kind's own, for Docker's embedded DNS.",
  nodes: { controlPlanes: 1, workers: 2 },
  podSubnet: "192.168.0.0/16",
  cni: { name: "calico", options: { dataplane: "Nftables" } },
  kubeProxyMode: "nftables",
});
