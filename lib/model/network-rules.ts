import { type Cidr, explainBadCidr, type IpFamily, overlaps, parseCidr } from "./cidr.ts";
import { DOCKER_KIND_NETWORK, type KIND_DEFAULT_SUBNETS } from "./defaults.ts";
import { error, type Finding } from "./findings.ts";

/**
 * Checks the pod and service subnets: valid CIDRs of the lab's IP family, apart from each
 * other and from Docker's usual `kind` network (routes to the nodes would be shadowed), and
 * within the sizes kind's kubeadm and the control plane accept, so a lab that lints clean can
 * come up. Each limit names its upstream source.
 */

/**
 * kube-controller-manager gives every node one range of this size from the pod subnet. kind's
 * kubeadm config sets no `node-cidr-mask-size` (kubernetes-sigs/kind
 * pkg/cluster/internal/kubeadm/config.go@v0.32.0), so kubeadm's defaults apply: /24 for IPv4,
 * /64 for IPv6 (kubernetes/kubernetes cmd/kubeadm/app/apis/kubeadm/validation/validation.go,
 * getClusterNodeMask).
 */
export const NODE_CIDR_MASK: Record<IpFamily, number> = { ipv4: 24, ipv6: 64 };

/**
 * kubeadm refuses a pod subnet more than 16 bits wider than the node mask
 * (cmd/kubeadm/app/constants/constants.go PodSubnetNodeMaskMaxDiff, kubernetes#44918).
 */
export const POD_SUBNET_NODE_MASK_MAX_DIFF = 16;

/**
 * The widest service subnet: 20 host bits, so /12 for IPv4 and /108 for IPv6. kubeadm checks it
 * at `kubeadm init` (validation.go ValidateServiceSubnetSize, constants.go
 * MaximumBitsForServiceSubnet), as kube-apiserver does for --service-cluster-ip-range
 * (cmd/kube-apiserver/app/options/validation.go validateMaxCIDRRange, maxCIDRBits = 20).
 */
export const SERVICE_SUBNET_MAX_HOST_BITS = 20;

/**
 * The smallest service subnet: 10 addresses, because kubeadm gives CoreDNS the tenth
 * (constants.go MinimumAddressesInServiceSubnet): /28 for IPv4, /124 for IPv6.
 */
export const SERVICE_SUBNET_MIN_ADDRESSES = 10;

const BITS: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 };

/** The network fields of a lab (a LabSpec has them all; lab-spec.ts calls this while parsing). */
export interface NetworkSpec {
  ipFamily: keyof typeof KIND_DEFAULT_SUBNETS;
  podSubnet: string;
  serviceSubnet: string;
  listenAddress: string;
  nodes?: { controlPlanes: number; workers: number };
}

export function checkNetwork(spec: NetworkSpec): Finding[] {
  const findings: Finding[] = [];
  const wanted = spec.ipFamily === "dual" ? ["ipv4", "ipv6"] : [spec.ipFamily];
  const parsed: Record<"podSubnet" | "serviceSubnet", Cidr[]> = { podSubnet: [], serviceSubnet: [] };

  for (const field of ["podSubnet", "serviceSubnet"] as const) {
    // kind splits on "," and parses each part as it is (validate.go validateSubnets, Go's
    // net.ParseCIDR): a space anywhere fails `kind create cluster`, so it fails here first.
    if (/\s/.test(spec[field])) {
      findings.push(
        error(
          field,
          `${JSON.stringify(spec[field])} contains spaces, which kind rejects`,
          `write it without spaces, e.g. "${spec[field].replace(/\s+/g, "")}"`,
        ),
      );
      continue;
    }
    for (const part of spec[field].split(",")) {
      const cidr = parseCidr(part);
      if (!cidr) {
        findings.push(error(field, explainBadCidr(part)));
        continue;
      }
      parsed[field].push(cidr);
    }
    if (findings.length) continue;
    const families = parsed[field].map((c) => c.family);
    const fix =
      spec.ipFamily === "dual"
        ? "give one IPv4 and one IPv6 CIDR separated by a comma"
        : `use an ${spec.ipFamily === "ipv4" ? "IPv4" : "IPv6"} CIDR or set ipFamily to match`;
    if (families.length !== wanted.length || !wanted.every((w) => families.includes(w as Cidr["family"]))) {
      findings.push(error(field, `${spec[field]} does not fit ipFamily ${spec.ipFamily}`, fix));
    }
  }
  if (findings.length) return findings;

  for (const pod of parsed.podSubnet) findings.push(...podSubnetSize(pod, spec.nodes));
  for (const svc of parsed.serviceSubnet) findings.push(...serviceSubnetSize(svc));

  const kindNet = parseCidr(DOCKER_KIND_NETWORK)!;
  for (const pod of parsed.podSubnet) {
    for (const svc of parsed.serviceSubnet) {
      if (overlaps(pod, svc)) {
        findings.push(
          error(
            "serviceSubnet",
            `serviceSubnet ${svc.text} overlaps podSubnet ${pod.text}`,
            "pick ranges that do not overlap",
          ),
        );
      }
    }
  }
  for (const field of ["podSubnet", "serviceSubnet"] as const) {
    for (const c of parsed[field]) {
      if (overlaps(c, kindNet)) {
        findings.push(
          error(
            field,
            `${field} ${c.text} overlaps Docker's kind network ${DOCKER_KIND_NETWORK}`,
            "choose a range outside 172.18.0.0/16, e.g. 10.244.0.0/16",
          ),
        );
      }
    }
  }
  if (!/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(spec.listenAddress)) {
    findings.push(
      error("listenAddress", `"${spec.listenAddress}" is not an IP address`, "use 127.0.0.1 or 0.0.0.0"),
    );
  }
  return findings;
}

/**
 * The pod subnet must hold one node range per node: kubeadm refuses a subnet narrower than the
 * node mask, and kube-controller-manager's range allocator leaves a node without a podCIDR
 * (event CIDRNotAvailable; pkg/controller/nodeipam/ipam/range_allocator.go) once the ranges run
 * out, and CNIs that route by podCIDR (kindnet, Flannel) never make that node Ready.
 */
function podSubnetSize(pod: Cidr, nodes: NetworkSpec["nodes"]): Finding[] {
  const mask = NODE_CIDR_MASK[pod.family];
  const example = pod.family === "ipv4" ? "10.244.0.0/16" : "fd00:10:244::/56";
  const count = nodes ? nodes.controlPlanes + nodes.workers : 1;
  const need = mask - Math.ceil(Math.log2(Math.max(count, 1)));
  const fix = `use a /${need} or wider, e.g. ${example}`;
  if (pod.prefix > mask) {
    return [
      error(
        "podSubnet",
        `${pod.text} is narrower than one node's range: kube-controller-manager gives each node a /${mask}, and kubeadm refuses a smaller pod subnet`,
        fix,
      ),
    ];
  }
  if (mask - pod.prefix > POD_SUBNET_NODE_MASK_MAX_DIFF) {
    return [
      error(
        "podSubnet",
        `${pod.text} is wider than kubeadm accepts: at most ${POD_SUBNET_NODE_MASK_MAX_DIFF} bits wider than the /${mask} node ranges`,
        `use a /${mask - POD_SUBNET_NODE_MASK_MAX_DIFF} or narrower, e.g. ${example}`,
      ),
    ];
  }
  const ranges = 2 ** (mask - pod.prefix);
  if (count > ranges) {
    return [
      error(
        "podSubnet",
        `${pod.text} holds ${ranges} node range${ranges === 1 ? "" : "s"} of /${mask}, but the lab has ${count} nodes: the others would get no pod range and never become Ready`,
        fix,
      ),
    ];
  }
  return [];
}

function serviceSubnetSize(svc: Cidr): Finding[] {
  const bits = BITS[svc.family];
  const widest = bits - SERVICE_SUBNET_MAX_HOST_BITS;
  const narrowest = bits - Math.ceil(Math.log2(SERVICE_SUBNET_MIN_ADDRESSES));
  const example = svc.family === "ipv4" ? "10.96.0.0/16" : "fd00:10:96::/112";
  if (svc.prefix < widest) {
    return [
      error(
        "serviceSubnet",
        `${svc.text} is larger than kubeadm and kube-apiserver accept: for ${bits}-bit addresses the prefix must be /${widest} or longer`,
        `use a /${widest} or smaller, e.g. ${example}`,
      ),
    ];
  }
  if (svc.prefix > narrowest) {
    return [
      error(
        "serviceSubnet",
        `${svc.text} has fewer than ${SERVICE_SUBNET_MIN_ADDRESSES} addresses: kubeadm gives CoreDNS the tenth`,
        `use a /${narrowest} or larger, e.g. ${example}`,
      ),
    ];
  }
  return [];
}
