import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "kindnet-cloud-provider-kind",
  description:
    "kind's recommended north-south stack on a single node: cloud-provider-kind gives LoadBalancer IPs and serves the Ingress and the Gateway API from Envoy containers on the kind network.",
  nodes: { controlPlanes: 1, workers: 0 },
  cni: "kindnet",
  kubeProxyMode: "iptables",
  northSouth: { ingress: "cloud-provider-kind", gateway: "cloud-provider-kind" },
  loadBalancer: "cloud-provider-kind",
  apps: ["echo", "echo-v2", "web", "external-name"],
});
