/**
 * The Node objects a kind v0.32 cluster registers for a lab's kind.yaml, with the names, labels
 * and taints the scheduler will see there. Facts, from upstream source:
 *
 * - Names: `<cluster>-<role>` then `<cluster>-<role>2`, `…3` per role, in config order
 *   (kind v0.32.0 pkg/cluster/internal/providers/common/namer.go).
 * - Labels the kubelet sets on every node: kubernetes.io/hostname (the node name: the container's
 *   hostname), kubernetes.io/os, kubernetes.io/arch and their beta.kubernetes.io twins
 *   (k8s.io/kubernetes v1.36.1 pkg/kubelet/kubelet_node_status.go initialNode), plus the node's
 *   `labels:` from kind.yaml, which kind passes as the kubelet's node-labels
 *   (kind v0.32.0 pkg/cluster/internal/create/actions/config/config.go, kubeadm/config.go).
 * - kubeadm marks control planes with node-role.kubernetes.io/control-plane and
 *   node.kubernetes.io/exclude-from-external-load-balancers (both "") and the taint
 *   node-role.kubernetes.io/control-plane:NoSchedule (v1.36.1 cmd/kubeadm/app/phases/
 *   markcontrolplane/markcontrolplane.go, constants.go).
 * - A single-node cluster: kind removes that taint and that label again after `kubeadm init`
 *   (kind v0.32.0 pkg/cluster/internal/create/actions/kubeadminit/init.go).
 * - spec.providerID: `kind://docker/<cluster>/<node>` (kind's kubelet provider-id flag).
 * No topology.kubernetes.io labels: kind runs no cloud provider that would set them.
 */
import { parse } from "yaml";

export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
export const EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";
export const CONTROL_PLANE_TAINT = { key: CONTROL_PLANE_LABEL, effect: "NoSchedule" } as const;

interface KindNodeConfig {
  role?: "control-plane" | "worker";
  labels?: Record<string, string | number | boolean>;
}

interface KindConfig {
  name?: string;
  nodes?: KindNodeConfig[];
}

export interface NodeObject {
  apiVersion: "v1";
  kind: "Node";
  metadata: { name: string; labels: Record<string, string> };
  spec: { providerID: string; taints?: { key: string; effect: string }[] };
  status: { addresses: { type: string; address: string }[] } & Record<string, unknown>;
}

/** A node's InternalIP, as its kubelet reports it. */
export const internalIP = (node: NodeObject) =>
  node.status.addresses.find((a) => a.type === "InternalIP")?.address;

export interface KindNodesOptions {
  /** The cluster name when kind.yaml names none. */
  clusterName?: string;
  /** GOARCH of the nodes (the Docker engine's CPU). */
  arch?: "amd64" | "arm64";
  /** The node image's Kubernetes version, reported as the kubelet's. */
  kubeletVersion: string;
}

/**
 * Addresses of the nodes on the `kind` Docker network. Docker assigns the real ones; these are
 * stand-ins in its default subnet, used only as data: nothing here connects to them.
 */
export const nodeAddress = (index: number) => `172.18.0.${index + 2}`;

export function kindNodes(kindYaml: string, opts: KindNodesOptions): NodeObject[] {
  const config = (parse(kindYaml) ?? {}) as KindConfig;
  const cluster = config.name ?? opts.clusterName ?? "kind";
  const nodes = config.nodes?.length ? config.nodes : [{ role: "control-plane" as const }];
  const arch = opts.arch ?? "amd64";
  const seen = new Map<string, number>();
  const single = nodes.length === 1;
  return nodes.map((node, index) => {
    const role = node.role ?? "control-plane";
    const count = (seen.get(role) ?? 0) + 1;
    seen.set(role, count);
    const name = `${cluster}-${role}${count > 1 ? count : ""}`;
    const labels: Record<string, string> = {
      "beta.kubernetes.io/arch": arch,
      "beta.kubernetes.io/os": "linux",
      "kubernetes.io/arch": arch,
      "kubernetes.io/hostname": name,
      "kubernetes.io/os": "linux",
      ...Object.fromEntries(Object.entries(node.labels ?? {}).map(([k, v]) => [k, String(v)])),
    };
    const controlPlane = role === "control-plane";
    if (controlPlane) {
      labels[CONTROL_PLANE_LABEL] = "";
      if (!single) labels[EXCLUDE_FROM_LB_LABEL] = "";
    }
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels },
      spec: {
        providerID: `kind://docker/${cluster}/${name}`,
        ...(controlPlane && !single ? { taints: [{ ...CONTROL_PLANE_TAINT }] } : {}),
      },
      status: registrationStatus(name, nodeAddress(index), arch, opts.kubeletVersion),
    };
  });
}

/**
 * What a kubelet reports when it registers: addresses, a laptop-sized capacity (kind nodes share
 * the host, so each reports the host's; 4 CPUs and 8 GiB is a modest laptop), its version, and
 * not Ready yet. kwok turns it Ready.
 */
function registrationStatus(name: string, address: string, arch: string, kubeletVersion: string) {
  const capacity = { cpu: "4", memory: "8Gi", pods: "110", "ephemeral-storage": "100Gi" };
  return {
    addresses: [
      { type: "InternalIP", address },
      { type: "Hostname", address: name },
    ],
    capacity,
    allocatable: capacity,
    nodeInfo: {
      architecture: arch,
      operatingSystem: "linux",
      kubeletVersion,
      kubeProxyVersion: "",
      containerRuntimeVersion: "kwok://v0.8.0 (no container runtime: pods do not run)",
      kernelVersion: "",
      osImage: "",
      machineID: "",
      systemUUID: "",
      bootID: "",
    },
    conditions: [
      {
        type: "Ready",
        status: "False",
        reason: "KubeletNotReady",
        message: "registered by the control-plane harness; kwok reports it Ready",
      },
    ],
  };
}
