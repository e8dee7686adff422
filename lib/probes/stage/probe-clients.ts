/**
 * The `probes` stage: the pods probes run from and the NetworkPolicy truth table's fixtures.
 *
 * - namespace `labs-probes`: a ConfigMap with the prober bundle and the lab's probe plan; one
 *   client pod per node plus a labelled peer on the first node plus a client whose egress is
 *   restricted to DNS. Each client runs `node` doing nothing (so `kubectl exec … node
 *   /prober/prober.js --plan -` can run batches) next to agnhost netexec (so clients are targets
 *   too); a `probe-peers` Service (short-name DNS) and a `hairpin` Service (only the first client).
 * - namespace `labs-netpol`: three agnhost targets (open, default-deny, allow-labelled-client)
 *   and their policies, apart from everything else so the policies break no other probe.
 */
import { ApiObject, type Chart } from "cdk8s";
import { Construct } from "constructs";
import { AGNHOST_IMAGE } from "../../components/apps/echo.ts";
import type { Gate } from "../../components/component.ts";
import { ensureNamespace } from "../../components/namespace.ts";
import { LabError } from "../../model/errors.ts";
import {
  ALLOWED_CLIENT_LABEL,
  ALLOWED_CLIENT_VALUE,
  type ClientPod,
  EGRESS_RESTRICTED_LABEL,
  EGRESS_RESTRICTED_VALUE,
  HAIRPIN_LABEL,
  HAIRPIN_SERVICE,
  NETPOL_NAMESPACE,
  NETPOL_TARGET_LABEL,
  NETPOL_TARGETS,
  PEERS_SERVICE,
  PROBES_NAMESPACE,
  TARGET_HTTP_PORT,
  TARGET_NETEXEC_ARGS,
  TARGET_UDP_PORT,
} from "../clients.ts";
import type { Labels, ProbesPlan } from "../probes-plan.ts";
import { proberBundleSha256, readProberBundle } from "./prober-bundle.ts";

/** Runs the prober bundle: Node 22 LTS on Alpine (small; the bundle needs Node built-ins only). */
export const PROBER_IMAGE = "node:22.17.0-alpine";
/**
 * The digest the lock records for PROBER_IMAGE. Found pinned in a public Dockerfile
 * (github.com/reMarkable/githubUserManager, `Dockerfile`: `FROM node:22.17.0-alpine@sha256:5340…`).
 * It could not be checked against Docker Hub from the machine this was written on (no registry
 * access there): verify with `docker buildx imagetools inspect node:22.17.0-alpine` when updating.
 */
export const PROBER_IMAGE_DIGEST = "sha256:5340cbfc2df14331ab021555fdd9f83f072ce811488e705b0e736b11adeec4bb";

export const PROBER_CONFIGMAP = "prober";
/** Where the ConfigMap is mounted in the clients: `node /prober/prober.js --plan -`. */
export const PROBER_MOUNT = "/prober";
export const PROBER_COMMAND = ["node", `${PROBER_MOUNT}/prober.js`, "--plan", "-"];
/** The client container's name, for `kubectl exec -c`. */
export const PROBER_CONTAINER = "prober";

const PART_OF = { "app.kubernetes.io/part-of": "labs" };

/** Exits at once on SIGTERM (PID 1 gets no default handler) and otherwise waits forever. */
const KEEPALIVE = "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1 << 30);";

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

const resources = (memoryMiB: number, limitMiB: number) => ({
  requests: { cpu: "10m", memory: `${memoryMiB}Mi` },
  limits: { memory: `${limitMiB}Mi` },
});

function netexec(name: string) {
  return {
    name,
    image: AGNHOST_IMAGE,
    imagePullPolicy: "IfNotPresent",
    args: TARGET_NETEXEC_ARGS,
    ports: [
      { name: "http", containerPort: TARGET_HTTP_PORT, protocol: "TCP" },
      { name: "udp", containerPort: TARGET_UDP_PORT, protocol: "UDP" },
    ],
    resources: resources(16, 64),
    securityContext: { ...RESTRICTED_CONTAINER, readOnlyRootFilesystem: false },
  };
}

const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

export interface ProbeClientsProps {
  plan: ProbesPlan;
  clients: ClientPod[];
  /** The prober bundle; defaults to the committed one. */
  bundle?: string;
}

export class ProbeClients extends Construct {
  /** What the runtime waits for before it runs probes: every probe pod Ready. */
  readonly gates: Gate[] = [];

  constructor(scope: Chart, id: string, props: ProbeClientsProps) {
    super(scope, id);
    const bundle = props.bundle ?? bundleOrExplain();
    ensureNamespace(scope, PROBES_NAMESPACE);
    ensureNamespace(scope, NETPOL_NAMESPACE);

    new ApiObject(this, "configmap", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: PROBER_CONFIGMAP, namespace: PROBES_NAMESPACE, labels: PART_OF },
      data: { "prober.js": bundle, "probes.plan.json": `${JSON.stringify(props.plan, null, 2)}\n` },
    });
    const bundleSha = props.bundle === undefined ? proberBundleSha256() : undefined;
    for (const client of props.clients) this.client(client, bundleSha);

    this.service(PEERS_SERVICE, { app: props.clients[0]!.labels.app! });
    this.service(HAIRPIN_SERVICE, { [HAIRPIN_LABEL]: "true" });
    this.netpolFixtures();
  }

  private ready(namespace: string, pod: string): void {
    this.gates.push({
      stage: "probes",
      kind: "condition",
      resource: `pod/${pod}`,
      namespace,
      condition: "Ready",
      timeoutSeconds: 180,
      description: `probe pod ${namespace}/${pod} is Ready`,
    });
  }

  private client(c: ClientPod, bundleSha: string | undefined): void {
    new ApiObject(this, `client-${c.name}`, {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: c.name,
        namespace: c.namespace,
        labels: c.labels,
        // A new bundle changes the pod spec, so `labs up` replaces clients that run an old one.
        ...(bundleSha ? { annotations: { "labs.dev/prober-sha256": bundleSha } } : {}),
      },
      spec: {
        // Bound to its node by name: same-node and cross-node paths must exist whatever the scheduler thinks.
        nodeName: c.node,
        tolerations: [
          { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
        ],
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 2,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000 },
        containers: [
          {
            name: PROBER_CONTAINER,
            image: PROBER_IMAGE,
            imagePullPolicy: "IfNotPresent",
            command: ["node", "-e", KEEPALIVE],
            env: [
              fieldEnv("POD_NAME", "metadata.name"),
              fieldEnv("POD_NAMESPACE", "metadata.namespace"),
              fieldEnv("NODE_NAME", "spec.nodeName"),
              fieldEnv("POD_IP", "status.podIP"),
            ],
            volumeMounts: [{ name: "prober", mountPath: PROBER_MOUNT, readOnly: true }],
            // Room for a latency or coverage batch next to the idle process.
            resources: resources(32, 256),
            securityContext: RESTRICTED_CONTAINER,
          },
          netexec("target"),
        ],
        volumes: [
          {
            name: "prober",
            configMap: {
              name: PROBER_CONFIGMAP,
              items: [
                { key: "prober.js", path: "prober.js" },
                { key: "probes.plan.json", path: "probes.plan.json" },
              ],
            },
          },
        ],
      },
    });
    this.ready(c.namespace, c.name);
  }

  private service(name: string, selector: Labels): void {
    new ApiObject(this, `service-${name}`, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: PROBES_NAMESPACE, labels: PART_OF },
      spec: {
        type: "ClusterIP",
        selector,
        ports: [{ name: "http", port: TARGET_HTTP_PORT, targetPort: TARGET_HTTP_PORT, protocol: "TCP" }],
      },
    });
  }

  private netpolFixtures(): void {
    for (const t of NETPOL_TARGETS) {
      const role = t.name.replace(/^netpol-/, "");
      new ApiObject(this, `target-${t.name}`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: t.name,
          namespace: NETPOL_NAMESPACE,
          labels: { app: "netpol-target", [NETPOL_TARGET_LABEL]: role, ...PART_OF },
          annotations: { "labs.dev/policy": t.describes },
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 2,
          containers: [netexec("netexec")],
        },
      });
      this.ready(NETPOL_NAMESPACE, t.name);
    }
    const policy = (name: string, namespace: string, spec: Record<string, unknown>) =>
      new ApiObject(this, `policy-${name}`, {
        apiVersion: "networking.k8s.io/v1",
        kind: "NetworkPolicy",
        metadata: { name, namespace, labels: PART_OF },
        spec,
      });
    policy("default-deny-ingress", NETPOL_NAMESPACE, {
      podSelector: { matchLabels: { [NETPOL_TARGET_LABEL]: "deny" } },
      policyTypes: ["Ingress"],
    });
    policy("allow-labelled-client", NETPOL_NAMESPACE, {
      podSelector: { matchLabels: { [NETPOL_TARGET_LABEL]: "allow" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": PROBES_NAMESPACE } },
              podSelector: { matchLabels: { [ALLOWED_CLIENT_LABEL]: ALLOWED_CLIENT_VALUE } },
            },
          ],
          ports: [{ protocol: "TCP", port: TARGET_HTTP_PORT }],
        },
      ],
    });
    policy("egress-dns-only", PROBES_NAMESPACE, {
      podSelector: { matchLabels: { [EGRESS_RESTRICTED_LABEL]: EGRESS_RESTRICTED_VALUE } },
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    });
  }
}

function bundleOrExplain(): string {
  try {
    return readProberBundle();
  } catch (e) {
    throw new LabError(
      `the prober bundle is missing: ${(e as Error).message}`,
      "rebuild it with `npx tsx scripts/build-prober.ts`",
    );
  }
}
