import { type Fault, type NodeRef, udpPortDropped } from "../fault.ts";

/**
 * A CNI's tunnel cut on one node: its encapsulation port dropped on arrival, in a nftables table
 * of labs' own that no CNI of the catalogue manages, so it holds until `labs fix` deletes it. Pod
 * traffic between that node and every other node is lost both ways (replies are tunnelled too).
 */
export function tunnelPortDropped(opts: {
  id: string;
  cni: string;
  tunnel: string;
  device: string;
  port: number;
  node: NodeRef;
  source: string;
}): Fault {
  const drop = udpPortDropped(opts.node, opts.port);
  return {
    id: opts.id,
    layer: "pod",
    title: `${opts.cni}'s ${opts.tunnel} port (UDP ${opts.port}) dropped on one node`,
    does: `drops every UDP packet to port ${opts.port} arriving at \${NODE_${opts.node}}: ${opts.cni}'s ${opts.tunnel} packets from the other nodes never reach ${opts.device}`,
    undo: "deletes labs' nftables table on that node",
    effect: { kind: "pod-network-isolated", node: opts.node },
    observe: `Pods on that node are cut off from pods on every other node, both ways; pods on the same node, node IPs and node ports of the node itself still answer. ${opts.device} looks healthy: the packets vanish before it, and the drop counter shows them.`,
    look: [
      drop.look,
      {
        run: { node: opts.node, command: ["ip", "-d", "-s", "link", "show", opts.device] },
        shows: `${opts.device} up, its receive counters no longer moving`,
      },
    ],
    apply: drop.apply,
    revert: drop.revert,
    source: opts.source,
  };
}
