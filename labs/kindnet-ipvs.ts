import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "kindnet-ipvs",
  description: "kindnet with kube-proxy in IPVS mode: Services become kernel virtual servers on kube-ipvs0.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: "kindnet",
  kubeProxyMode: "ipvs",
});
