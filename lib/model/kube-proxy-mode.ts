/**
 * The kube-proxy modes a kind cluster can run: kind's `networking.kubeProxyMode` takes exactly
 * these (kubernetes-sigs/kind pkg/apis/config/v1alpha4/types.go@v0.32.0, ProxyMode). `none`
 * runs no kube-proxy at all; a CNI must then program Services itself (Cilium's kube-proxy
 * replacement, Calico's eBPF dataplane).
 */
export const KUBE_PROXY_MODES = ["iptables", "ipvs", "nftables", "none"] as const;
export type KubeProxyMode = (typeof KUBE_PROXY_MODES)[number];

/** The modes in which kube-proxy runs and programs Services. */
export type RunningKubeProxyMode = Exclude<KubeProxyMode, "none">;

/** kind's own default, and the mode of a lab that names none. */
export const DEFAULT_KUBE_PROXY_MODE: KubeProxyMode = "iptables";
