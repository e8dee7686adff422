/**
 * What a lab asks of the host, for `labs doctor <lab>`: derived from the resolved lab alone
 * (no synth, no download), so doctor works before anything was fetched.
 */

import type { AddressPool, HostNeed } from "../../components/component.ts";
import {
  addressPoolsOf,
  asResolvedLab,
  collect,
  hostNeedsOf,
  type ResolvedLab,
  sideContainersOf,
} from "../../components/resolve.ts";
import { formatVersion } from "../../model/kubernetes-version.ts";
import type { HostPort, SideContainer } from "../../model/lab-json.ts";
import type { LabSpec } from "../../model/lab-spec.ts";
import { chartsOf } from "../prepare.ts";

export interface LabNeeds {
  name: string;
  cluster: string;
  /** e.g. v1.36.1 */
  kubernetes: string;
  kubeMinor: number;
  nodes: number;
  proxyMode: string;
  cni: string;
  podSubnet: string;
  serviceSubnet: string;
  hostPorts: HostPort[];
  /** Address ranges components hand out on the `kind` network (MetalLB's pool). */
  addressPools: AddressPool[];
  /** What the components need of the host's kernel (their `hostNeeds`), once each. */
  kernel: HostNeed[];
  /** A chart is rendered in the artifact step, so the helm binary is needed. */
  helm: boolean;
  /** Side containers that serve every kind cluster on the host (cloud-provider-kind). */
  hostWide: SideContainer[];
}

export function labNeeds(of: LabSpec | ResolvedLab): LabNeeds {
  const lab = asResolvedLab(of);
  const spec = lab.spec;
  const proxyMode = spec.kubeProxyMode;
  return {
    name: spec.name,
    cluster: lab.clusterName,
    kubernetes: formatVersion(lab.kubeVersion),
    kubeMinor: lab.kubeVersion.minor,
    nodes: spec.nodes.controlPlanes + spec.nodes.workers,
    proxyMode,
    cni: lab.selected.cni,
    podSubnet: spec.podSubnet,
    serviceSubnet: spec.serviceSubnet,
    hostPorts: hostPortsOf(lab),
    addressPools: addressPoolsOf(lab),
    hostWide: sideContainersOf(lab).filter((c) => c.hostWide),
    kernel: hostNeedsOf(lab),
    helm: chartsOf(lab).length > 0,
  };
}

/** Host ports as the kind config will map them (listenAddress from the spec). */
function hostPortsOf(lab: ResolvedLab): HostPort[] {
  const mappings = collect(lab, (s) => s.component.kindConfig?.(s.options, lab).extraPortMappings);
  return mappings.map((m) => ({
    listenAddress: lab.spec.listenAddress,
    hostPort: m.hostPort,
    protocol: m.protocol ?? "TCP",
  }));
}
