import type { Gate } from "./component.ts";

/**
 * Gates every lab has, whatever its components: kind's own parts that later stages need.
 *
 * - Every node Ready once the CNI stage is applied (unless the CNI gates on it itself).
 * - CoreDNS Available: it is the first pod that needs the pod network, and the apps, the probes'
 *   DNS checks and every in-cluster name need it. Without kube-proxy, its readiness also proves
 *   that the CNI's own Service programming reaches the API server.
 */
export const NODES_READY: Gate = {
  stage: "cni",
  kind: "nodes-ready",
  timeoutSeconds: 240,
  description: "every node is Ready once the pod network is up",
};

/** A CNI's own nodes-ready gate: the same wait, said in the CNI's words. */
export const nodesReadyOnce = (description: string): Gate => ({ ...NODES_READY, description });

export const COREDNS_AVAILABLE: Gate = {
  stage: "cni",
  kind: "deployment-available",
  namespace: "kube-system",
  name: "coredns",
  timeoutSeconds: 180,
  description: "CoreDNS is Available (cluster DNS answers)",
};

/** The gates to add after those of the components. */
export function clusterGates(componentGates: readonly Gate[]): Gate[] {
  const nodesReady = componentGates.some((g) => g.kind === "nodes-ready");
  return [...(nodesReady ? [] : [NODES_READY]), COREDNS_AVAILABLE];
}
