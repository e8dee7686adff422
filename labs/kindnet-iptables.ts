import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "kindnet-iptables",
  description:
    "kind's defaults: kindnet routes pods between nodes and kube-proxy programs Services with iptables.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: "kindnet",
  kubeProxyMode: "iptables",
});
