import { Construct } from "constructs";
import { explainBadCidr, parseAddress, parseCidr } from "../model/cidr.ts";
import { DEFAULT_LISTEN_ADDRESS } from "../model/defaults.ts";
import { LabError } from "../model/errors.ts";
import { DEFAULT_KUBE_PROXY_MODE, KUBE_PROXY_MODES, type KubeProxyMode } from "../model/kube-proxy-mode.ts";

/** Typed `kind.x-k8s.io/v1alpha4` Cluster config: what `kind create cluster --config` reads. */

export type NodeRole = "control-plane" | "worker";

export interface KindMount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}

export interface KindPortMapping {
  containerPort: number;
  hostPort: number;
  /** Defaults to 127.0.0.1 in labs (kind's own default is 0.0.0.0: every interface). */
  listenAddress?: string;
  protocol?: "TCP" | "UDP" | "SCTP";
}

export interface KindNodeProps {
  role: NodeRole;
  /** Node image pinned by digest; defaults to the cluster's. */
  image?: string;
  extraMounts?: KindMount[];
  extraPortMappings?: KindPortMapping[];
  labels?: Record<string, string>;
  kubeadmConfigPatches?: string[];
}

export interface KindClusterProps {
  /** Cluster name (kind prefixes node containers with it). */
  readonly name: string;
  /** Node image for every node, pinned by digest. */
  readonly image: string;
  /** The nodes; at least one control plane. */
  readonly nodes: KindNodeProps[];
  /** @default "ipv4" */
  readonly ipFamily?: "ipv4" | "ipv6" | "dual";
  /** @default kind's: 10.244.0.0/16 */
  readonly podSubnet?: string;
  /** @default kind's: 10.96.0.0/16 */
  readonly serviceSubnet?: string;
  /** Set when another CNI than kindnet is installed. @default false */
  readonly disableDefaultCNI?: boolean;
  /** @default DEFAULT_KUBE_PROXY_MODE (kind's own: iptables) */
  readonly kubeProxyMode?: KubeProxyMode;
  /** @default "127.0.0.1" */
  readonly apiServerAddress?: string;
  /** Cluster-wide kubeadm patches (e.g. a KubeProxyConfiguration). */
  readonly kubeadmConfigPatches?: string[];
}

/** The kind config as plain JSON, keys in kind's order. */
export interface KindConfig {
  kind: "Cluster";
  apiVersion: "kind.x-k8s.io/v1alpha4";
  name: string;
  networking: Record<string, unknown>;
  kubeadmConfigPatches?: string[];
  nodes: Record<string, unknown>[];
}

/** Checks a config the way kind does before it creates anything. Returns problems, empty when valid. */
export function validateKindConfig(props: KindClusterProps): string[] {
  const problems: string[] = [];
  const family = props.ipFamily ?? "ipv4";
  if (!["ipv4", "ipv6", "dual"].includes(family))
    problems.push(`networking.ipFamily "${family}" is not ipv4, ipv6 or dual`);
  if (props.kubeProxyMode && !KUBE_PROXY_MODES.includes(props.kubeProxyMode)) {
    problems.push(
      `networking.kubeProxyMode "${props.kubeProxyMode}" is not one of ${KUBE_PROXY_MODES.join(", ")}`,
    );
  }
  for (const [field, value] of [
    ["podSubnet", props.podSubnet],
    ["serviceSubnet", props.serviceSubnet],
  ] as const) {
    if (value === undefined) continue;
    const parts = value.split(",");
    const cidrs = parts.map((p) => parseCidr(p.trim()));
    cidrs.forEach((c, i) => {
      if (!c) problems.push(`networking.${field}: ${explainBadCidr(parts[i]!.trim())}`);
    });
    if (cidrs.some((c) => !c)) continue;
    const fams = cidrs.map((c) => c!.family);
    const ok =
      family === "dual"
        ? fams.length === 2 && fams.includes("ipv4") && fams.includes("ipv6")
        : fams.length === 1 && fams[0] === family;
    if (!ok) problems.push(`networking.${field} "${value}" does not match ipFamily ${family}`);
  }
  if (props.apiServerAddress && !parseAddress(props.apiServerAddress)) {
    problems.push(`networking.apiServerAddress "${props.apiServerAddress}" is not an IP address`);
  }
  if (!props.nodes.some((n) => n.role === "control-plane"))
    problems.push("nodes: a cluster needs at least one control-plane node");
  const taken = new Map<string, number>();
  props.nodes.forEach((node, i) => {
    if (node.role !== "control-plane" && node.role !== "worker") {
      problems.push(`nodes[${i}].role "${node.role}" is not control-plane or worker`);
    }
    for (const m of node.extraMounts ?? []) {
      if (!m.containerPath.startsWith("/"))
        problems.push(`nodes[${i}].extraMounts: containerPath "${m.containerPath}" must be absolute`);
    }
    for (const pm of node.extraPortMappings ?? []) {
      const where = `nodes[${i}].extraPortMappings`;
      if (!Number.isInteger(pm.containerPort) || pm.containerPort < 1 || pm.containerPort > 65535) {
        problems.push(`${where}: containerPort ${pm.containerPort} is not a port (1-65535)`);
      }
      if (!Number.isInteger(pm.hostPort) || pm.hostPort < 0 || pm.hostPort > 65535) {
        problems.push(`${where}: hostPort ${pm.hostPort} is not a port (0-65535; 0 picks a free one)`);
      }
      const address = pm.listenAddress ?? DEFAULT_LISTEN_ADDRESS;
      if (!parseAddress(address)) problems.push(`${where}: listenAddress "${address}" is not an IP address`);
      if (pm.hostPort === 0) continue;
      const protocol = pm.protocol ?? "TCP";
      // A wildcard listener conflicts with every address on the same port, as the kernel sees it.
      const keys = [`${address}/${pm.hostPort}/${protocol}`];
      for (const key of keys) {
        const wildcard = `0.0.0.0/${pm.hostPort}/${protocol}`;
        const clash = [...taken.keys()].find(
          (k) =>
            k === key ||
            (address === "0.0.0.0" && k.endsWith(`/${pm.hostPort}/${protocol}`)) ||
            k === wildcard,
        );
        if (clash) {
          problems.push(
            `${where}: host port ${pm.hostPort}/${protocol} on ${address} is mapped twice (also on nodes[${taken.get(clash)}])`,
          );
        }
        taken.set(key, i);
      }
    }
  });
  return problems;
}

/**
 * A kind cluster config. Validates like kind does, so a bad config fails at synth, not after a
 * minute of `kind create cluster`.
 */
export class KindCluster extends Construct {
  readonly props: KindClusterProps;

  constructor(scope: Construct, id: string, props: KindClusterProps) {
    super(scope, id);
    const problems = validateKindConfig(props);
    if (problems.length) throw new LabError(`kind config for ${props.name}: ${problems.join("; ")}`);
    this.props = props;
  }

  /** Host ports this cluster binds, for clash checks across labs. */
  get hostPorts(): { listenAddress: string; hostPort: number; protocol: string }[] {
    return this.props.nodes.flatMap((n) =>
      (n.extraPortMappings ?? []).map((pm) => ({
        listenAddress: pm.listenAddress ?? DEFAULT_LISTEN_ADDRESS,
        hostPort: pm.hostPort,
        protocol: pm.protocol ?? "TCP",
      })),
    );
  }

  toJson(): KindConfig {
    const p = this.props;
    const networking: Record<string, unknown> = {
      ipFamily: p.ipFamily ?? "ipv4",
      apiServerAddress: p.apiServerAddress ?? DEFAULT_LISTEN_ADDRESS,
    };
    if (p.podSubnet) networking.podSubnet = p.podSubnet;
    if (p.serviceSubnet) networking.serviceSubnet = p.serviceSubnet;
    if (p.disableDefaultCNI) networking.disableDefaultCNI = true;
    networking.kubeProxyMode = p.kubeProxyMode ?? DEFAULT_KUBE_PROXY_MODE;
    const config: KindConfig = {
      kind: "Cluster",
      apiVersion: "kind.x-k8s.io/v1alpha4",
      name: p.name,
      networking,
      nodes: [],
    };
    if (p.kubeadmConfigPatches?.length) config.kubeadmConfigPatches = p.kubeadmConfigPatches;
    config.nodes = p.nodes.map((n) => {
      const node: Record<string, unknown> = { role: n.role, image: n.image ?? p.image };
      if (n.labels && Object.keys(n.labels).length) node.labels = n.labels;
      if (n.extraMounts?.length) node.extraMounts = n.extraMounts;
      if (n.extraPortMappings?.length) {
        node.extraPortMappings = n.extraPortMappings.map((pm) => ({
          containerPort: pm.containerPort,
          hostPort: pm.hostPort,
          listenAddress: pm.listenAddress ?? DEFAULT_LISTEN_ADDRESS,
          protocol: pm.protocol ?? "TCP",
        }));
      }
      if (n.kubeadmConfigPatches?.length) node.kubeadmConfigPatches = n.kubeadmConfigPatches;
      return node;
    });
    return config;
  }
}
