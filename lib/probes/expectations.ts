/**
 * Expected outcomes computed from the lab's capabilities. Each expectation carries its reason in
 * words, taken from the claim of the component that set the capability, so a report can say
 * "not enforced by flannel — expected" instead of just "allowed".
 */
import type { Capabilities, CapabilityName, NorthSouthCapability } from "../components/component.ts";
import { clusterIpCarrier, type ResolvedLab, serviceProxyText } from "../components/resolve.ts";
import type { ClientIpExpectation, Denial, Expectation } from "./probes-plan.ts";

type Extra = Omit<Partial<Expectation>, "outcome" | "reason">;

export function reachable(reason: string, extra: Extra = {}): Expectation {
  return { outcome: "reachable", reason, ...extra };
}

export function blocked(reason: string, denial: Denial | undefined, extra: Extra = {}): Expectation {
  return { outcome: "blocked", reason, ...(denial ? { denial } : {}), ...extra };
}

export function status(code: number, reason: string, extra: Extra = {}): Expectation {
  return { outcome: "status", status: code, reason, ...extra };
}

const because = (lab: ResolvedLab, capability: CapabilityName) => ({
  capability,
  by: lab.claims[capability].by,
});

/**
 * Why a probe that needs `capability` cannot run in this lab, or undefined when it can. The words
 * are the claim's own ("no Ingress controller in this lab").
 */
export function missing(lab: ResolvedLab, capability: NorthSouthCapability): string | undefined {
  const claim = lab.claims[capability];
  return claim.value ? undefined : claim.reason;
}

/**
 * A path a NetworkPolicy would block. Enforced: blocked, and the policy is why. Not enforced:
 * reachable, and the report says so, so a learner sees that the policy object alone does nothing.
 */
export function underPolicy(lab: ResolvedLab, policy: string): Expectation {
  const claim = lab.claims.networkPolicy;
  if (claim.value) {
    const denial = lab.claims.policyDenial as {
      value: Capabilities["policyDenial"];
      reason: string;
      by: string;
    };
    const how =
      denial.value === "none"
        ? `${denial.by} does not say what it does with a denied packet, so no outcome can prove the block`
        : denial.reason;
    return blocked(
      `${policy} blocks it; ${claim.reason}: ${how}`,
      denial.value === "none" ? undefined : denial.value,
      { because: because(lab, "networkPolicy") },
    );
  }
  return reachable(
    `${policy} would block it, but NetworkPolicy is not enforced by ${claim.by} — expected (${claim.reason})`,
    {
      because: because(lab, "networkPolicy"),
    },
  );
}

/** A path a NetworkPolicy explicitly allows (or that no policy selects): reachable either way. */
export function allowedByPolicy(lab: ResolvedLab, why: string): Expectation {
  const claim = lab.claims.networkPolicy;
  const note = claim.value ? claim.reason : `not enforced by ${claim.by} anyway`;
  return reachable(`${why} (${note})`, { because: because(lab, "networkPolicy") });
}

/**
 * The client address a backend sees through a LoadBalancer. Two things decide it: where the
 * traffic enters the node from (the client itself with MetalLB, cloud-provider-kind's Envoy
 * container, an L4 proxy, otherwise), and what the service proxy does for the Service's
 * externalTrafficPolicy. Local never adds SNAT (traffic only goes to a node with a local
 * endpoint); Cluster does, always (kube-proxy) or only towards a backend on another node (Cilium).
 */
export function sourceIpThroughLoadBalancer(lab: ResolvedLab, policy: "Cluster" | "Local"): Expectation {
  const entry = lab.claims.loadBalancerSource;
  const arrives: "kept" | "proxy" = entry.value === "proxy" ? "proxy" : "kept";
  const arrivesText =
    arrives === "proxy"
      ? "the proxy's address (the Envoy container, whose IP is the LoadBalancer IP)"
      : "the client's own address";
  if (policy === "Local") {
    return reachable(
      `externalTrafficPolicy Local: only nodes with a local endpoint answer and ${serviceProxyText(lab.claims.serviceProxy)} adds no SNAT; ${entry.reason} — the backend sees ${arrivesText}`,
      { clientIp: arrives, because: because(lab, "loadBalancerSource") },
    );
  }
  const snat = lab.claims.externalSourceNat;
  const clientIp: ClientIpExpectation =
    snat.value === "always" ? "snat" : snat.value === "remote-backend" ? { snatIfRemote: arrives } : arrives;
  const sees =
    snat.value === "always"
      ? "the address of the node that forwarded it (SNAT)"
      : snat.value === "remote-backend"
        ? `${arrivesText} when it runs on the node the traffic entered, else that node's address (SNAT), checked per answering pod`
        : arrivesText;
  return reachable(`externalTrafficPolicy Cluster: ${snat.reason} — the backend sees ${sees}`, {
    clientIp,
    because: because(lab, "externalSourceNat"),
  });
}

/**
 * What the service proxy does with external traffic that reaches a node without a local endpoint
 * of a Local-policy Service, where labs knows it: kube-proxy drops it (pkg/proxy/iptables and
 * nftables proxier.go, "has no local endpoints" → DROP).
 */
export function noLocalEndpointDenial(lab: ResolvedLab): Denial | undefined {
  const proxy = lab.claims.serviceProxy.value;
  return proxy === "kube-proxy iptables" || proxy === "kube-proxy nftables" ? "drop" : undefined;
}

/** Inside the cluster a ClusterIP is DNAT only: the backend sees the client pod's own IP. */
export function sourceIpInsideCluster(lab: ResolvedLab): Expectation {
  // Next to kube-proxy, Cilium still rewrites pod traffic to ClusterIPs itself: name who does.
  const who = clusterIpCarrier(lab) ?? serviceProxyText(lab.claims.serviceProxy);
  return reachable(
    `${who} rewrites only the destination of pod traffic to a ClusterIP: the backend sees the client pod's IP`,
    {
      clientIp: "source",
      because: because(lab, "serviceProxy"),
    },
  );
}

/** Service load balancing, with who does it. */
export function throughServiceProxy(lab: ResolvedLab, what: string, extra: Extra = {}): Expectation {
  const proxy = lab.claims.serviceProxy;
  return reachable(`${what} (${proxy.reason})`, { because: because(lab, "serviceProxy"), ...extra });
}

/** Pod-network paths, with how the CNI carries them. */
export function throughPodNetwork(lab: ResolvedLab, what: string, extra: Extra = {}): Expectation {
  const encap = lab.claims.podEncapsulation;
  return reachable(`${what} (${encap.reason})`, { because: because(lab, "podEncapsulation"), ...extra });
}

/** North-south paths, with the component that serves them. */
export function throughNorthSouth(
  lab: ResolvedLab,
  capability: NorthSouthCapability,
  what: string,
  extra: Extra = {},
): Expectation {
  return reachable(`${what} (${lab.claims[capability].reason})`, {
    because: because(lab, capability),
    ...extra,
  });
}
