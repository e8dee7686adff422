/**
 * The probe catalogue, in the order reports list it (layer by layer). Adding a probe: define it
 * in the family file of its layer and add one line here.
 */
import { dataplaneInspection } from "./dataplane.ts";
import { dnsUpstream, externalName, headlessService, statefulSetPodDns } from "./dns.ts";
import { gatewayFilterHeader, gatewayRoutes, gatewaySplit } from "./gateway.ts";
import { ingressHostRule, ingressPathRouting } from "./ingress.ts";
import { hostLoadBalancer, sourceIp } from "./load-balancer.ts";
import { dnsUnderEgressDeny, networkPolicyEgress, networkPolicyTruthTable } from "./network-policy.ts";
import { hostNodePort, nodePortOtherNode, nodePortOwnNode } from "./node-ports.ts";
import { podToNode, podToPodCrossNode, podToPodSameNode } from "./pod-network.ts";
import type { ProbeDefinition } from "./probe.ts";
import {
  apiServer,
  endpointCoverage,
  hairpin,
  podToClusterIp,
  podToServiceUdp,
  serviceByFqdn,
  serviceByNamespacedName,
  serviceByShortName,
} from "./services.ts";

export const CATALOGUE: readonly ProbeDefinition[] = [
  podToNode,
  podToPodSameNode,
  podToPodCrossNode,
  podToClusterIp,
  podToServiceUdp,
  serviceByShortName,
  serviceByNamespacedName,
  serviceByFqdn,
  headlessService,
  statefulSetPodDns,
  externalName,
  dnsUpstream,
  apiServer,
  hairpin,
  endpointCoverage,
  nodePortOwnNode,
  nodePortOtherNode,
  hostNodePort,
  hostLoadBalancer,
  sourceIp,
  ingressPathRouting,
  ingressHostRule,
  gatewayRoutes,
  gatewaySplit,
  gatewayFilterHeader,
  networkPolicyTruthTable,
  networkPolicyEgress,
  dnsUnderEgressDeny,
  dataplaneInspection,
];

export function findProbe(id: string): ProbeDefinition | undefined {
  return CATALOGUE.find((p) => p.id === id);
}

export type { ProbeDefinition } from "./probe.ts";
