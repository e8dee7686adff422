import { ApiObject } from "cdk8s";
import { z } from "zod";
import { overlaps, parseCidr } from "../../model/cidr.ts";
import { LabError } from "../../model/errors.ts";
import { error, type Finding, warning } from "../../model/findings.ts";
import { pin, pinnedVersion } from "../../upstream/pins.ts";
import { nodesReadyOnce } from "../cluster-gates.ts";
import { defineComponent, type Inspection, type LabView } from "../component.ts";
import type { FaultOffer } from "../fault.ts";
import { BPF_NEED, NF_TABLES_NEED } from "../host-needs.ts";
import { includeUpstream, parseManifest } from "../upstream-manifest.ts";
import { API_SERVER_ADDRESS, API_SERVER_ADDRESS_VALUE, apiServerEndpoint } from "./api-server-endpoint.ts";
import {
  addOperatorResources,
  CALICO_DATAPLANES,
  type CalicoDataplane,
  installationSpec,
} from "./calico-installation.ts";
import { ipv4Only } from "./ipv4-only.ts";
import { nftablesTable, podRoutes, tunnelDevice } from "./node-inspections.ts";
import { podRouteBlackholed } from "./pod-route-fault.ts";
import { tunnelPortDropped } from "./tunnel-fault.ts";

export const CALICO_VERSION = pinnedVersion("calico");
export const CALICO_CRDS = pin("calico/operator-crds.yaml");
export const TIGERA_OPERATOR = pin("calico/tigera-operator.yaml");
export const OPERATOR_NAMESPACE = "tigera-operator";
/** The operator reads this ConfigMap (envFrom, optional) for the API server address. */
export const SERVICES_ENDPOINT_CONFIG_MAP = "kubernetes-services-endpoint";

const options = z.strictObject({
  /** How Felix programs each node: iptables rules, eBPF programs (replaces kube-proxy), or nftables. */
  dataplane: z
    .enum(CALICO_DATAPLANES, { error: `dataplane must be one of ${CALICO_DATAPLANES.join(", ")}` })
    .default("Iptables"),
});
export type CalicoOptions = z.output<typeof options>;

function dataplaneRules(dataplane: CalicoDataplane, lab: LabView): Finding[] {
  const mode = lab.spec.kubeProxyMode;
  if (dataplane === "Nftables" && mode !== "nftables") {
    return [
      error(
        "kubeProxyMode",
        `Calico's Nftables dataplane works with kube-proxy in nftables mode only (kubeProxyMode is "${mode}")`,
        'set kubeProxyMode "nftables", or use dataplane "Iptables"',
      ),
    ];
  }
  if (dataplane === "Iptables" && mode === "nftables") {
    return [
      warning(
        "cni.options.dataplane",
        "Calico's Iptables dataplane next to kube-proxy in nftables mode splits the node's rules between two backends",
        'use dataplane "Nftables" with kubeProxyMode "nftables"',
      ),
    ];
  }
  return [];
}

/** Calico's own default pool (custom-resources.yaml@v3.32.1); home and office LANs often sit in it. */
export const CALICO_DEFAULT_POOL = "192.168.0.0/16";

/**
 * A pod network over 192.168.0.0/16 hides every LAN in that range from the pods: their packets
 * to such an address stay in the pod network. Only a warning, since it matters only when this
 * machine's LAN is in the range (`labs doctor` compares the host's routes).
 */
function poolRules(lab: LabView): Finding[] {
  const pool = parseCidr(CALICO_DEFAULT_POOL)!;
  const clash = lab.spec.podSubnet
    .split(",")
    .map((c) => parseCidr(c.trim()))
    .some((c) => c && c.family === pool.family && overlaps(c, pool));
  if (!clash) return [];
  return [
    warning(
      "podSubnet",
      `podSubnet ${lab.spec.podSubnet} overlaps ${CALICO_DEFAULT_POOL} (Calico's default pool), where many home and office LANs are: if this machine's LAN is there, pods cannot reach hosts on it (\`labs doctor ${lab.spec.name}\` checks this host's routes)`,
      'set podSubnet to a range clear of your LAN, e.g. "10.244.0.0/16" (kind\'s default)',
    ),
  ];
}

function dataplaneInspection(dataplane: CalicoDataplane): Inspection {
  if (dataplane === "BPF") {
    return {
      id: "calico-bpf-nat-devices",
      title: "Calico eBPF's NAT devices",
      on: "every-node",
      command: ["ip", "-brief", "link", "show", "bpfin.cali"],
      explains:
        "In eBPF mode Felix adds the bpfin.cali/bpfout.cali pair to carry host traffic to Services it load-balances itself; kube-proxy is absent.",
      expectContains: "bpfin.cali",
    };
  }
  if (dataplane === "Nftables") {
    // Not "no iptables at all": kind's node entrypoint keeps Docker's DNS DNAT/SNAT rules in
    // iptables (DOCKER_OUTPUT, DOCKER_POSTROUTING; enable_network_magic in
    // images/base/files/usr/local/bin/entrypoint@v0.32.0), whatever the dataplane.
    return nftablesTable({
      id: "calico-nftables",
      title: "Calico's nftables table",
      table: "calico",
      explains:
        "In nftables mode Felix writes policy and NAT into its own `calico` table, next to kube-proxy's.",
    });
  }
  return {
    id: "calico-iptables-chains",
    title: "Calico's iptables chains",
    on: "control-plane",
    command: ["sh", "-c", "iptables-save | grep -c '^:cali-' || true"],
    explains:
      "In iptables mode Felix programs NetworkPolicy and NAT as cali-* chains; the count is how many.",
  };
}

/**
 * Calico's pod-network faults. In eBPF mode Felix's programs forward pod traffic themselves (and
 * encapsulate some of it before nftables sees it), so neither a routing rule nor a nftables drop
 * has an effect labs can state: both are left out there, with that reason.
 */
function calicoFaults(dataplane: CalicoDataplane): FaultOffer[] {
  if (dataplane === "BPF") {
    const why =
      "Calico's eBPF programs forward pod traffic with their own route maps and encapsulate some of it at tc, before the kernel's routing rules and nftables: labs cannot say what this fault would break";
    return [
      {
        id: "pod-route-blackholed",
        layer: "pod",
        title: "a pod route taken away on one node",
        unavailable: why,
      },
      {
        id: "vxlan-port-dropped",
        layer: "pod",
        title: "Calico's VXLAN port (UDP 4789) dropped on one node",
        unavailable: why,
      },
    ];
  }
  return [
    podRouteBlackholed({
      cni: "Calico",
      from: 0,
      to: 1,
      // Calico's IPAM hands out /26 blocks, one BlockAffinity per block and node (not node.spec.podCIDR).
      ranges: {
        kubectl: [
          "get",
          "blockaffinities.crd.projectcalico.org",
          "--output",
          'jsonpath={range .items[?(@.spec.node=="${NODE_1}")]}{.spec.cidr}{" "}{end}',
        ],
      },
      rangesAre: "the IPAM blocks affine to it",
      routeLooksLike: "each of its /26 blocks via vxlan.calico",
      source: "projectcalico/calico libcalico-go IPAM (block affinities) and Felix's route table sync",
    }),
    tunnelPortDropped({
      id: "vxlan-port-dropped",
      cni: "Calico",
      tunnel: "VXLAN",
      device: "vxlan.calico",
      port: 4789,
      node: 1,
      source: "projectcalico/calico felixconfig.go (VXLANPort defaults to 4789)",
    }),
  ];
}

/** Calico through the Tigera operator: VXLAN pod network, NetworkPolicy, three dataplanes. */
export const calico = defineComponent({
  kind: "cni",
  name: "calico",
  title: "Calico",
  version: CALICO_VERSION,
  summary:
    "installed by the Tigera operator: a VXLAN pod network from IP pools, NetworkPolicy enforced by Felix with iptables, nftables or eBPF.",
  options,
  capabilities: (o) => ({
    networkPolicy: {
      value: true,
      reason: `Calico's Felix enforces NetworkPolicy on every node (${o.dataplane} dataplane)`,
    },
    // FelixConfiguration iptablesFilterDenyAction / nftablesFilterDenyAction default to Drop
    // (projectcalico/calico api/pkg/apis/projectcalico/v3/felixconfig.go); labs writes no
    // FelixConfiguration. The eBPF dataplane drops what its policy program denies too
    // (felix/bpf-gpl/reasons.h: CALI_REASON_DROPPED_BY_POLICY).
    policyDenial: {
      value: "drop",
      reason: "Felix drops packets a policy denies (its default deny action; labs leaves it as it is)",
    },
    podEncapsulation: {
      value: "vxlan",
      reason: "the IP pool uses VXLAN: pod packets to other nodes leave through vxlan.calico (UDP 4789)",
    },
    ...(o.dataplane === "BPF"
      ? {
          kubeProxyReplacement: {
            value: true,
            reason: "Calico's eBPF dataplane load-balances Services itself, so kube-proxy is not needed",
          },
          serviceProxy: {
            value: "ebpf",
            reason: "Calico's eBPF programs on each interface translate Service addresses",
          },
          // docs.tigera.io/calico/latest/operations/ebpf/enabling-ebpf: the eBPF dataplane
          // "preserves external client source IP addresses all the way to the pod".
          externalSourceNat: {
            value: "never",
            reason: "Calico's eBPF dataplane forwards external traffic to the backend's node without SNAT",
          },
        }
      : {}),
  }),
  rules: (o, lab) => [...ipv4Only(lab, "Calico"), ...dataplaneRules(o.dataplane, lab), ...poolRules(lab)],
  versions: () => ({ calico: CALICO_VERSION }),
  artifacts: () => [CALICO_CRDS, TIGERA_OPERATOR],
  kindConfig: () => ({ disableDefaultCNI: true }),
  hostNeeds: (o) => (o.dataplane === "BPF" ? [BPF_NEED] : o.dataplane === "Nftables" ? [NF_TABLES_NEED] : []),
  clusterVariables: (o) => (o.dataplane === "BPF" ? [API_SERVER_ADDRESS] : []),
  gates: () => [
    {
      stage: "crds",
      kind: "crds-established",
      names: [
        "installations.operator.tigera.io",
        "apiservers.operator.tigera.io",
        "tigerastatuses.operator.tigera.io",
      ],
      timeoutSeconds: 60,
      description: "the operator's CRDs are Established before the Installation is applied",
    },
    {
      stage: "cni",
      kind: "deployment-available",
      namespace: OPERATOR_NAMESPACE,
      name: "tigera-operator",
      timeoutSeconds: 180,
      description: "the Tigera operator runs",
    },
    {
      stage: "cni",
      kind: "condition",
      resource: "tigerastatus/calico",
      condition: "Available",
      timeoutSeconds: 600,
      description:
        "the operator reports Calico Available: calico-node on every node, typha and kube-controllers up",
    },
    nodesReadyOnce("every node is Ready once Calico's CNI config is written"),
  ],
  inspections: (o) => [
    tunnelDevice({
      id: "calico-vxlan-device",
      title: "Calico's VXLAN device",
      device: "vxlan.calico",
      linkType: "vxlan",
      explains: "vxlan.calico wraps pod packets to other nodes in UDP 4789.",
    }),
    podRoutes({
      id: "calico-routes",
      title: "Routes to the other nodes' pod blocks",
      explains:
        "Calico hands out /26 blocks of the pool; each other node's block is routed via vxlan.calico, each local pod via its own cali* interface.",
    }),
    dataplaneInspection(o.dataplane),
  ],
  build: (ctx, o) => {
    const { lab } = ctx;
    includeUpstream(
      ctx.stage("crds"),
      "calico-crds",
      parseManifest(ctx.readArtifact(CALICO_CRDS).toString()),
    );
    const operator = parseManifest(ctx.readArtifact(TIGERA_OPERATOR).toString());
    const isNamespace = (x: { kind: string }) => x.kind === "Namespace";
    if (!operator.some((x) => isNamespace(x) && x.metadata?.name === OPERATOR_NAMESPACE)) {
      throw new LabError(
        `${TIGERA_OPERATOR.id} does not create the ${OPERATOR_NAMESPACE} namespace`,
        "the pinned manifest changed shape; check lib/upstream/pins.ts",
      );
    }
    const cni = ctx.stage("cni");
    includeUpstream(cni, "tigera-operator-namespace", operator.filter(isNamespace));
    if (o.dataplane === "BPF") {
      // Calico's manual eBPF path ("configure Calico to talk directly to the API server"): the
      // operator reads this ConfigMap through envFrom and hands it to calico-node. Both run on the
      // host network with dnsPolicy ClusterFirstWithHostNet, so the host is an IP that `labs up`
      // fills in (a node name would need CoreDNS, which needs this CNI first). Applied before the
      // operator's Deployment, so its first pod already reads it. The automatic path
      // (bpfNetworkBootstrap) needs kube-proxy running at install, which this lab does not have.
      new ApiObject(cni, "calico-services-endpoint", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: SERVICES_ENDPOINT_CONFIG_MAP, namespace: OPERATOR_NAMESPACE },
        data: {
          KUBERNETES_SERVICE_HOST: API_SERVER_ADDRESS_VALUE,
          KUBERNETES_SERVICE_PORT: String(apiServerEndpoint(lab).port),
        },
      });
    }
    includeUpstream(
      cni,
      "tigera-operator",
      operator.filter((x) => !isNamespace(x)),
    );
    addOperatorResources(cni, installationSpec(lab.spec.podSubnet, o.dataplane));
  },
  faults: (o) => ({ faults: calicoFaults(o.dataplane) }),
});
