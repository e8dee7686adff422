/**
 * Faults of what kind and Kubernetes themselves provide, whatever the lab's components: the node
 * network (kind's Docker network), the kubelet, CoreDNS (kind installs it with kubeadm), and the
 * Service and NetworkPolicy objects every cluster has. Component faults live with their
 * components (`faults` in the descriptor); this is the one place for the rest.
 */
import {
  type FaultCommand,
  type FaultOffer,
  kubectlStep,
  mergePatchStep,
  NOT_FOUND,
  onNode,
  type UnavailableFault,
} from "../components/fault.ts";
import type { ResolvedLab } from "../components/resolve.ts";
import type { ServiceInfo } from "../probes/probe-lab.ts";

export interface ClusterFaultInput {
  lab: ResolvedLab;
  /** The lab's main app Service, when it has one. */
  main?: ServiceInfo;
}

/** The node cluster faults aim at: the second node (a worker in every multi-node catalogue lab). */
const TARGET_NODE = 1;
const COREDNS = ["--namespace", "kube-system"];
/** The lab's main app Service, as the fault's steps name it (filled in when the fault runs). */
const MAIN_SERVICE = { namespace: "${NAMESPACE}", resource: "service", name: "${SERVICE}" };
/** `kubectl` arguments that list the main Service's EndpointSlices: where its Service faults show. */
const mainEndpointSlices = (...output: string[]) => [
  "--namespace",
  MAIN_SERVICE.namespace,
  "get",
  "endpointslices",
  "--selector",
  `kubernetes.io/service-name=${MAIN_SERVICE.name}`,
  ...output,
];
/** TEST-NET-1 (RFC 5737): documentation space, never routed, so queries forwarded there vanish. */
const BLACKHOLE_RESOLVER = "192.0.2.53";
/** The Corefile line kubeadm writes (cmd/kubeadm/app/phases/addons/dns/manifests.go). */
const FORWARD_LINE = "forward . /etc/resolv.conf";
const EVICTION =
  "After 5 minutes Kubernetes evicts the node's pods; the probe pods are bare pods, so `labs up` recreates them once the lab is fixed.";

const unavailable = (f: Omit<UnavailableFault, "unavailable">, why: string): UnavailableFault => ({
  ...f,
  unavailable: why,
});

function nodeLinkDown(lab: ResolvedLab): FaultOffer {
  const head = {
    id: "node-link-down",
    layer: "node" as const,
    title: "a node's link to the kind network down",
  };
  if (lab.spec.nodes.controlPlanes + lab.spec.nodes.workers < 2)
    return unavailable(
      head,
      "the lab has one node, which also runs the API server: with its link down nothing could even run the probes",
    );
  const addr = (family: "-4" | "-6", what: string) => ["sh", "-c", `ip ${family} ${what} | head -n 1`];
  return {
    ...head,
    does: "takes eth0 down inside ${NODE_1}: the node drops off the kind network, its kubelet, its pods and its node ports with it",
    undo: "brings eth0 up again and restores the node's default routes and IPv6 address, which the kernel removed with the link",
    effect: { kind: "node-unreachable", node: TARGET_NODE },
    observe: `Checks from the node's probe pod cannot run at all (kubectl exec goes through its kubelet); checks to the node, its pods or its node ports fail; the rest depends on where Services' pods run. After about 40 s the node turns NotReady. ${EVICTION}`,
    look: [
      { run: { kubectl: ["get", "nodes"] }, shows: "the node NotReady after about 40 s" },
      { run: { node: TARGET_NODE, command: ["ip", "-brief", "link", "show", "eth0"] }, shows: "eth0 DOWN" },
    ],
    lookups: [
      {
        name: "DEFAULT4",
        run: { node: TARGET_NODE, command: addr("-4", "route show default") },
        describes: "the node's IPv4 default route",
      },
      {
        name: "DEFAULT6",
        run: { node: TARGET_NODE, command: addr("-6", "route show default") },
        describes: "the node's IPv6 default route",
        mayBeEmpty: true,
      },
      {
        name: "ADDR6",
        run: {
          node: TARGET_NODE,
          command: ["sh", "-c", "ip -6 -o address show dev eth0 scope global | awk '{print $4}' | head -n 1"],
        },
        describes: "the node's IPv6 address on the kind network",
        mayBeEmpty: true,
      },
    ],
    apply: [
      onNode(TARGET_NODE, "take the node's link to the kind network down", [
        "ip",
        "link",
        "set",
        "eth0",
        "down",
      ]),
    ],
    revert: [
      onNode(TARGET_NODE, "bring the link up and restore what the kernel removed with it", [
        "sh",
        "-c",
        'ip link set eth0 up && ip -4 route replace ${DEFAULT4} && { [ -z "${ADDR6}" ] || ip -6 address replace ${ADDR6} dev eth0 nodad; } && { [ -z "${DEFAULT6}" ] || ip -6 route replace ${DEFAULT6}; }',
      ]),
    ],
    source: "kind: nodes are containers on the `kind` Docker network, reached through eth0",
  };
}

function kubeletStopped(lab: ResolvedLab): FaultOffer {
  const head = { id: "kubelet-stopped", layer: "node" as const, title: "a node's kubelet stopped" };
  if (lab.spec.nodes.controlPlanes + lab.spec.nodes.workers < 2)
    return unavailable(
      head,
      "every probe pod runs on the lab's only node, and kubectl exec reaches them through its kubelet: no probe could run",
    );
  return {
    ...head,
    does: "stops the kubelet (systemd) on ${NODE_1}: its containers keep running, but the control plane no longer hears from it",
    undo: "starts the kubelet again; the node turns Ready within seconds",
    effect: { kind: "kubelet-down", node: TARGET_NODE },
    observe: `The dataplane is untouched: Services, pods and DNS keep answering. Only what goes through the kubelet breaks: kubectl exec into the node's probe pod and its port 10250. The control plane sees the node NotReady after about 40 s. ${EVICTION}`,
    look: [
      { run: { kubectl: ["get", "nodes"] }, shows: "the node NotReady after about 40 s" },
      { run: { node: TARGET_NODE, command: ["systemctl", "is-active", "kubelet"] }, shows: "inactive" },
      { run: { node: TARGET_NODE, command: ["crictl", "ps"] }, shows: "its containers still running" },
    ],
    apply: [onNode(TARGET_NODE, "stop the kubelet", ["systemctl", "stop", "kubelet"])],
    revert: [onNode(TARGET_NODE, "start the kubelet", ["systemctl", "start", "kubelet"])],
    source: "kind nodes run systemd; kubelet-to-API-server heartbeats (node-monitor-grace-period 40 s)",
  };
}

function noMain(head: Omit<UnavailableFault, "unavailable">): UnavailableFault {
  return unavailable(head, "the lab has no app Service its probes reach by name (no `apps`)");
}

function selectorMismatch(main: ServiceInfo | undefined): FaultOffer {
  const head = {
    id: "service-selector-mismatch",
    layer: "service" as const,
    title: "a Service whose selector matches nothing",
  };
  if (!main) return noMain(head);
  const patch = (value: string | null) => JSON.stringify({ spec: { selector: { "labs.dev/fault": value } } });
  return {
    ...head,
    does: "adds labs.dev/fault=no-pod to the selector of Service ${SERVICE}: no pod matches, the EndpointSlice controller empties its endpoints",
    undo: "removes the extra selector key; the endpoints come back at once",
    effect: { kind: "service-no-endpoints", service: "main" },
    observe:
      "Every check through this one Service fails, the rest of the service network works, and its pods still answer by their own IPs. `kubectl get endpointslices` shows why.",
    look: [
      {
        run: { kubectl: mainEndpointSlices() },
        shows: "no endpoints",
      },
      {
        run: { kubectl: ["--namespace", "${NAMESPACE}", "describe", "service", "${SERVICE}"] },
        shows: "the selector with labs.dev/fault=no-pod, and `Endpoints: <none>`",
      },
    ],
    apply: [mergePatchStep("add a selector key no pod has", MAIN_SERVICE, patch("no-pod"))],
    revert: [mergePatchStep("remove the extra selector key", MAIN_SERVICE, patch(null))],
    source: "the EndpointSlice controller selects pods with the Service's selector",
  };
}

function targetPortWrong(main: ServiceInfo | undefined): FaultOffer {
  const head = {
    id: "service-target-port-wrong",
    layer: "service" as const,
    title: "a Service's targetPort pointing at nothing",
  };
  if (!main) return noMain(head);
  const index = main.ports.findIndex((p) => p.protocol === "TCP" && p.name === "http");
  const i = index >= 0 ? index : main.ports.findIndex((p) => p.protocol === "TCP");
  const port = main.ports[i];
  if (!port) return unavailable(head, `${main.service}.${main.namespace} has no TCP port`);
  const original = port.targetPort ?? port.port;
  // Port 9 (discard): nothing in the lab's pods listens there, so their kernel answers with a reset.
  const wrong = 9;
  const patch = (value: number | string) =>
    JSON.stringify([
      { op: "test", path: `/spec/ports/${i}/port`, value: port.port },
      { op: "replace", path: `/spec/ports/${i}/targetPort`, value },
    ]);
  const edit = (value: number | string, does: string) =>
    kubectlStep(does, [
      "--namespace",
      "${NAMESPACE}",
      "patch",
      "service",
      "${SERVICE}",
      "--type",
      "json",
      "--patch",
      patch(value),
    ]);
  return {
    ...head,
    does: `points port ${port.port} of Service \${SERVICE} at targetPort ${wrong}, where nothing listens: the service proxy still translates, and the pods refuse`,
    undo: `sets targetPort back to ${original}`,
    effect: { kind: "service-port-refused", service: "main" },
    observe: `HTTP through this Service is refused at once, while its other ports (UDP ${
      main.ports
        .filter((p) => p.protocol === "UDP")
        .map((p) => p.port)
        .join(", ") || "none"
    }) still answer: the Service, its endpoints and the proxy rules all exist, they just lead to a closed port.`,
    look: [
      {
        run: { kubectl: mainEndpointSlices("--output", "yaml") },
        shows: `ready endpoints on port ${wrong}`,
      },
    ],
    apply: [edit(wrong, `point targetPort of port ${port.port} at ${wrong}`)],
    revert: [edit(original, `set targetPort of port ${port.port} back to ${original}`)],
    source:
      "the EndpointSlice controller resolves targetPort into each endpoint's port; the service proxy DNATs to it",
  };
}

function corednsScaledToZero(): FaultOffer {
  return {
    id: "coredns-scaled-to-zero",
    layer: "dns",
    title: "CoreDNS scaled to zero",
    does: "scales the coredns Deployment to 0 replicas: the kube-dns Service keeps its ClusterIP and has no endpoint left",
    undo: "scales coredns back to the replicas it had, and waits until they are ready",
    effect: { kind: "dns-down" },
    observe:
      "Every check that resolves a name fails, however it would have gone on; the same Services by ClusterIP, and pods by IP, still answer. The pods' resolv.conf still points at the kube-dns ClusterIP.",
    look: [
      { run: { kubectl: [...COREDNS, "get", "deployment", "coredns"] }, shows: "0/0 ready" },
      {
        run: {
          kubectl: [...COREDNS, "get", "endpointslices", "--selector", "kubernetes.io/service-name=kube-dns"],
        },
        shows: "no endpoints behind the kube-dns ClusterIP",
      },
    ],
    lookups: [
      {
        name: "REPLICAS",
        run: {
          kubectl: [...COREDNS, "get", "deployment", "coredns", "--output", "jsonpath={.spec.replicas}"],
        },
        describes: "coredns's replicas",
      },
    ],
    apply: [
      kubectlStep("scale coredns to zero", [...COREDNS, "scale", "deployment", "coredns", "--replicas=0"]),
      kubectlStep("wait until every CoreDNS pod is gone", [
        ...COREDNS,
        "wait",
        "--for=delete",
        "pod",
        "--selector",
        "k8s-app=kube-dns",
        "--timeout=120s",
      ]),
    ],
    revert: [
      kubectlStep("scale coredns back", [
        ...COREDNS,
        "scale",
        "deployment",
        "coredns",
        "--replicas=${REPLICAS}",
      ]),
      kubectlStep("wait until CoreDNS is ready", [
        ...COREDNS,
        "rollout",
        "status",
        "deployment/coredns",
        "--timeout=180s",
      ]),
    ],
    source: "kubeadm's CoreDNS addon (Deployment coredns, Service kube-dns, label k8s-app=kube-dns)",
  };
}

/**
 * CoreDNS forwards names outside its zones to an address that never answers. Seen by the
 * dns-upstream probe, which resolves a kind node's name through CoreDNS's forward to Docker's DNS
 * (lib/probes/catalogue/dns.ts): where no check resolves a name outside the cluster, labFaults
 * lists the fault as one the probes cannot see.
 *
 * CoreDNS's `reload` plugin would pick the edited Corefile up by itself, but late: it checks every
 * 30 s ± 15 s (coredns plugin/reload README), and only once the kubelet has refreshed the mounted
 * ConfigMap, up to its sync period (1 min) later. A rollout restart makes the change hold when
 * `labs break` returns, and the new pods start with an empty cache (kubeadm's `cache 30` would
 * otherwise answer a name asked just before).
 */
function corednsUpstreamBroken(): FaultOffer {
  const corefile = (variable: string) => `{"data":{"Corefile":\${${variable}:json}}}`;
  const getCorefile: FaultCommand = {
    kubectl: [...COREDNS, "get", "configmap", "coredns", "--output", "jsonpath={.data.Corefile}"],
  };
  const restart = [
    kubectlStep(
      "restart CoreDNS so it reads the Corefile now (its reload plugin would take up to a minute and a half)",
      [...COREDNS, "rollout", "restart", "deployment/coredns"],
    ),
    kubectlStep("wait until CoreDNS is ready", [
      ...COREDNS,
      "rollout",
      "status",
      "deployment/coredns",
      "--timeout=180s",
    ]),
  ];
  return {
    id: "coredns-upstream-broken",
    layer: "dns",
    title: "a broken upstream in CoreDNS's Corefile",
    does: `rewrites \`${FORWARD_LINE}\` in the coredns ConfigMap to forward to ${BLACKHOLE_RESOLVER}, an address that never answers, and restarts CoreDNS: cluster names still resolve, names outside the cluster do not`,
    undo: "puts back the Corefile exactly as it was read before the break, and restarts CoreDNS",
    effect: { kind: "dns-upstream-down" },
    observe:
      "Names inside cluster.local still resolve: CoreDNS's kubernetes plugin answers them itself. A name outside the cluster fails, such as a kind node's own name, which Docker's DNS on the node answered through CoreDNS's forward: CoreDNS now forwards it to an address that never answers, and its log says so (i/o timeout). The node's resolv.conf shows where CoreDNS forwarded before.",
    look: [
      { run: getCorefile, shows: `forward . ${BLACKHOLE_RESOLVER} where kubeadm wrote ${FORWARD_LINE}` },
      {
        run: { kubectl: [...COREDNS, "logs", "deployment/coredns", "--tail=20"] },
        shows: `[ERROR] plugin/errors: … read udp …->${BLACKHOLE_RESOLVER}:53: i/o timeout`,
      },
      {
        run: { node: 0, command: ["cat", "/etc/resolv.conf"] },
        shows:
          "the node's own resolver, Docker's DNS behind the kind network's gateway: where CoreDNS forwards when the Corefile says /etc/resolv.conf",
      },
    ],
    lookups: [
      // Verbatim: the undo puts back these very bytes, down to the last newline.
      { name: "COREFILE", run: getCorefile, describes: "CoreDNS's Corefile", verbatim: true },
      {
        name: "BROKEN_COREFILE",
        run: getCorefile,
        describes: "CoreDNS's Corefile",
        verbatim: true,
        edit: { replace: FORWARD_LINE, with: `forward . ${BLACKHOLE_RESOLVER}` },
      },
    ],
    apply: [
      mergePatchStep(
        "forward names outside the cluster to an address that never answers",
        { namespace: "kube-system", resource: "configmap", name: "coredns" },
        corefile("BROKEN_COREFILE"),
      ),
      ...restart,
    ],
    revert: [
      mergePatchStep(
        "put the Corefile back as it was",
        { namespace: "kube-system", resource: "configmap", name: "coredns" },
        corefile("COREFILE"),
      ),
      ...restart,
    ],
    source:
      "kubeadm's Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go: kubernetes plugin for cluster.local, `forward . /etc/resolv.conf`, `reload`); kind's entrypoint points the nodes' resolv.conf at Docker's DNS (images/base/files/usr/local/bin/entrypoint@v0.32.0)",
  };
}

function strayDefaultDeny(lab: ResolvedLab, main: ServiceInfo | undefined): FaultOffer {
  const head = {
    id: "stray-default-deny",
    layer: "policy" as const,
    title: "a stray default-deny policy in the apps namespace",
  };
  const claim = lab.claims.networkPolicy;
  if (!claim.value)
    return unavailable(
      head,
      `${claim.reason}: the policy would be stored and ignored, so nothing breaks and no probe could point at it (the guide's deny-all exercise shows exactly that)`,
    );
  if (!main) return noMain(head);
  const policy = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: "labs-fault-default-deny",
      namespace: "${NAMESPACE}",
      labels: { "labs.dev/fault": "stray-default-deny" },
    },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
  return {
    ...head,
    does: `applies a NetworkPolicy that selects every pod of namespace \${NAMESPACE} and allows no ingress; ${claim.by} enforces it`,
    undo: "deletes the policy",
    effect: { kind: "namespace-deny-ingress", namespace: "${NAMESPACE}" },
    observe:
      "Every connection into the apps' pods from other pods is dropped, by Service or by pod IP; DNS and the probes' own pods are untouched. `kubectl get networkpolicy -A` shows the culprit among the lab's own policies.",
    look: [
      {
        run: { kubectl: ["get", "networkpolicy", "--all-namespaces"] },
        shows: "labs-fault-default-deny next to the probes' own policies",
      },
    ],
    apply: [
      kubectlStep("apply the default-deny policy", ["apply", "--filename", "-"], {
        stdin: `${JSON.stringify(policy, null, 2)}\n`,
      }),
    ],
    revert: [
      kubectlStep(
        "delete the policy",
        [
          "--namespace",
          "${NAMESPACE}",
          "delete",
          "networkpolicy",
          "labs-fault-default-deny",
          "--ignore-not-found",
        ],
        {
          alreadyDone: NOT_FOUND,
        },
      ),
    ],
    source: `${claim.by}: ${claim.reason}`,
  };
}

/** Every cluster-level fault of a lab, available or not. */
export function clusterFaults({ lab, main }: ClusterFaultInput): FaultOffer[] {
  return [
    nodeLinkDown(lab),
    kubeletStopped(lab),
    selectorMismatch(main),
    targetPortWrong(main),
    corednsScaledToZero(),
    corednsUpstreamBroken(),
    strayDefaultDeny(lab, main),
  ];
}
