import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "flannel-iptables",
  description:
    "Flannel's VXLAN overlay with kube-proxy in iptables mode: pods cross nodes through flannel.1, and NetworkPolicy is not enforced.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: { name: "flannel", options: { backend: "vxlan" } },
  kubeProxyMode: "iptables",
  northSouth: { ingress: "ingress-nginx" },
  loadBalancer: "metallb",
  apps: ["echo", "echo-v2", "web", "external-name"],
});
