import { SAYS_WORDS } from "../../components/apps/answers.ts";
import {
  type ClientPod,
  HAIRPIN_SERVICE,
  PEERS_SERVICE,
  PROBES_NAMESPACE,
  podSetOf,
  TARGET_HTTP_PORT,
} from "../clients.ts";
import { blocked, sourceIpInsideCluster, throughServiceProxy } from "../expectations.ts";
import {
  httpPortOf,
  namePath,
  type ProbeLab,
  pathFor,
  podsOf,
  type ServiceInfo,
  servicesNamingPods,
  udpPortOf,
} from "../probe-lab.ts";
import type { Endpoint, PlannedCheck } from "../probes-plan.ts";
import {
  check,
  defineProbe,
  fromClient,
  httpGet,
  type LeftOut,
  orSkip,
  type Planned,
  withLeftOut,
} from "./probe.ts";

/** Cluster DNS domain: kind keeps kubeadm's default. */
export const CLUSTER_DOMAIN = "cluster.local";

/** ClusterIP Services of the lab's apps whose pods answer HTTP with their pod name. */
export function netexecClusterIpServices(pl: ProbeLab): ServiceInfo[] {
  return servicesNamingPods(pl, "ClusterIP").filter((s) => !s.headless);
}

/** The lab's main app Service: the first ClusterIP Service answering HTTP. */
export function primaryService(pl: ProbeLab): ServiceInfo | undefined {
  return netexecClusterIpServices(pl)[0];
}

/** Why a Service's pods cannot take a check that needs them to say `what`. */
export const cannotSay = (s: ServiceInfo, what: keyof typeof SAYS_WORDS) =>
  `the pods of ${s.service}.${s.namespace} declare no HTTP path that answers with ${SAYS_WORDS[what]} (labs.dev/http-answers)`;

const NO_APP = "no ClusterIP Service in this lab's apps whose pods answer with their pod name";

export const podToClusterIp = defineProbe({
  id: "pod-to-cluster-ip",
  layer: "service",
  title: "Pod to a Service's ClusterIP, from every node",
  teaches:
    "A ClusterIP is a virtual address: no interface holds it (except kube-ipvs0 in IPVS mode); the service proxy on the client's node rewrites it to a pod IP. The backend still sees the client pod's IP.",
  plan(pl, { nodeClients }) {
    const leftOut: LeftOut[] = [];
    const checks = netexecClusterIpServices(pl).flatMap((s) => {
      const path = pathFor(pl, podsOf(s)!, "client-address");
      if (!path) {
        leftOut.push({
          describes: `${s.service}.${s.namespace} ClusterIP:${httpPortOf(s)!.port}`,
          reason: `${cannotSay(s, "client-address")}, so it cannot show the source it saw`,
        });
        return [];
      }
      return nodeClients.map((c) =>
        check(
          this,
          [s.namespace, s.service, c.name],
          fromClient(c),
          httpGet({ address: { clusterIp: s }, port: httpPortOf(s)!.port }, path),
          sourceIpInsideCluster(pl.lab),
          `${c.name} → ${s.service}.${s.namespace} ClusterIP:${httpPortOf(s)!.port}`,
        ),
      );
    });
    return withLeftOut(checks, leftOut, NO_APP);
  },
});

export const podToServiceUdp = defineProbe({
  id: "pod-to-service-udp",
  layer: "service",
  title: "Pod to a Service over UDP",
  teaches:
    "Services balance UDP too: each datagram flow is translated like a TCP connection, and conntrack keeps the reply on the same backend.",
  plan(pl, { first }) {
    const checks = netexecClusterIpServices(pl)
      .filter((s) => udpPortOf(s))
      .map((s) =>
        check(
          this,
          [s.namespace, s.service],
          fromClient(first),
          { kind: "udp", to: { address: { clusterIp: s }, port: udpPortOf(s)!.port }, payload: "hostname" },
          throughServiceProxy(pl.lab, "the UDP port of the Service is programmed like its TCP ports", {
            backendIn: podsOf(s)!,
          }),
          `${first.name} → ${s.service}.${s.namespace} ClusterIP:${udpPortOf(s)!.port}/udp`,
        ),
      );
    return orSkip(checks, "no Service with a UDP port backed by agnhost netexec in this lab's apps");
  },
});

/** `first` asks the lab's main Service over HTTP by `name(s)`; a lab without one skips the probe. */
function byName(
  pl: ProbeLab,
  probe: { id: string },
  first: ClientPod,
  name: (s: ServiceInfo) => string,
  why: string,
): Planned {
  const s = primaryService(pl);
  if (!s) return { skip: NO_APP };
  const port = httpPortOf(s)!.port;
  return [
    check(
      probe,
      [s.namespace, s.service],
      fromClient(first),
      httpGet({ address: { dnsName: name(s) }, port }, namePath(pl, s)!),
      throughServiceProxy(pl.lab, why, { backendIn: podsOf(s)! }),
      `${first.name} → http://${name(s)}:${port}`,
    ),
  ];
}

export const serviceByShortName = defineProbe({
  id: "service-short-name",
  layer: "service",
  title: "Service by its short name",
  teaches:
    "A short name like `echo` resolves only inside the Service's own namespace: the pod's resolv.conf searches `<its namespace>.svc.cluster.local` first. From another namespace the same short name is not found.",
  plan(pl, { first }) {
    const checks: PlannedCheck[] = [
      check(
        this,
        ["own-namespace"],
        fromClient(first),
        httpGet({ address: { dnsName: PEERS_SERVICE }, port: TARGET_HTTP_PORT }, "/hostname"),
        throughServiceProxy(
          pl.lab,
          `${PEERS_SERVICE} lives in the client's namespace ${PROBES_NAMESPACE}: the first search domain finds it`,
          {
            backendIn: { namespace: PROBES_NAMESPACE, selector: podSetOf(first).selector },
          },
        ),
        `${first.name} → http://${PEERS_SERVICE}:${TARGET_HTTP_PORT}`,
      ),
    ];
    const s = primaryService(pl);
    if (s && s.namespace !== PROBES_NAMESPACE && s.service !== PEERS_SERVICE) {
      checks.push(
        check(
          this,
          ["other-namespace", s.service],
          fromClient(first),
          httpGet({ address: { dnsName: s.service }, port: httpPortOf(s)!.port }, namePath(pl, s)!),
          blocked(
            `${s.service} lives in ${s.namespace}, not in ${PROBES_NAMESPACE}: no search domain of the client completes the short name, so the lookup fails with NXDOMAIN and nothing is sent`,
            "nxdomain",
          ),
          `${first.name} → http://${s.service}:${httpPortOf(s)!.port} (from another namespace)`,
        ),
      );
    }
    return checks;
  },
});

export const serviceByNamespacedName = defineProbe({
  id: "service-namespaced-name",
  layer: "service",
  title: "Service by `name.namespace`",
  teaches:
    "`name.namespace` works from any namespace: the search domain `svc.cluster.local` completes it to the Service's full name.",
  plan(pl, { first }) {
    return byName(
      pl,
      this,
      first,
      (s) => `${s.service}.${s.namespace}`,
      "the search domain svc.cluster.local completes name.namespace",
    );
  },
});

export const serviceByFqdn = defineProbe({
  id: "service-fqdn",
  layer: "service",
  title: "Service by its fully qualified name",
  teaches:
    "`name.namespace.svc.cluster.local` is the Service's full DNS name, answered by CoreDNS with the ClusterIP whatever the client's namespace.",
  plan(pl, { first }) {
    return byName(
      pl,
      this,
      first,
      (s) => `${s.service}.${s.namespace}.svc.${CLUSTER_DOMAIN}`,
      "CoreDNS answers the full name with the ClusterIP",
    );
  },
});

export const apiServer = defineProbe({
  id: "pod-to-api-server",
  layer: "service",
  title: "Pod to the API server through kubernetes.default",
  teaches:
    "The `kubernetes` Service in `default` points at the API server on the control-plane node's host network: the first address of the service CIDR, reached like any ClusterIP.",
  plan(pl, { nodeClients }) {
    return nodeClients.map((c) =>
      check(
        this,
        [c.name],
        fromClient(c),
        httpGet({ address: { dnsName: `kubernetes.default.svc.${CLUSTER_DOMAIN}` }, port: 443 }, "/readyz", {
          scheme: "https",
          insecureSkipVerify: true,
        }),
        throughServiceProxy(pl.lab, "the API server answers /readyz to anyone, over TLS", { status: 200 }),
        `${c.name} → https://kubernetes.default.svc:443/readyz`,
      ),
    );
  },
});

export const hairpin = defineProbe({
  id: "hairpin",
  layer: "service",
  title: "Pod to its own Service (hairpin)",
  teaches:
    "When the service proxy picks the caller itself as backend, the packet must leave and re-enter the same pod interface (hairpin mode): the bridge or the proxy has to allow it, usually with SNAT.",
  plan(pl, { first }) {
    return [
      check(
        this,
        [],
        fromClient(first),
        httpGet(
          {
            address: { clusterIp: { namespace: PROBES_NAMESPACE, service: HAIRPIN_SERVICE } },
            port: TARGET_HTTP_PORT,
          },
          "/hostname",
        ),
        throughServiceProxy(
          pl.lab,
          `${first.name} is the only endpoint of ${HAIRPIN_SERVICE}: the answer must come from itself`,
          {
            backendIn: podSetOf(first),
          },
        ),
        `${first.name} → ${HAIRPIN_SERVICE}.${PROBES_NAMESPACE} ClusterIP (its own Service)`,
      ),
    ];
  },
});

export const endpointCoverage = defineProbe({
  id: "endpoint-coverage",
  layer: "service",
  title: "Every endpoint answers through the ClusterIP",
  teaches:
    "A Service spreads new connections over all ready endpoints; asking until every pod has answered (as the Kubernetes e2e tests do) proves none is missing from the proxy's rules.",
  plan(pl, { first }) {
    const checks = netexecClusterIpServices(pl).map((s) => {
      const to: Endpoint = { address: { clusterIp: s }, port: httpPortOf(s)!.port };
      return check(
        this,
        [s.namespace, s.service],
        fromClient(first),
        { kind: "coverage", to, path: namePath(pl, s)!, backends: podsOf(s)! },
        throughServiceProxy(pl.lab, "each new connection may land on any ready endpoint", {
          backendIn: podsOf(s)!,
        }),
        `${first.name} → ${s.service}.${s.namespace} ClusterIP until every pod answered`,
      );
    });
    return orSkip(checks, NO_APP);
  },
});
