import { NODES_READY } from "../cluster-gates.ts";
import { defineComponent } from "../component.ts";
import { NF_TABLES_NEED } from "../host-needs.ts";
import { nftablesTable, podRoutes } from "./node-inspections.ts";
import { nodePodCidrs, podRouteBlackholed } from "./pod-route-fault.ts";

/** kind's own CNI: simple routed pod network; enforces NetworkPolicy since kind v0.24. */
export const kindnet = defineComponent({
  kind: "cni",
  name: "kindnet",
  title: "kindnet",
  summary: "kind's default CNI: a route per node's pod CIDR, no overlay, NetworkPolicy via nftables.",
  capabilities: () => ({
    networkPolicy: { value: true, reason: "kindnet enforces NetworkPolicy (since kind v0.24)" },
    // kind v0.32.0 images/kindnetd pins sigs.k8s.io/kube-network-policies f67f0fb35e2b, whose
    // nfqueue handler (pkg/dataplane/controller.go) gives a denied packet the verdict NfDrop.
    policyDenial: {
      value: "drop",
      reason: "its kube-network-policies engine drops the first packet of a connection a policy denies",
    },
    podEncapsulation: {
      value: "routed",
      reason: "kindnet adds a route to each node's pod CIDR via that node's IP",
    },
  }),
  // kube-network-policies, kindnet's policy engine, works through nftables (nfqueue).
  hostNeeds: () => [NF_TABLES_NEED],
  gates: () => [
    {
      stage: "cni",
      kind: "daemonset-rolled-out",
      namespace: "kube-system",
      name: "kindnet",
      timeoutSeconds: 180,
      description: "kindnet runs on every node",
    },
    NODES_READY,
  ],
  inspections: () => [
    podRoutes({
      id: "kindnet-routes",
      title: "Routes to the other nodes' pod CIDRs",
      explains:
        "kindnet writes one plain route per other node (its pod CIDR via its node IP): no tunnel device.",
    }),
    nftablesTable({
      id: "kindnet-netpol",
      title: "kindnet's NetworkPolicy table",
      table: "kindnet",
      explains: "kindnet enforces NetworkPolicy with its own nftables table.",
    }),
  ],
  faults: () => ({
    faults: [
      podRouteBlackholed({
        cni: "kindnet",
        from: 0,
        to: 1,
        ranges: nodePodCidrs(1),
        rangesAre: "its pod CIDR from the node object",
        routeLooksLike: "the pod CIDR via the other node's IP on eth0",
        // kind images/kindnetd: routes to each node's spec.podCIDRs via its InternalIP, resynced.
        source: "kind v0.32.0 images/kindnetd (routes to every other node's podCIDRs, re-added on each sync)",
      }),
    ],
  }),
});
