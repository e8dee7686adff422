import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "flannel-ipvs",
  description:
    "Flannel's VXLAN overlay with kube-proxy in IPVS mode: every ClusterIP sits on kube-ipvs0 and the kernel load-balances.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: { name: "flannel", options: { backend: "vxlan" } },
  kubeProxyMode: "ipvs",
});
