/**
 * Break-fix faults, as components declare them: what a fault breaks (its effect, which the
 * signature engine in lib/faults maps onto every probe check's path), how it is applied and
 * undone (commands kept as data, run only by lib/runtime), and what a learner looks with.
 *
 * A component declares the faults of the layer it owns (`faults` in its descriptor): a CNI its
 * pod network, a proxy mode its Service rules, an ingress or gateway its controller, a load
 * balancer its pool. What kind and Kubernetes themselves provide (the node network, CoreDNS,
 * Services and NetworkPolicy objects) is declared in one place: lib/faults/cluster-faults.ts.
 */

/** The layer a fault breaks: the probes' layers, with DNS apart because it has faults of its own. */
export const FAULT_LAYERS = ["node", "pod", "service", "dns", "policy", "north-south", "dataplane"] as const;
export type FaultLayer = (typeof FAULT_LAYERS)[number];

export const FAULT_LAYER_TITLES: Record<FaultLayer, string> = {
  node: "node network",
  pod: "pod network",
  service: "service network",
  dns: "DNS",
  policy: "NetworkPolicy",
  "north-south": "north-south",
  dataplane: "dataplane on the nodes",
};

/**
 * A kind node by its place in kind's order: 0 is the first control plane, then the other control
 * planes, then the workers. Faults aim at a node this way; lib/faults turns it into the name.
 */
export type NodeRef = number;

export interface ServiceTarget {
  namespace: string;
  service: string;
}

/**
 * The Service a fault aims at: a named one, or `main`, the lab's main app Service (the first
 * ClusterIP Service its probes reach by name), which lib/faults fills in. Steps and looks may say
 * `${SERVICE}` and `${NAMESPACE}` for it.
 */
export type ServiceChoice = ServiceTarget | "main";

/**
 * What a fault breaks, in the terms of a check's path (lib/faults/paths.ts): the signature
 * engine decides from it, check by check, what must fail, what may fail and what still passes.
 */
export type FaultEffect =
  /** The node cannot be reached on the node network (its link is down). */
  | { kind: "node-unreachable"; node: NodeRef }
  /** The node's kubelet is stopped: the control plane loses the node, its dataplane keeps going. */
  | { kind: "kubelet-down"; node: NodeRef }
  /** Pod traffic between two nodes is lost, both ways (the route from the first to the second is gone). */
  | { kind: "pod-network-cut"; between: [NodeRef, NodeRef] }
  /** Pod traffic between this node and every other node is lost (its tunnel is cut). */
  | { kind: "pod-network-isolated"; node: NodeRef }
  /**
   * The service proxy translates nothing on any node (kube-proxy stopped, its rules flushed).
   * `nodePortsMayAnswer`: why node ports may still answer some connections (the reason), when
   * what is left of the proxy's state can still carry them.
   */
  | { kind: "service-proxy-down"; nodePortsMayAnswer?: string }
  /** Every service proxy leaves one Service alone: its ClusterIP leads nowhere. */
  | { kind: "service-unprogrammed"; service: ServiceChoice }
  /** One Service has no endpoints (its selector matches no pod). */
  | { kind: "service-no-endpoints"; service: ServiceChoice }
  /** The TCP port of a Service that answers HTTP sends to a port nothing listens on. */
  | { kind: "service-port-refused"; service: ServiceChoice }
  /** Cluster DNS answers nothing. */
  | { kind: "dns-down" }
  /** Cluster DNS answers cluster names but cannot resolve names outside the cluster. */
  | { kind: "dns-upstream-down" }
  /** Every pod of a namespace refuses new connections (a default-deny ingress policy). */
  | { kind: "namespace-deny-ingress"; namespace: string }
  /** An ingress or a gateway serves nothing. */
  | { kind: "north-south-down"; serves: "ingress" | "gateway" }
  /** LoadBalancer Services lose their external addresses. */
  | { kind: "load-balancer-addresses-gone" };

/**
 * A command kept as data. `kubectl` runs against the lab's own kubeconfig (the runtime adds it);
 * `node` runs in a node container with `docker exec` (`every`: once per node). `${NAME}` in an
 * argument is a value looked up before the fault is applied (`Fault.lookups`); `${NAME:json}` is
 * the same value as a JSON string.
 */
export type FaultCommand =
  | { kubectl: string[]; stdin?: string }
  | { node: NodeRef | "every"; command: string[] };

export interface FaultStep {
  /** What the step does, in words, for logs and learners. */
  does: string;
  run: FaultCommand;
  /**
   * A failure whose output matches this regular expression means the step's end state already
   * holds (an object already gone, a rule already removed): `break` and `fix` stay idempotent.
   */
  alreadyDone?: string;
}

/** A value read from the running cluster before a fault is applied, recorded with it, used by its steps. */
export interface FaultLookup {
  name: string;
  run: FaultCommand;
  /** What the value is, for the message when it cannot be read. */
  describes: string;
  /** An empty answer is a valid value (the default: it is an error). */
  mayBeEmpty?: boolean;
  /**
   * The answer byte for byte, as a file to be put back exactly (the default trims the white space
   * around it, as for a count or an address).
   */
  verbatim?: boolean;
  /** Replace this text of the answer (which must contain it) before using it. */
  edit?: { replace: string; with: string };
}

/** A command that shows the fault on a running lab, and what it shows. */
export interface FaultLook {
  run: FaultCommand;
  shows: string;
}

/** A node inspection (component `inspections`) the fault makes fail, on one node or on every node. */
export interface BrokenInspection {
  id: string;
  node?: NodeRef;
}

export interface Fault {
  /** Unique in a lab, e.g. `kube-proxy-rules-flushed`. */
  id: string;
  layer: FaultLayer;
  title: string;
  /** One sentence: what it does, on this lab's dataplane. */
  does: string;
  /** One sentence: how `labs fix` undoes it. */
  undo: string;
  effect: FaultEffect;
  /** Node inspections it makes fail (others are not affected). */
  breaksInspections?: BrokenInspection[];
  /** What a learner should observe and try, in a sentence or two. */
  observe: string;
  look: FaultLook[];
  lookups?: FaultLookup[];
  apply: FaultStep[];
  revert: FaultStep[];
  /** Where the fact that decides its effect comes from (upstream source or documentation). */
  source?: string;
}

/** A fault of this layer that cannot exist in this lab, with the reason (listed by `labs faults --json`). */
export interface UnavailableFault {
  id: string;
  layer: FaultLayer;
  title: string;
  unavailable: string;
}

export type FaultOffer = Fault | UnavailableFault;

export const isAvailable = (f: FaultOffer): f is Fault => !("unavailable" in f);

/**
 * A path a component carries although the capabilities name another component for it, so that
 * a fault of that other component does not touch it. Cilium without kube-proxy replacement still
 * translates the ClusterIPs of pod traffic in its own per-packet load balancer.
 */
export interface CarriedPath {
  path: "cluster-ip-from-pods";
  reason: string;
}

/** What a component's `faults` returns. */
export interface ComponentFaults {
  faults: FaultOffer[];
  carries?: CarriedPath[];
}

/** A step that runs on one node (or on every node). */
export const onNode = (
  node: NodeRef | "every",
  does: string,
  command: string[],
  alreadyDone?: string,
): FaultStep => ({ does, run: { node, command }, ...(alreadyDone ? { alreadyDone } : {}) });

/** A kubectl step. */
export const kubectlStep = (
  does: string,
  args: string[],
  extra: { stdin?: string; alreadyDone?: string } = {},
): FaultStep => ({
  does,
  run: { kubectl: args, ...(extra.stdin !== undefined ? { stdin: extra.stdin } : {}) },
  ...(extra.alreadyDone ? { alreadyDone: extra.alreadyDone } : {}),
});

/** kubectl's answer when the object to change or delete is not there. */
export const NOT_FOUND = "NotFound|not found";

/**
 * Pauses a DaemonSet everywhere without deleting it: a nodeSelector no node matches makes the
 * DaemonSet controller delete its pods and schedule none. Undo removes the key (a merge patch with
 * null, which is a no-op when it is already gone). Returns the apply and revert steps.
 */
export function pauseDaemonSet(
  namespace: string,
  name: string,
  why: string,
): { apply: FaultStep[]; revert: FaultStep[]; selector: string } {
  const key = "labs.dev/fault";
  const patch = (value: string | null) =>
    JSON.stringify({ spec: { template: { spec: { nodeSelector: { [key]: value } } } } });
  return {
    selector: `${key}=paused`,
    apply: [
      kubectlStep(`pause DaemonSet ${namespace}/${name}: ${why}`, [
        "--namespace",
        namespace,
        "patch",
        "daemonset",
        name,
        "--type",
        "merge",
        "--patch",
        patch("paused"),
      ]),
    ],
    revert: [
      kubectlStep(`let DaemonSet ${namespace}/${name} run on every node again`, [
        "--namespace",
        namespace,
        "patch",
        "daemonset",
        name,
        "--type",
        "merge",
        "--patch",
        patch(null),
      ]),
      kubectlStep(`wait until ${name} runs on every node`, [
        "--namespace",
        namespace,
        "rollout",
        "status",
        `daemonset/${name}`,
        "--timeout=180s",
      ]),
    ],
  };
}

/** The label every service proxy honours: a Service that carries it belongs to another proxy. */
export const SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";

/**
 * The lab's main Service handed to "another" service proxy: kube-proxy (every mode) and Cilium
 * list Services with a selector that leaves out those labelled service.kubernetes.io/service-proxy-name
 * (kubernetes cmd/kube-proxy/app/server.go `noProxyName`; cilium pkg/k8s `K8sServiceProxyName`,
 * empty by default), so they remove its rules and keep them removed until the label goes.
 */
export function serviceUnprogrammed(proxy: string, look: FaultLook[], source: string): Fault {
  const label = (value: string) => [
    "--namespace",
    "${NAMESPACE}",
    "label",
    "service",
    "${SERVICE}",
    value,
    "--overwrite",
  ];
  return {
    id: "service-unprogrammed",
    layer: "service",
    title: `${proxy} drops one Service`,
    does: `labels Service \${SERVICE} with ${SERVICE_PROXY_NAME_LABEL}=labs-fault, so ${proxy} removes every rule it wrote for it: its ClusterIP leads nowhere, every other Service still works`,
    undo: `removes the label; ${proxy} programs the Service again within seconds`,
    effect: { kind: "service-unprogrammed", service: "main" },
    observe:
      "Only the checks through this one Service fail; its name still resolves (CoreDNS knows it), and its pods still answer by their own IPs. The Service object looks fine: the label is the clue.",
    look: [
      {
        run: { kubectl: ["--namespace", "${NAMESPACE}", "get", "service", "${SERVICE}", "--show-labels"] },
        shows: `the ${SERVICE_PROXY_NAME_LABEL} label that tells ${proxy} the Service is not its own`,
      },
      ...look,
    ],
    apply: [
      kubectlStep(
        `hand \${SERVICE} to a service proxy that does not exist`,
        label(`${SERVICE_PROXY_NAME_LABEL}=labs-fault`),
      ),
    ],
    revert: [
      kubectlStep(
        `give \${SERVICE} back to ${proxy}`,
        label(`${SERVICE_PROXY_NAME_LABEL}-`).filter((a) => a !== "--overwrite"),
        { alreadyDone: `${NOT_FOUND}|label "${SERVICE_PROXY_NAME_LABEL}" not found` },
      ),
    ],
    source,
  };
}

/** A tunnel's UDP port dropped on one node, in a nftables table of labs' own (no CNI touches it). */
export function udpPortDropped(
  node: NodeRef,
  port: number,
): { apply: FaultStep[]; revert: FaultStep[]; look: FaultLook } {
  return {
    apply: [
      onNode(node, "create labs' own nftables table", ["nft", "add table inet labs_fault"]),
      onNode(node, "hook an input chain into it", [
        "nft",
        "add chain inet labs_fault input { type filter hook input priority 0 ; policy accept ; }",
      ]),
      onNode(node, `drop every UDP packet to port ${port} that arrives at this node`, [
        "nft",
        `add rule inet labs_fault input udp dport ${port} counter drop`,
      ]),
    ],
    revert: [
      onNode(
        node,
        "delete labs' nftables table",
        ["nft", "delete table inet labs_fault"],
        "No such file or directory",
      ),
    ],
    look: {
      run: { node, command: ["nft", "list", "table", "inet", "labs_fault"] },
      shows: `the drop rule and its counter: every tunnelled packet from another node is one more (UDP ${port})`,
    },
  };
}

/**
 * Deployments scaled to zero, then back to the replicas they had (looked up and recorded before
 * the fault). Each target is a Deployment by name or by label selector; they are scaled down in
 * order and back up in reverse order, so a controller scaled down first cannot restore the rest.
 */
export function scaledToZero(
  targets: { namespace: string; name?: string; selector?: string; variable: string; what: string }[],
): { lookups: FaultLookup[]; apply: FaultStep[]; revert: FaultStep[] } {
  const which = (t: (typeof targets)[number]) =>
    t.name ? ["deployment", t.name] : ["deployment", "--selector", t.selector!];
  return {
    lookups: targets.map((t) => ({
      name: t.variable,
      run: {
        kubectl: [
          "--namespace",
          t.namespace,
          "get",
          ...which(t),
          "--output",
          t.name ? "jsonpath={.spec.replicas}" : "jsonpath={.items[0].spec.replicas}",
        ],
      },
      describes: `the replicas of ${t.what}`,
    })),
    apply: targets.map((t) =>
      kubectlStep(`scale ${t.what} to zero`, [
        "--namespace",
        t.namespace,
        "scale",
        ...which(t),
        "--replicas=0",
      ]),
    ),
    revert: [...targets]
      .reverse()
      .flatMap((t) => [
        kubectlStep(`scale ${t.what} back`, [
          "--namespace",
          t.namespace,
          "scale",
          ...which(t),
          `--replicas=\${${t.variable}}`,
        ]),
        kubectlStep(`wait until ${t.what} is available`, [
          "--namespace",
          t.namespace,
          "wait",
          "--for=condition=Available",
          ...which(t),
          "--timeout=180s",
        ]),
      ]),
  };
}
