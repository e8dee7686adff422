import { z } from "zod";
import { error, type Finding } from "../../model/findings.ts";
import { type Pin, pinsFor } from "../../upstream/pins.ts";
import { nodesReadyOnce } from "../cluster-gates.ts";
import {
  type CapabilityClaim,
  type ChartRender,
  defineComponent,
  type Inspection,
  type LabView,
  type ServiceProxy,
} from "../component.ts";
import { type ComponentFaults, serviceUnprogrammed } from "../fault.ts";
import { BPF_NEED } from "../host-needs.ts";
import { includeUpstream, parseManifest } from "../upstream-manifest.ts";
import { apiServerEndpoint } from "./api-server-endpoint.ts";
import { ciliumValues } from "./cilium-values.ts";
import { ipv4Only } from "./ipv4-only.ts";
import { podRoutes, tunnelDevice } from "./node-inspections.ts";
import { tunnelPortDropped } from "./tunnel-fault.ts";

/** Every pinned Cilium chart, newest first: the first is the default. */
const CHARTS: readonly Pin[] = pinsFor("cilium");
export const CILIUM_VERSIONS = CHARTS.map((p) => p.version) as [string, ...string[]];
export const CILIUM_VERSION = CILIUM_VERSIONS[0];
export const CILIUM_CHART = CHARTS[0]!;

/** The pinned chart of a Cilium version. */
export const ciliumChart = (version: string): Pin =>
  CHARTS.find((p) => p.version === version) ?? CILIUM_CHART;
export const CILIUM_NAMESPACE = "kube-system";
/** The name a lab gives its gateway to use Cilium's Gateway API implementation. */
export const CILIUM_GATEWAY = "cilium";

const options = z.strictObject({
  /** Cilium load-balances Services in eBPF; the lab must then set kubeProxyMode "none". */
  kubeProxyReplacement: z.boolean().default(false),
  /**
   * Which pinned Cilium release. 1.19.6 is kept for comparison; the compatibility table refuses
   * it next to Gateway API v1.6.1 (lib/components/compatibility.ts).
   */
  version: z
    .enum(CILIUM_VERSIONS, { error: `version must be one of ${CILIUM_VERSIONS.join(", ")}` })
    .default(CILIUM_VERSION),
});
export type CiliumOptions = z.output<typeof options>;

type LabContext = Pick<LabView, "clusterName" | "spec" | "selected">;

/** The chart render for a lab: the same lab gives the same values, hence the same bytes. */
export function ciliumRender(
  o: Pick<CiliumOptions, "kubeProxyReplacement"> & { version?: string },
  lab: LabContext,
): ChartRender {
  return {
    id: "cilium",
    chart: ciliumChart(o.version ?? CILIUM_VERSION),
    release: "cilium",
    namespace: CILIUM_NAMESPACE,
    values: ciliumValues({
      kubeProxyReplacement: o.kubeProxyReplacement,
      apiServer: apiServerEndpoint(lab),
      gatewayApi: lab.selected.gateway === CILIUM_GATEWAY,
    }),
  };
}

const KUBE_PROXY_TABLES: Record<string, { value: ServiceProxy; where: string }> = {
  iptables: { value: "kube-proxy iptables", where: "iptables chains" },
  ipvs: { value: "kube-proxy ipvs", where: "IPVS virtual servers" },
  nftables: { value: "kube-proxy nftables", where: "nftables maps" },
};

/**
 * Who programs Services when Cilium runs next to kube-proxy. Not kube-proxy alone: Cilium keeps
 * its per-packet load balancer in bpf_lxc when kubeProxyReplacement is false (cilium/cilium#16197,
 * open: "we don't completely disable Cilium's LB ... the bpf_lxc LB ... is responsible for the
 * Pod2ClusterIP loadbalancing"). bpf/bpf_lxc.c (main, as in 1.20) defines ENABLE_PER_PACKET_LB
 * whenever socket LB is not fully on, and the chart renders `bpf-lb-sock: "false"` for these
 * labs, so a pod's packet to a ClusterIP is translated on the pod's own interface before
 * netfilter sees it. kube-proxy still programs every Service and serves what does not leave a
 * pod's interface: node ports, LoadBalancer traffic and the nodes' own (host-network) traffic.
 */
function besideKubeProxy(mode: string): { serviceProxy?: CapabilityClaim<ServiceProxy> } {
  const proxy = KUBE_PROXY_TABLES[mode];
  if (!proxy) return {};
  return {
    serviceProxy: {
      value: proxy.value,
      reason: `Cilium's eBPF program on each pod's interface translates the ClusterIPs of pod traffic, even next to kube-proxy (cilium/cilium#16197); kube-proxy's ${proxy.where} serve node ports, LoadBalancers and the nodes' own traffic`,
    },
  };
}

function gatewayRule(o: CiliumOptions, lab: LabView): Finding[] {
  if (lab.selected.gateway !== CILIUM_GATEWAY || o.kubeProxyReplacement) return [];
  return [
    error(
      "cni.options.kubeProxyReplacement",
      "Cilium's Gateway API implementation needs Cilium's kube-proxy replacement",
      'set cni options { kubeProxyReplacement: true } and kubeProxyMode "none"',
    ),
  ];
}

function replacementInspections(o: CiliumOptions): Inspection[] {
  if (!o.kubeProxyReplacement) return [];
  return [
    {
      id: "cilium-service-maps",
      title: "Cilium's Service maps in the BPF filesystem",
      on: "control-plane",
      command: ["sh", "-c", "ls /sys/fs/bpf/tc/globals | grep lb4_services || true"],
      explains:
        "With kube-proxy replacement every Service lives in Cilium's eBPF load-balancer maps (cilium_lb4_services_v2), pinned in the node's BPF filesystem, instead of KUBE-SVC chains.",
    },
  ];
}

const agent = (...args: string[]) => ({
  kubectl: [
    "--namespace",
    CILIUM_NAMESPACE,
    "exec",
    "daemonset/cilium",
    "--container",
    "cilium-agent",
    "--",
    ...args,
  ],
});

function ciliumFaults(o: CiliumOptions): ComponentFaults {
  const tunnel = tunnelPortDropped({
    id: "vxlan-port-dropped",
    cni: "Cilium",
    tunnel: "VXLAN",
    device: "cilium_vxlan",
    port: 8472,
    node: 1,
    source: "cilium Documentation/network/concepts/routing.rst (VXLAN on UDP 8472 by default)",
  });
  if (!o.kubeProxyReplacement) {
    return {
      faults: [tunnel],
      // cilium/cilium#16197 (open): with kubeProxyReplacement=false Cilium keeps the per-packet load
      // balancer in bpf_lxc for pod-to-ClusterIP traffic (bpf/bpf_lxc.c ENABLE_PER_PACKET_LB without
      // full socket LB); kube-proxy still handles node ports and host traffic.
      carries: [
        {
          path: "cluster-ip-from-pods",
          reason:
            "Cilium translates the ClusterIPs of pod traffic in bpf_lxc even next to kube-proxy (cilium/cilium#16197)",
        },
      ],
    };
  }
  return {
    faults: [
      tunnel,
      // Not a deletion from the BPF map itself: since 1.18 the agent's load-balancer reconciler
      // rewrites its maps from its desired state (and refreshes them every 30 minutes, cilium#43559,
      // #44730), so a deleted entry would come back before `labs fix`. Handing the Service to
      // another proxy makes the agent delete its entries itself, and keep them deleted.
      serviceUnprogrammed(
        "Cilium",
        [
          {
            run: agent("cilium-dbg", "service", "list"),
            shows: "no frontend for the Service's ClusterIP any more",
          },
          {
            run: agent("cilium-dbg", "bpf", "lb", "list"),
            shows: "its entries gone from the BPF load-balancer map",
          },
        ],
        "cilium pkg/k8s (K8sServiceProxyName: Services labelled for another proxy are left out)",
      ),
    ],
  };
}

/** Cilium by Helm chart: eBPF dataplane, VXLAN tunnel, optional kube-proxy replacement. */
export const cilium = defineComponent({
  kind: "cni",
  name: "cilium",
  title: "Cilium",
  version: CILIUM_VERSION,
  versionOf: (o) => o.version,
  summary:
    "an eBPF dataplane: VXLAN tunnel between nodes, NetworkPolicy in eBPF, and optionally Services without kube-proxy.",
  options,
  capabilities: (o, lab) => ({
    networkPolicy: {
      value: true,
      reason: "Cilium enforces NetworkPolicy with eBPF programs on each pod's interface",
    },
    // The chart's policyDenyResponse defaults to "none" (values.yaml of 1.19.6 and 1.20.0; "icmp"
    // would answer denied egress with ICMP); labs does not set it, so denied packets are dropped.
    policyDenial: {
      value: "drop",
      reason: "Cilium drops packets a policy denies (policyDenyResponse none, the chart's default)",
    },
    podEncapsulation: {
      value: "vxlan",
      reason: "Cilium runs in tunnel mode: pod packets to other nodes leave through cilium_vxlan (UDP 8472)",
    },
    ...(o.kubeProxyReplacement
      ? {
          kubeProxyReplacement: {
            value: true,
            reason:
              "Cilium's kube-proxy replacement load-balances Services in eBPF at the socket and on each interface",
          },
          serviceProxy: {
            value: "ebpf",
            reason: "Cilium's eBPF maps hold every Service and its backends",
          },
          // Documentation/network/kubernetes/kubeproxy-free.rst: NodePort runs in SNAT mode by
          // default, and SNATs only when the backend it picked is on a remote node.
          externalSourceNat: {
            value: "remote-backend",
            reason:
              "Cilium's NodePort (SNAT mode, the default) SNATs to the node only when the chosen backend runs on another node",
          },
        }
      : besideKubeProxy(lab.spec.kubeProxyMode)),
  }),
  rules: (o, lab) => [...ipv4Only(lab, "Cilium"), ...gatewayRule(o, lab)],
  versions: (o) => ({ cilium: o.version }),
  artifacts: (o) => [ciliumChart(o.version)],
  charts: (o, lab) => [ciliumRender(o, lab)],
  kindConfig: () => ({ disableDefaultCNI: true }),
  hostNeeds: () => [BPF_NEED],
  serviceDataplane: (o) =>
    o.kubeProxyReplacement
      ? {
          size: {
            measure: "bpf-map-entries",
            command: [
              "sh",
              "-c",
              "bpftool map dump pinned /sys/fs/bpf/tc/globals/cilium_lb4_services_v2 2>/dev/null | grep -c key",
            ],
          },
        }
      : {},
  gates: () => [
    {
      stage: "cni",
      kind: "daemonset-rolled-out",
      namespace: CILIUM_NAMESPACE,
      name: "cilium",
      timeoutSeconds: 300,
      description: "the Cilium agent runs on every node",
    },
    {
      stage: "cni",
      kind: "daemonset-rolled-out",
      namespace: CILIUM_NAMESPACE,
      name: "cilium-envoy",
      timeoutSeconds: 300,
      description: "Cilium's Envoy (L7 proxy) runs on every node",
    },
    {
      stage: "cni",
      kind: "deployment-available",
      namespace: CILIUM_NAMESPACE,
      name: "cilium-operator",
      timeoutSeconds: 300,
      description: "the Cilium operator is Available",
    },
    nodesReadyOnce("every node is Ready once Cilium's CNI config is written"),
  ],
  inspections: (o) => [
    tunnelDevice({
      id: "cilium-vxlan-device",
      title: "Cilium's VXLAN device",
      device: "cilium_vxlan",
      linkType: "vxlan",
      explains: "cilium_vxlan is the tunnel endpoint: pod packets to other nodes are wrapped in UDP 8472.",
    }),
    podRoutes({
      id: "cilium-routes",
      title: "Routes to the other nodes' pod CIDRs",
      explains: "Each other node's pod CIDR is routed via cilium_host; eBPF on cilium_vxlan does the rest.",
    }),
    ...replacementInspections(o),
  ],
  build: (ctx, o) => {
    const rendered = ctx.readRenderedChart(ciliumRender(o, ctx.lab));
    includeUpstream(ctx.stage("cni"), "cilium", parseManifest(rendered));
  },
  faults: (o) => ciliumFaults(o),
});
