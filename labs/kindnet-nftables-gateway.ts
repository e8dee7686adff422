import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "kindnet-nftables-gateway",
  description:
    "Gateway API with Envoy Gateway on kindnet and nftables kube-proxy: path, header and weighted routes to two versions of echo, reached from the host through a NodePort.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: "kindnet",
  kubeProxyMode: "nftables",
  northSouth: { gateway: "envoy-gateway" },
  loadBalancer: "cloud-provider-kind",
  apps: ["echo", "echo-v2", "web", "external-name"],
});
