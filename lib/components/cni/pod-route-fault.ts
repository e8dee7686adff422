import type { Fault, FaultLookup, NodeRef } from "../fault.ts";
import { onNode } from "../fault.ts";

/** labs' own rule preference: after the kernel's `local` rule (0), before `main` (32766). */
export const FAULT_RULE_PREFERENCE = 5215;

/**
 * The route from one node to another node's pods taken away. Deleting the route would not hold:
 * the CNI writes it again on its next sync (kindnet within seconds, Felix likewise). An `ip rule`
 * that blackholes those destinations sits before the main table, and no CNI of the catalogue
 * manages rules of that preference, so it holds until `labs fix` deletes it.
 */
export function podRouteBlackholed(opts: {
  cni: string;
  from: NodeRef;
  to: NodeRef;
  /** How the other node's pod ranges are read from the cluster (a space-separated list). */
  ranges: FaultLookup["run"];
  rangesAre: string;
  routeLooksLike: string;
  source: string;
}): Fault {
  const pref = String(FAULT_RULE_PREFERENCE);
  return {
    id: "pod-route-blackholed",
    layer: "pod",
    title: "a pod route taken away on one node",
    does: `blackholes, on \${NODE_${opts.from}}, the traffic to the pods of \${NODE_${opts.to}} (${opts.rangesAre}) with an ip rule that comes before ${opts.cni}'s route: pod traffic between the two nodes is lost both ways, replies included`,
    undo: `deletes labs' ip rules (preference ${pref}); ${opts.cni}'s own route was never touched`,
    effect: { kind: "pod-network-cut", between: [opts.from, opts.to] },
    observe: `Pod-to-pod between these two nodes fails; every other pair of nodes still works, and so do node IPs. \`ip route\` on the node still shows ${opts.cni}'s route (${opts.routeLooksLike}): \`ip rule\` shows what overrides it.`,
    look: [
      {
        run: { node: opts.from, command: ["ip", "rule", "show"] },
        shows: `a blackhole rule at preference ${pref} for each pod range of the other node`,
      },
      {
        run: { node: opts.from, command: ["ip", "route", "show"] },
        shows: `${opts.cni}'s route, still there, never used`,
      },
    ],
    lookups: [{ name: "RANGES", run: opts.ranges, describes: `the pod ranges of \${NODE_${opts.to}}` }],
    apply: [
      onNode(opts.from, "blackhole the other node's pod ranges", [
        "sh",
        "-c",
        `for r in \${RANGES}; do ip rule add to "$r" blackhole pref ${pref}; done`,
      ]),
    ],
    revert: [
      onNode(opts.from, "delete labs' blackhole rules", [
        "sh",
        "-c",
        `while ip rule del pref ${pref} 2>/dev/null; do :; done`,
      ]),
    ],
    source: opts.source,
  };
}

/** The pod CIDRs the node controller gave a node (kindnet, Flannel and Cilium read the same field). */
export const nodePodCidrs = (node: NodeRef): FaultLookup["run"] => ({
  kubectl: ["get", "node", `\${NODE_${node}}`, "--output", "jsonpath={.spec.podCIDRs[*]}"],
});
