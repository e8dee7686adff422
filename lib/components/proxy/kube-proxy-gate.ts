import type { Gate } from "../component.ts";

/**
 * kube-proxy's DaemonSet (kubeadm's, in kube-system) is rolled out on every node. kube-proxy runs
 * on the host network and tolerates every taint, so it starts before any CNI; the CNI's own pods
 * reach the API server through the `kubernetes` Service it programs. Gated after the first stage,
 * before the CNI is applied: a kube-proxy that crash-loops (ipvs mode on a host without the
 * ip_vs modules) then fails `labs up` by name instead of showing only as failed probes.
 */
export function kubeProxyGate(mode: string): Gate {
  return {
    stage: "crds",
    kind: "daemonset-rolled-out",
    namespace: "kube-system",
    name: "kube-proxy",
    timeoutSeconds: 180,
    description: `kube-proxy (${mode} mode) runs on every node`,
  };
}
