/**
 * What a lab asks of the host, for `labs doctor <lab>`: derived from the resolved lab alone
 * (no synth, no download), so doctor works before anything was fetched.
 */

import { metallbPoolOf } from "../../components/lb/metallb.ts";
import { asResolvedLab, collect, type ResolvedLab, sideContainersOf } from "../../components/resolve.ts";
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
  /** Address ranges a load balancer hands out on the `kind` network (MetalLB's pool, a CIDR or first-last). */
  loadBalancerRanges: string[];
  needs: { ipvs: boolean; nftables: boolean; bpf: boolean; helm: boolean };
  /** Side containers that serve every kind cluster on the host (cloud-provider-kind). */
  hostWide: SideContainer[];
}

export function labNeeds(of: LabSpec | ResolvedLab): LabNeeds {
  const lab = asResolvedLab(of);
  const spec = lab.spec;
  const cni = lab.components.find((c) => c.component.kind === "cni");
  const cniOptions = (cni?.options ?? {}) as Record<string, unknown>;
  const proxyMode = spec.kubeProxyMode;
  const kpr = lab.claims.kubeProxyReplacement.value === true;
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
    loadBalancerRanges: [metallbPoolOf(lab)].filter((p): p is string => p !== undefined),
    hostWide: sideContainersOf(lab).filter((c) => c.hostWide),
    needs: {
      ipvs: proxyMode === "ipvs",
      // kindnet enforces NetworkPolicy with nftables; Calico's Nftables dataplane needs it too.
      nftables:
        proxyMode === "nftables" || cniOptions.dataplane === "Nftables" || lab.selected.cni === "kindnet",
      bpf: lab.selected.cni === "cilium" || cniOptions.dataplane === "BPF" || kpr,
      helm: chartsOf(lab).length > 0,
    },
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
