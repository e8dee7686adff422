import type { ClusterStep, LabView } from "../component.ts";

/** kubeadm puts this label on control-plane nodes; load balancers then skip those nodes. */
export const EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

/**
 * In a lab without workers every node is a control plane, so with kubeadm's label in place a
 * load balancer has no node to send traffic to (cloud-provider-kind builds no backends, MetalLB's
 * speaker does not announce). kind removes the label itself when the cluster has a single node
 * (pkg/cluster/internal/create/actions/kubeadminit/init.go@v0.32.0), not when it has several
 * control planes and no worker. No manifest can remove a label, and skipping kubeadm's phase
 * that sets it would also drop the control-plane role kind relies on: so for those clusters it
 * is a post-create step.
 */
export function allowLoadBalancingOnControlPlanes(lab: LabView): ClusterStep[] {
  if (lab.spec.nodes.workers > 0 || lab.spec.nodes.controlPlanes === 1) return [];
  return [
    {
      id: "remove-exclude-from-external-load-balancers",
      description:
        "a lab without workers serves LoadBalancer traffic from its control planes: remove kubeadm's exclusion label (kind does so only for a single node)",
      // The trailing '-' removes the label; --all covers every control plane.
      kubectl: ["label", "nodes", "--all", `${EXCLUDE_FROM_LB_LABEL}-`],
    },
  ];
}
