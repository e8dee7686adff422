import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "flannel-nftables",
  description:
    "Flannel's VXLAN overlay with kube-proxy in nftables mode; Flannel writes its masquerade rules to nftables too.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: { name: "flannel", options: { backend: "vxlan" } },
  kubeProxyMode: "nftables",
});
