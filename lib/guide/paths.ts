/**
 * The traffic paths of a lab, as plain data: where a packet starts, every place it passes and
 * what happens between two places (who rewrites, tunnels or blocks it). `labs guide` draws them
 * as a Mermaid diagram, `labs explain` as text art; both come from this one model.
 *
 * A path is drawn only when the lab's probe plan checks it (a lab without an Ingress controller
 * has no Ingress path), so the picture and the probes always tell the same story.
 */
import { clusterIpCarrier, type ResolvedLab, serviceProxyText } from "../components/resolve.ts";
import type { Layer, ProbesPlan } from "../probes/probes-plan.ts";

/** Where a place lives: the machine that runs labs, a kind node, or the virtual Service network. */
export type Zone = { host: true } | { node: string } | { services: true } | { cluster: true };

export type PlaceKind = "you" | "port" | "node" | "pod" | "service" | "proxy" | "dns";

export interface Place {
  /** Stable id, unique in the lab: `pod:probe-worker`, `svc:demo/echo`. */
  id: string;
  label: string;
  kind: PlaceKind;
  zone: Zone;
}

export interface Hop {
  /** What happens between the two places, in a few words. */
  label: string;
  /** The path stops here (a NetworkPolicy that is enforced). */
  blocked?: boolean;
}

export interface TrafficPath {
  /** The catalogue probe that checks this path. */
  probe: string;
  layer: Layer;
  title: string;
  places: Place[];
  /** `hops[i]` leads from `places[i]` to `places[i + 1]`. */
  hops: Hop[];
  /** One sentence under the path: what to notice. */
  note: string;
}

export interface LayerSummary {
  layer: "node" | "pod" | "service" | "north-south";
  title: string;
  /** The lab's own values: CIDRs, node names, components. */
  what: string;
  how: string;
}

export interface PathModel {
  lab: string;
  clusterName: string;
  nodes: string[];
  layers: LayerSummary[];
  paths: TrafficPath[];
}

const you: Place = { id: "you", label: "you (curl on this machine)", kind: "you", zone: { host: true } };

const short = (cluster: string, node: string) =>
  node.startsWith(`${cluster}-`) ? node.slice(cluster.length + 1) : node;

function componentTitle(lab: ResolvedLab, kind: string): string | undefined {
  const s = lab.components.find((c) => c.component.kind === kind);
  if (!s) return undefined;
  return `${s.component.title}${s.version ? ` ${s.version}` : ""}`;
}

/** The four layers with this lab's values. */
export function layersOf(lab: ResolvedLab, nodes: string[]): LayerSummary[] {
  const c = lab.claims;
  const ns = [
    componentTitle(lab, "ingress") && `Ingress: ${componentTitle(lab, "ingress")}`,
    componentTitle(lab, "gateway") && `Gateway API: ${componentTitle(lab, "gateway")}`,
    componentTitle(lab, "loadBalancer") && `LoadBalancer: ${componentTitle(lab, "loadBalancer")}`,
  ].filter((x): x is string => !!x);
  const ports = lab.spec.hostPorts;
  return [
    {
      layer: "node",
      title: "Node network",
      what: `Docker network \`kind\`; nodes ${nodes.join(", ")}`,
      how: `kind runs each node as a container on the \`kind\` network; host ports bind to ${lab.spec.listenAddress} (NodePort ${ports.nodePort}${lab.capabilities.ingress ? `, Ingress ${ports.ingressHttp}/${ports.ingressHttps}` : ""})`,
    },
    {
      layer: "pod",
      title: "Pod network",
      what: `${lab.spec.podSubnet} via ${componentTitle(lab, "cni")}`,
      how: `${c.podEncapsulation.reason}. NetworkPolicy: ${c.networkPolicy.value ? "enforced" : "not enforced"} (${c.networkPolicy.reason})`,
    },
    {
      layer: "service",
      title: "Service network",
      what: `${lab.spec.serviceSubnet} via ${serviceProxyText(c.serviceProxy)}`,
      how: `${c.serviceProxy.reason}${c.kubeProxyReplacement.value ? ` (${c.kubeProxyReplacement.reason})` : ""}`,
    },
    {
      layer: "north-south",
      title: "North-south",
      what: ns.length ? ns.join("; ") : "none: only NodePorts reach the cluster from outside",
      how: [c.ingress, c.gatewayApi, c.loadBalancer].map((x) => x.reason).join("; "),
    },
  ];
}

/**
 * Who rewrites a pod's packet to a ClusterIP: the component that carries that path itself when
 * one does (Cilium's per-packet load balancer on the pod's interface, even next to kube-proxy:
 * cilium/cilium#16197, bpf/bpf_lxc.c), else the service proxy the claims name. The fault
 * signatures follow the same declaration, so the drawing and `labs faults` agree.
 */
function clusterIpFromPods(lab: ResolvedLab): string {
  const proxy = serviceProxyText(lab.claims.serviceProxy);
  const carrier = clusterIpCarrier(lab);
  return carrier ? `DNAT by ${carrier}, not ${proxy}` : `DNAT by ${proxy}`;
}

const planned = (plan: ProbesPlan, probe: string) => plan.checks.some((c) => c.probe === probe);

/** Every path the lab's probes check, most basic first. */
export function pathModel(lab: ResolvedLab, plan: ProbesPlan): PathModel {
  const cluster = lab.clusterName;
  const clients = plan.clients;
  const nodes = [...new Set(clients.map((c) => c.node))];
  const pod = ({ name, node }: { name: string; node: string }): Place => ({
    id: `pod:${name}`,
    label: `pod ${name}`,
    kind: "pod",
    zone: { node },
  });
  const nodePlace = (node: string, label: string): Place => ({
    id: `node:${node}`,
    label: `${short(cluster, node)} ${label}`,
    kind: "node",
    zone: { node },
  });
  const first = clients.find(
    (c) => c.node === nodes[0] && c.name !== "probe-peer" && c.name !== "probe-egress",
  );
  const peer = clients.find((c) => c.name === "probe-peer");
  const other = clients.find((c) => c.node !== nodes[0]);
  const claims = lab.claims;
  const proxy = serviceProxyText(claims.serviceProxy);
  const echoService: Place = {
    id: "svc:demo/echo",
    label: `Service echo.demo (ClusterIP in ${lab.spec.serviceSubnet})`,
    kind: "service",
    zone: { services: true },
  };
  const echoPods: Place = {
    id: "pods:demo/echo",
    label: "echo pods (any node)",
    kind: "pod",
    zone: { cluster: true },
  };
  const echoServices: Place = {
    id: "svc:demo/echo+v2",
    label: "Services echo / echo-v2",
    kind: "service",
    zone: { services: true },
  };
  /** You, through an HTTP proxy in the cluster (Ingress controller or Gateway), to the echo apps. */
  const throughProxy = (id: string, label: string): Place[] => [
    you,
    { id, label, kind: "proxy", zone: { cluster: true } },
    echoServices,
    echoPods,
  ];
  const paths: TrafficPath[] = [];
  /** Draws a path only when the plan checks its probe, so the picture and the probes tell one story. */
  const draw = (path: TrafficPath) => {
    if (planned(plan, path.probe)) paths.push(path);
  };

  if (first && peer)
    draw({
      probe: "pod-to-pod-same-node",
      layer: "pod",
      title: "Pod to pod on one node",
      places: [pod(first), pod(peer)],
      hops: [{ label: "veth pair and the node's own routes" }],
      note: "The packet never leaves the node: no tunnel, no NAT.",
    });
  if (first && other)
    draw({
      probe: "pod-to-pod-cross-node",
      layer: "pod",
      title: "Pod to pod across nodes",
      places: [pod(first), pod(other)],
      hops: [{ label: `${claims.podEncapsulation.value} (${claims.podEncapsulation.by})` }],
      note: `${claims.podEncapsulation.reason}. The pod IPs stay as they are: no NAT between pods.`,
    });
  if (other)
    draw({
      probe: "pod-to-cluster-ip",
      layer: "service",
      title: "Pod to a Service's ClusterIP",
      places: [pod(other), echoService, echoPods],
      hops: [{ label: "to the virtual IP" }, { label: clusterIpFromPods(lab) }],
      note: `${claims.serviceProxy.reason}. The ClusterIP belongs to no interface; the client's own node rewrites it.`,
    });
  if (first)
    draw({
      probe: "service-fqdn",
      layer: "service",
      title: "A Service by its DNS name",
      places: [
        pod(first),
        { id: "dns:coredns", label: "CoreDNS (kube-dns Service)", kind: "dns", zone: { services: true } },
        echoService,
      ],
      hops: [{ label: "UDP 53: echo.demo.svc.cluster.local?" }, { label: "answers the ClusterIP" }],
      note: "Names resolve to ClusterIPs; the pod's resolv.conf search list completes short names.",
    });
  if (nodes[0])
    draw({
      probe: "host-nodeport",
      layer: "node",
      title: "Your machine to a NodePort",
      places: [
        you,
        {
          id: "port:nodeport",
          label: `${lab.spec.listenAddress}:${lab.spec.hostPorts.nodePort} (Docker port mapping)`,
          kind: "port",
          zone: { host: true },
        },
        nodePlace(nodes[0], `NodePort${portOf(plan, "nodeport-own-node")}`),
        echoPods,
      ],
      hops: [{ label: "TCP" }, { label: "docker-proxy / DNAT" }, { label: `${proxy} picks a pod` }],
      note: "Every node opens the node port; the one you reach may forward to a pod on another node.",
    });
  draw({
    probe: "host-loadbalancer",
    layer: "north-south",
    title: "Your machine to a LoadBalancer Service",
    places: [
      you,
      {
        id: "lb:echo-lb",
        label: `LoadBalancer IP (${componentTitle(lab, "loadBalancer") ?? "load balancer"})`,
        kind: "proxy",
        zone: { cluster: true },
      },
      echoPods,
    ],
    hops: [
      { label: "an address on the kind network" },
      { label: `${proxy}: Cluster SNATs, Local keeps you` },
    ],
    note: claims.loadBalancer.reason,
  });
  draw({
    probe: planned(plan, "ingress-paths") ? "ingress-paths" : "ingress-host-rule",
    layer: "north-south",
    title: "Your machine through the Ingress",
    places: throughProxy("proxy:ingress", `Ingress controller (${componentTitle(lab, "ingress")})`),
    hops: [
      { label: `HTTP :${lab.spec.hostPorts.ingressHttp}, Host and path rules` },
      { label: "the controller proxies" },
      { label: "to an endpoint" },
    ],
    note: claims.ingress.reason,
  });
  draw({
    probe: "gateway-routes",
    layer: "north-south",
    title: "Your machine through a Gateway",
    places: throughProxy("proxy:gateway", `Gateway (${componentTitle(lab, "gateway")})`),
    hops: [
      { label: "HTTP listener" },
      { label: "HTTPRoute rules: path, header, weight" },
      { label: "to an endpoint" },
    ],
    note: claims.gatewayApi.reason,
  });
  const deny = plan.checks.find((c) => c.probe === "netpol-ingress" && c.id.endsWith("/netpol-deny"));
  if (first && deny)
    draw({
      probe: "netpol-ingress",
      layer: "policy",
      title: "NetworkPolicy: a default-deny target",
      places: [
        pod(first),
        {
          id: "pod:netpol-deny",
          label: "pod netpol-deny (default deny)",
          kind: "pod",
          zone: { cluster: true },
        },
      ],
      hops: [
        claims.networkPolicy.value
          ? { label: `dropped by ${claims.networkPolicy.by}`, blocked: true }
          : { label: `passes: ${claims.networkPolicy.by} does not enforce policy` },
      ],
      note: claims.networkPolicy.reason,
    });
  return { lab: lab.spec.name, clusterName: cluster, nodes, layers: layersOf(lab, nodes), paths };
}

/** `:30080` from the first check of a probe that names a literal port, else nothing. */
function portOf(plan: ProbesPlan, probe: string): string {
  const action = plan.checks.find((c) => c.probe === probe)?.action;
  return action && "to" in action && typeof action.to.port === "number" ? ` :${action.to.port}` : "";
}
