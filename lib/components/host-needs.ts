import type { HostNeed } from "./component.ts";

/**
 * Kernel features several components need of the Docker host (kind nodes share its kernel), one
 * declaration each so `labs doctor` checks a feature once whoever needs it.
 */

/** kube-proxy's nftables mode, kindnet's policy engine and Calico's Nftables dataplane. */
export const NF_TABLES_NEED: HostNeed = {
  kind: "kernel-module",
  id: "kernel-nftables",
  title: "kernel: nf_tables",
  module: "nf_tables",
  config: "CONFIG_NF_TABLES",
  loadedBy: "the first nft command",
  load: "sudo modprobe nf_tables",
};

/** kube-proxy's ipvs mode. */
export const IP_VS_NEED: HostNeed = {
  kind: "kernel-module",
  id: "kernel-ipvs",
  title: "kernel: IPVS (kube-proxy ipvs mode)",
  module: "ip_vs",
  config: "CONFIG_IP_VS",
  loadedBy: "kube-proxy",
  load: "sudo modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh",
};

/** An eBPF dataplane (Cilium, Calico's BPF dataplane). */
export const BPF_NEED: HostNeed = { kind: "bpf", id: "kernel-bpf" };
