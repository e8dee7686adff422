import type { ClientPod } from "../clients.ts";
import { reachable } from "../expectations.ts";
import { podsOf, servicesOf, statefulSetsOf } from "../probe-lab.ts";
import type { Expectation, PlannedCheck } from "../probes-plan.ts";
import { check, defineProbe, fromClient, orSkip } from "./probe.ts";
import { CLUSTER_DOMAIN } from "./services.ts";

const fqdn = (name: string, namespace: string) => `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;

/** `client` asks its cluster DNS for a name; the check reads "client → DNS A name", plus `note`. */
function lookup(
  probe: { id: string },
  variant: string[],
  client: ClientPod,
  query: { name: string; type?: "A" | "AAAA" },
  expect: Expectation,
  note = "",
): PlannedCheck {
  const describes = `${client.name} → DNS ${query.type ?? "A"} ${query.name}${note}`;
  return check(probe, variant, fromClient(client), { kind: "dns", ...query }, expect, describes);
}

export const headlessService = defineProbe({
  id: "headless-service",
  layer: "service",
  title: "Headless Service answers with every pod IP",
  teaches:
    "A Service with `clusterIP: None` gets no virtual IP: CoreDNS answers its name with the IP of every ready pod, and the client picks one itself.",
  plan(pl, { first }) {
    const checks = servicesOf(pl)
      .filter((s) => s.headless && s.selector)
      .map((s) =>
        lookup(
          this,
          [s.namespace, s.service],
          first,
          { name: fqdn(s.service, s.namespace) },
          reachable("CoreDNS answers a headless Service with the IPs of its ready pods, one A record each", {
            answers: { podsOf: podsOf(s)! },
          }),
        ),
      );
    return orSkip(checks, "no headless Service with a selector in this lab's apps");
  },
});

export const statefulSetPodDns = defineProbe({
  id: "statefulset-pod-dns",
  layer: "service",
  title: "StatefulSet pods by their own DNS names",
  teaches:
    "Pods of a StatefulSet get stable names under their governing headless Service, such as `web-0.web.<ns>.svc.cluster.local`, each answering with that one pod's IP.",
  plan(pl, { first }) {
    const headless = new Set(
      servicesOf(pl)
        .filter((s) => s.headless)
        .map((s) => `${s.namespace}/${s.service}`),
    );
    const checks = statefulSetsOf(pl)
      .filter((sts) => headless.has(`${sts.namespace}/${sts.serviceName}`))
      .flatMap((sts) =>
        Array.from({ length: sts.replicas }, (_, i) => {
          const pod = `${sts.name}-${i}`;
          return lookup(
            this,
            [sts.namespace, pod],
            first,
            { name: `${pod}.${fqdn(sts.serviceName, sts.namespace)}` },
            reachable(`the headless Service ${sts.serviceName} gives each StatefulSet pod its own record`, {
              answers: { podName: pod, namespace: sts.namespace },
            }),
          );
        }),
      );
    return orSkip(checks, "no StatefulSet with a headless governing Service in this lab's apps");
  },
});

export const externalName = defineProbe({
  id: "external-name",
  layer: "service",
  title: "ExternalName Service is a DNS alias",
  teaches:
    "An ExternalName Service has no IP and no proxy rules: CoreDNS answers its name with a CNAME to the external name, and the client follows it.",
  plan(pl, { first }) {
    const suffix = `.svc.${CLUSTER_DOMAIN}`;
    const checks = servicesOf(pl)
      .filter((s) => s.type === "ExternalName" && s.externalName)
      .map((s) => {
        const target = s.externalName!.replace(/\.$/, "");
        // An alias to a Service of the cluster can be checked to the address; an outside name
        // depends on the machine's own DNS, so only an answer is expected.
        const inCluster = target.endsWith(suffix) ? target.slice(0, -suffix.length).split(".") : undefined;
        const expect =
          inCluster?.length === 2
            ? reachable(`CoreDNS follows the CNAME to ${target} and answers with its ClusterIP`, {
                answers: { clusterIpOf: { service: inCluster[0]!, namespace: inCluster[1]! } },
              })
            : reachable(`CoreDNS answers with a CNAME to ${target}, resolved by the cluster's upstream DNS`);
        return lookup(
          this,
          [s.namespace, s.service],
          first,
          { name: fqdn(s.service, s.namespace) },
          expect,
          ` (alias of ${target})`,
        );
      });
    return orSkip(checks, "no ExternalName Service in this lab's apps");
  },
});

/**
 * Cluster DNS's upstream path, with no internet: CoreDNS forwards every name outside its zones to
 * the nameserver of its own node (kubeadm's Corefile `forward . /etc/resolv.conf`, and the
 * Deployment's `dnsPolicy: Default`: kubernetes cmd/kubeadm/app/phases/addons/dns/manifests.go).
 * On a kind node that nameserver is Docker's embedded DNS: kind's entrypoint
 * (images/base/files/usr/local/bin/entrypoint@v0.32.0, enable_network_magic) rewrites the node's
 * resolv.conf from 127.0.0.11 to the kind network's gateway (or host.docker.internal) and copies
 * Docker's DNAT to 127.0.0.11 from OUTPUT into PREROUTING, so queries from pods reach it too
 * (with route_localnet=1, images/base/files/etc/sysctl.d/10-network-magic.conf). Docker's DNS knows
 * every container of the `kind` network by name, and kind names each node container (and its
 * hostname) after the node (pkg/cluster/internal/providers/docker/provision.go): a node's name
 * resolves to its address on the kind network, the node's InternalIP, offline.
 *
 * Every dataplane of the catalogue lets the query through the node's netfilter, where that DNAT
 * lives: kube-proxy and kindnet/Flannel route pod traffic through the host stack; Cilium does too
 * with legacy host routing, which labs keeps (cilium-values.ts: BPF host routing would bypass it,
 * cilium/cilium#23283); Calico's eBPF programs hand traffic leaving the pool with natOutgoing to
 * iptables (felix/bpf-gpl/types.h CALI_ST_NAT_OUTGOING, tc.c update_fib_mark @v3.32.1).
 *
 * The name is absolute (a trailing dot) and asked straight of the pod's nameserver, so no search
 * domain is tried first: the one query goes pod → kube-dns → CoreDNS → forward → Docker's DNS.
 */
export const dnsUpstream = defineProbe({
  id: "dns-upstream",
  layer: "service",
  title: "A name outside the cluster, through CoreDNS's upstream",
  teaches:
    "CoreDNS answers cluster.local itself and forwards every other name upstream, to the resolver of its node: in kind that is Docker's DNS, which knows each node container by name. Resolving a node's name from a pod walks that whole path (pod → kube-dns → CoreDNS → forward → Docker) with no internet.",
  plan(pl, { first }) {
    const node = pl.nodes[0]!.name;
    // Docker answers with the container's address on the kind network of the asked family; the
    // node's first InternalIP is of the lab's primary family.
    const type = pl.lab.spec.ipFamily === "ipv6" ? "AAAA" : "A";
    return [
      lookup(
        this,
        [node.slice(pl.lab.clusterName.length + 1)],
        first,
        { name: `${node}.`, type },
        reachable(
          `outside cluster.local: CoreDNS forwards it to its node's resolver, Docker's embedded DNS, which answers with the node container's address (its InternalIP)`,
          { answers: { nodeIpOf: node } },
        ),
        " (a kind node, via CoreDNS's forward)",
      ),
    ];
  },
});
