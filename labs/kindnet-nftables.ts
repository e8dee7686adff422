import { defineLab } from "../lib/model/define-lab.ts";

export default defineLab({
  name: "kindnet-nftables",
  description: "kindnet with kube-proxy in nftables mode: Services as verdict maps in one nftables table.",
  nodes: { controlPlanes: 1, workers: 2 },
  cni: "kindnet",
  kubeProxyMode: "nftables",
});
