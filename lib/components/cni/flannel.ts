import { z } from "zod";
import { LabError } from "../../model/errors.ts";
import { warning } from "../../model/findings.ts";
import { pin, pinnedVersion } from "../../upstream/pins.ts";
import { nodesReadyOnce } from "../cluster-gates.ts";
import {
  type CapabilityClaim,
  defineComponent,
  type Inspection,
  type PodEncapsulation,
} from "../component.ts";
import { includeUpstream, parseManifest } from "../upstream-manifest.ts";
import { cniPluginMounts, cniPluginsArtifacts } from "./cni-plugins.ts";
import {
  FLANNEL_BACKENDS,
  FLANNEL_CONFIG_MAP,
  type FlannelBackend,
  flannelPatch,
} from "./flannel-net-conf.ts";
import { ipv4Only } from "./ipv4-only.ts";
import { nftablesTable, podRoutes, tunnelDevice } from "./node-inspections.ts";
import { nodePodCidrs, podRouteBlackholed } from "./pod-route-fault.ts";
import { tunnelPortDropped } from "./tunnel-fault.ts";

export const FLANNEL_VERSION = pinnedVersion("flannel");
export const FLANNEL_MANIFEST = pin("flannel/kube-flannel.yml");
const NAMESPACE = "kube-flannel";
const DAEMONSET = "kube-flannel-ds";

const options = z.strictObject({
  /** How pod traffic crosses nodes. */
  backend: z
    .enum(FLANNEL_BACKENDS, { error: `backend must be one of ${FLANNEL_BACKENDS.join(", ")}` })
    .default("vxlan"),
  /**
   * Flannel's own masquerade rules in nftables instead of iptables. Unset: follows kube-proxy,
   * so an nftables lab has no iptables rules from either.
   */
  nftables: z.boolean().optional(),
});
export type FlannelOptions = z.output<typeof options>;

const ENCAPSULATION: Record<FlannelBackend, CapabilityClaim<PodEncapsulation>> = {
  vxlan: {
    value: "vxlan",
    reason: "Flannel's vxlan backend wraps pod packets in UDP (port 8472) through the flannel.1 device",
  },
  "host-gw": {
    value: "routed",
    reason:
      "Flannel's host-gw backend routes each node's pod subnet via that node's IP: kind nodes share one L2 network",
  },
  wireguard: {
    value: "wireguard",
    reason: "Flannel's wireguard backend encrypts pod traffic between nodes through the flannel-wg device",
  },
};

/** Flannel's pod-network fault for its backend: the tunnel's port, or the route host-gw writes. */
function backendFault(backend: FlannelBackend) {
  if (backend === "host-gw")
    return podRouteBlackholed({
      cni: "Flannel",
      from: 0,
      to: 1,
      ranges: nodePodCidrs(1),
      rangesAre: "its subnet lease, the node's pod CIDR",
      routeLooksLike: "the other node's subnet via its IP on eth0",
      source: "flannel pkg/backend/hostgw (a route per lease via the node's public IP)",
    });
  // flannel Documentation/backends.md: vxlan Port defaults to the kernel's 8472; wireguard ListenPort 51820.
  return backend === "vxlan"
    ? tunnelPortDropped({
        id: "vxlan-port-dropped",
        cni: "Flannel",
        tunnel: "VXLAN",
        device: "flannel.1",
        port: 8472,
        node: 1,
        source: "flannel Documentation/backends.md (vxlan: Port defaults to the kernel's 8472)",
      })
    : tunnelPortDropped({
        id: "wireguard-port-dropped",
        cni: "Flannel",
        tunnel: "WireGuard",
        device: "flannel-wg",
        port: 51820,
        node: 1,
        source: "flannel Documentation/backends.md (wireguard: ListenPort defaults to 51820)",
      });
}

const useNFTables = (o: FlannelOptions, kubeProxyMode: string) => o.nftables ?? kubeProxyMode === "nftables";

function backendInspection(backend: FlannelBackend): Inspection {
  if (backend === "vxlan") {
    return tunnelDevice({
      id: "flannel-vxlan-device",
      title: "Flannel's VXLAN device",
      device: "flannel.1",
      linkType: "vxlan",
      explains:
        "flannel.1 is a VXLAN device (VNI 1, UDP 8472): pod packets to other nodes leave through it, wrapped.",
    });
  }
  if (backend === "wireguard") {
    return tunnelDevice({
      id: "flannel-wireguard-device",
      title: "Flannel's WireGuard device",
      device: "flannel-wg",
      linkType: "wireguard",
      explains: "flannel-wg is a WireGuard device: pod traffic between nodes is encrypted.",
    });
  }
  return {
    id: "flannel-host-gw-no-tunnel",
    title: "No tunnel device with host-gw",
    on: "control-plane",
    command: ["sh", "-c", "ip -brief link show | grep -c flannel || true"],
    explains: "host-gw creates no tunnel device: the routes alone carry pod traffic to the other nodes.",
    expectContains: "0",
  };
}

/** Flannel: a simple overlay (or routed) pod network; no NetworkPolicy. */
export const flannel = defineComponent({
  kind: "cni",
  name: "flannel",
  title: "Flannel",
  version: FLANNEL_VERSION,
  summary:
    "gives each node a /24 of the pod CIDR and carries traffic between nodes (VXLAN, host-gw routes or WireGuard); enforces no NetworkPolicy.",
  options,
  capabilities: (o) => ({
    networkPolicy: {
      value: false,
      reason:
        "Flannel only connects pods: NetworkPolicy objects are accepted by the API server but nothing enforces them",
    },
    podEncapsulation: ENCAPSULATION[o.backend],
  }),
  rules: (o, lab) => [
    ...ipv4Only(lab, "Flannel"),
    ...(o.backend === "wireguard"
      ? [
          warning(
            "cni.options.backend",
            "the wireguard backend needs the wireguard kernel module on the Docker host (kind nodes share its kernel)",
            "run `modprobe wireguard` on the host, or use backend vxlan",
          ),
        ]
      : []),
  ],
  artifacts: () => [FLANNEL_MANIFEST, ...cniPluginsArtifacts()],
  kindConfig: () => ({ disableDefaultCNI: true, ...cniPluginMounts(["bridge"]) }),
  gates: () => [
    {
      stage: "cni",
      kind: "daemonset-rolled-out",
      namespace: NAMESPACE,
      name: DAEMONSET,
      timeoutSeconds: 180,
      description: "flanneld runs on every node",
    },
    nodesReadyOnce("every node is Ready once Flannel has written its CNI config"),
  ],
  inspections: (o, lab) => [
    {
      id: "flannel-subnet-env",
      title: "Flannel's lease for this node",
      on: "every-node",
      command: ["cat", "/run/flannel/subnet.env"],
      explains:
        "FLANNEL_NETWORK is the lab's pod CIDR; FLANNEL_SUBNET the slice this node hands to its pods; FLANNEL_MTU leaves room for the encapsulation header.",
      expectContains: `FLANNEL_NETWORK=${lab.spec.podSubnet}`,
    },
    backendInspection(o.backend),
    podRoutes({
      id: "flannel-routes",
      title: "Routes to the other nodes' pod subnets",
      explains:
        o.backend === "host-gw"
          ? "One route per other node: its pod subnet via its node IP on eth0."
          : `One route per other node: its pod subnet via ${o.backend === "vxlan" ? "flannel.1" : "flannel-wg"}.`,
    }),
    ...(useNFTables(o, lab.spec.kubeProxyMode)
      ? [
          nftablesTable({
            id: "flannel-nftables",
            title: "Flannel's nftables tables",
            table: "flannel",
            explains: "With EnableNFTables Flannel writes its masquerade rules to its own nftables tables.",
          }),
        ]
      : []),
  ],
  build: (ctx, o) => {
    const objects = parseManifest(ctx.readArtifact(FLANNEL_MANIFEST).toString("utf8"));
    if (!objects.some((x) => x.kind === "ConfigMap" && x.metadata?.name === FLANNEL_CONFIG_MAP)) {
      throw new LabError(
        `${FLANNEL_MANIFEST.id} has no ConfigMap ${FLANNEL_CONFIG_MAP}: cannot set the pod network`,
        "the pinned manifest changed shape; check lib/upstream/pins.ts",
      );
    }
    includeUpstream(
      ctx.stage("cni"),
      "flannel",
      objects,
      flannelPatch({
        network: ctx.lab.spec.podSubnet,
        backend: o.backend,
        enableNFTables: useNFTables(o, ctx.lab.spec.kubeProxyMode),
      }),
    );
  },
  faults: (o) => ({ faults: [backendFault(o.backend)] }),
});
