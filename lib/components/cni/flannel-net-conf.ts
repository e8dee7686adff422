import { LabError } from "../../model/errors.ts";
import type { K8sObject } from "../../model/k8s-object.ts";

/**
 * Flannel reads its network from `net-conf.json` in the kube-flannel-cfg ConfigMap. labs changes
 * three keys there and nothing else in the upstream manifest.
 */

export const FLANNEL_CONFIG_MAP = "kube-flannel-cfg";
export const NET_CONF_KEY = "net-conf.json";

export const FLANNEL_BACKENDS = ["vxlan", "host-gw", "wireguard"] as const;
export type FlannelBackend = (typeof FLANNEL_BACKENDS)[number];

export interface NetConfChanges {
  /** The pod CIDR flannel carves per-node subnets from: the lab's podSubnet. */
  network: string;
  backend: FlannelBackend;
  /** Flannel's own masquerade and forward rules in nftables instead of iptables. */
  enableNFTables: boolean;
}

/** Sets Network, Backend.Type and EnableNFTables, keeping every other key and their order. */
export function patchNetConf(json: string, changes: NetConfChanges): string {
  let conf: Record<string, unknown>;
  try {
    conf = JSON.parse(json) as Record<string, unknown>;
  } catch (e) {
    throw new LabError(`flannel's ${NET_CONF_KEY} is not JSON: ${(e as Error).message}`);
  }
  conf.Network = changes.network;
  conf.EnableNFTables = changes.enableNFTables;
  conf.Backend = { ...(conf.Backend as Record<string, unknown> | undefined), Type: changes.backend };
  return `${JSON.stringify(conf, null, 2)}\n`;
}

/** The upstream patch: only the kube-flannel-cfg ConfigMap changes. */
export function flannelPatch(changes: NetConfChanges): (o: K8sObject) => K8sObject {
  return (o) => {
    if (o.kind !== "ConfigMap" || o.metadata?.name !== FLANNEL_CONFIG_MAP) return o;
    const current = o.data?.[NET_CONF_KEY];
    if (typeof current !== "string") {
      throw new LabError(`flannel's ConfigMap ${FLANNEL_CONFIG_MAP} has no ${NET_CONF_KEY}`);
    }
    return { ...o, data: { ...o.data, [NET_CONF_KEY]: patchNetConf(current, changes) } };
  };
}
