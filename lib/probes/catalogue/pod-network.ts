import { podSetOf, TARGET_HTTP_PORT } from "../clients.ts";
import { reachable, throughPodNetwork } from "../expectations.ts";
import { check, defineProbe, fromClient, httpGet } from "./probe.ts";

export const podToPodSameNode = defineProbe({
  id: "pod-to-pod-same-node",
  layer: "pod",
  title: "Pod to pod on the same node, by IP",
  teaches:
    "Two pods on one node talk through the node's own bridge or routes: the CNI wires each pod's interface into the node, no overlay involved.",
  plan(_pl, { first, peer }) {
    const target = podSetOf(peer);
    return [
      check(
        this,
        [],
        fromClient(first),
        httpGet({ address: { podIp: target }, port: TARGET_HTTP_PORT }, "/hostname"),
        reachable(
          `${peer.name} and ${first.name} both run on ${first.node}: the packet never leaves the node`,
          {
            backendIn: target,
          },
        ),
        `${first.name} → ${peer.name} (same node ${first.node})`,
      ),
    ];
  },
});

export const podToPodCrossNode = defineProbe({
  id: "pod-to-pod-cross-node",
  layer: "pod",
  title: "Pod to pod across nodes, by IP",
  teaches:
    "A pod reaches a pod on another node by its IP with no NAT: the CNI carries the packet between nodes (routes, VXLAN or eBPF), which is the Kubernetes network model's promise.",
  plan(pl, { first, nodeClients }) {
    const others = nodeClients.slice(1);
    if (!others.length) return { skip: "the lab has a single node: there is no cross-node path" };
    return others.map((other) => {
      const target = podSetOf(other);
      return check(
        this,
        [other.name],
        fromClient(first),
        httpGet({ address: { podIp: target }, port: TARGET_HTTP_PORT }, "/hostname"),
        throughPodNetwork(pl.lab, `${other.name} runs on ${other.node}, ${first.name} on ${first.node}`, {
          backendIn: target,
        }),
        `${first.name} → ${other.name} (${first.node} → ${other.node})`,
      );
    });
  },
});

/** kubelet listens on every node; its port answers TCP from pods. */
const KUBELET_PORT = 10250;

export const podToNode = defineProbe({
  id: "pod-to-node",
  layer: "node",
  title: "Pod to every node's IP",
  teaches:
    "Nodes are reachable from pods on the node network (the Docker network `kind`): the kubelet port answers on each node's InternalIP.",
  plan(pl, { first }) {
    return pl.nodes.map((node) =>
      check(
        this,
        [node.name.slice(pl.lab.clusterName.length + 1)],
        fromClient(first),
        {
          kind: "tcp",
          to: {
            address: { nodeIp: node.name === first.node ? "same" : "other", node: node.name },
            port: KUBELET_PORT,
          },
        },
        { outcome: "reachable", reason: `the kubelet listens on ${node.name}:${KUBELET_PORT}` },
        `${first.name} → ${node.name}:${KUBELET_PORT} (kubelet)`,
      ),
    );
  },
});
