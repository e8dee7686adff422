import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "cilium-kpr",
  description:
    "Cilium with kube-proxy replacement: no kube-proxy at all, Services are load-balanced in eBPF at the socket and on each interface.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: { name: "cilium", options: { kubeProxyReplacement: true } },
  kubeProxyMode: "none",
  northSouth: { gateway: "cilium" },
  loadBalancer: "cloud-provider-kind",
  apps: ["echo", "echo-v2", "web", "external-name"],
});
