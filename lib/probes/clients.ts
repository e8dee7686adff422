/**
 * Names and places of the probe stage's pods, as plain data: the catalogue plans checks from
 * them, the probe-clients construct writes them, the runtime execs into them.
 *
 * One client per kind node, plus a peer on the first node (so same-node and cross-node paths
 * both exist), plus a client whose egress a NetworkPolicy restricts to DNS. Every client also
 * runs agnhost netexec, so clients are targets too: pod-to-pod checks do not depend on where the
 * scheduler put the lab's apps.
 */
import { netexecAnswers } from "../components/apps/answers.ts";
import type { Labels, PodSet } from "./probes-plan.ts";

export const PROBES_NAMESPACE = "labs-probes";
/** The NetworkPolicy truth table's targets live apart, so their policies touch nothing else. */
export const NETPOL_NAMESPACE = "labs-netpol";

/** agnhost netexec in every client and policy target. */
export const TARGET_HTTP_PORT = 8080;
export const TARGET_UDP_PORT = 8081;
export const TARGET_NETEXEC_ARGS = [
  "netexec",
  `--http-port=${TARGET_HTTP_PORT}`,
  `--udp-port=${TARGET_UDP_PORT}`,
];
/** What the clients and policy targets answer (they are not in the stages the planner reads). */
export const TARGET_ANSWERS = netexecAnswers(TARGET_NETEXEC_ARGS);

export const CLIENT_LABELS: Labels = {
  app: "labs-probe",
  "labs.dev/role": "probe-client",
  "app.kubernetes.io/part-of": "labs",
};
/** The label the allow rule of the truth table names. */
export const ALLOWED_CLIENT_LABEL = "labs.dev/netpol-client";
export const ALLOWED_CLIENT_VALUE = "allowed";
/** The label the egress policy (deny all but DNS) selects. */
export const EGRESS_RESTRICTED_LABEL = "labs.dev/netpol-egress";
export const EGRESS_RESTRICTED_VALUE = "dns-only";
/** Selects the one client behind the hairpin Service. */
export const HAIRPIN_LABEL = "labs.dev/hairpin";
export const HAIRPIN_SERVICE = "hairpin";
/** A Service in the clients' own namespace, reached by its short name. */
export const PEERS_SERVICE = "probe-peers";

export type ClientRole = "node" | "peer" | "egress";

export interface ClientPod {
  name: string;
  namespace: string;
  node: string;
  role: ClientRole;
  labels: Labels;
}

export interface KindNode {
  name: string;
  role: "control-plane" | "worker";
}

/** kind's node container names: `<c>-control-plane`, `<c>-control-plane2`, `<c>-worker`, `<c>-worker2`, … */
export function kindNodeNames(
  clusterName: string,
  nodes: { controlPlanes: number; workers: number },
): KindNode[] {
  const suffix = (i: number) => (i === 0 ? "" : String(i + 1));
  return [
    ...Array.from(
      { length: nodes.controlPlanes },
      (_, i): KindNode => ({
        name: `${clusterName}-control-plane${suffix(i)}`,
        role: "control-plane",
      }),
    ),
    ...Array.from(
      { length: nodes.workers },
      (_, i): KindNode => ({
        name: `${clusterName}-worker${suffix(i)}`,
        role: "worker",
      }),
    ),
  ];
}

/** The probe client pods of a lab, first node's client first. */
export function probeClients(clusterName: string, nodes: KindNode[]): ClientPod[] {
  const short = (node: string) => node.slice(clusterName.length + 1);
  const first = nodes[0]!.name;
  const client = (name: string, node: string, role: ClientRole, extra: Labels = {}): ClientPod => ({
    name,
    namespace: PROBES_NAMESPACE,
    node,
    role,
    labels: { ...CLIENT_LABELS, ...extra },
  });
  return [
    ...nodes.map((n, i) =>
      client(`probe-${short(n.name)}`, n.name, "node", i === 0 ? { [HAIRPIN_LABEL]: "true" } : {}),
    ),
    client("probe-peer", first, "peer", { [ALLOWED_CLIENT_LABEL]: ALLOWED_CLIENT_VALUE }),
    client("probe-egress", first, "egress", { [EGRESS_RESTRICTED_LABEL]: EGRESS_RESTRICTED_VALUE }),
  ];
}

/** The pod set of one client, for expectations such as "the peer answered". */
export function podSetOf(pod: ClientPod): PodSet & { name: string } {
  return { namespace: pod.namespace, selector: { app: CLIENT_LABELS.app! }, name: pod.name };
}

/** The truth table's target pods: one per policy, each answering on TARGET_HTTP_PORT. */
export const NETPOL_TARGETS = [
  {
    name: "netpol-open",
    policy: "none",
    describes: "no policy selects it: every client may connect",
  },
  {
    name: "netpol-deny",
    policy: "default-deny-ingress",
    describes: "a default-deny ingress policy selects it: no client may connect",
  },
  {
    name: "netpol-allow",
    policy: "allow-labelled-client",
    describes: `ingress only from pods labelled ${ALLOWED_CLIENT_LABEL}=${ALLOWED_CLIENT_VALUE} in ${PROBES_NAMESPACE}`,
  },
] as const;
export type NetpolTarget = (typeof NETPOL_TARGETS)[number];
export const NETPOL_TARGET_LABEL = "labs.dev/netpol-target";
