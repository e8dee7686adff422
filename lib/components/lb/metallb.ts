import { ApiObject } from "cdk8s";
import { z } from "zod";
import { formatIPv4, parseCidr } from "../../model/cidr.ts";
import { DOCKER_KIND_NETWORK } from "../../model/defaults.ts";
import { error, type Finding, warning } from "../../model/findings.ts";
import { pin, pinnedVersion } from "../../upstream/pins.ts";
import { parsePool } from "../address-pool.ts";
import { type AddressPool, defineComponent, type LabView } from "../component.ts";
import { type FaultOffer, kubectlStep, mergePatchStep, NOT_FOUND } from "../fault.ts";
import { includeUpstream, parseManifest } from "../upstream-manifest.ts";
import { allowLoadBalancingOnControlPlanes } from "./exclude-label.ts";

export const METALLB_VERSION = pinnedVersion("metallb");
export const METALLB_MANIFEST = pin("metallb/metallb-native.yaml");
export const METALLB_NAMESPACE = "metallb-system";

/** Inside Docker's usual 172.18.0.0/16 kind network, at its top end, far from the node IPs. */
export const DEFAULT_METALLB_POOL = "172.18.255.200-172.18.255.250";

/** MetalLB's pool as an address pool labs checks against the kind network. */
export function metallbAddressPool(range: string): AddressPool {
  return {
    range,
    what: "MetalLB pool",
    option: "loadBalancer.options.pool",
    example: DEFAULT_METALLB_POOL,
    setting: (r) => `loadBalancer: { name: "metallb", options: { pool: "${r}" } }`,
  };
}

/** The last address of an IPv4 pool (a break-fix fault leaves only it in the pool), or undefined. */
export function lastPoolAddress(pool: string): string | undefined {
  const range = parsePool(pool);
  if (range?.family !== "ipv4") return undefined;
  // MetalLB hands out a pool's addresses from the bottom up, so the last is the one still free.
  return formatIPv4(range.last);
}

/** Names of the pool and advertisement labs writes. */
export const METALLB_POOL_NAME = "labs-pool";
export const METALLB_L2_NAME = "labs-l2";

const options = z.strictObject({
  /**
   * Addresses MetalLB hands to LoadBalancer Services: a CIDR or `first-last`, inside the kind
   * Docker network (checked against the real network at `labs up`).
   */
  pool: z
    .string()
    .refine((p) => parsePool(p) !== undefined, {
      message: `pool must be a CIDR or a first-last address range, e.g. "${DEFAULT_METALLB_POOL}"`,
    })
    .default(DEFAULT_METALLB_POOL),
});
export type MetallbOptions = z.output<typeof options>;

/** MetalLB's IPAddressPool (metallb.io/v1beta1), the fields labs sets. */
interface IPAddressPool {
  apiVersion: "metallb.io/v1beta1";
  kind: "IPAddressPool";
  metadata: { name: string; namespace: string };
  spec: { addresses: string[]; autoAssign: boolean };
}

/** MetalLB's L2Advertisement: announce the pool's addresses by ARP/NDP from one node at a time. */
interface L2Advertisement {
  apiVersion: "metallb.io/v1beta1";
  kind: "L2Advertisement";
  metadata: { name: string; namespace: string };
  spec: { ipAddressPools: string[] };
}

const isCrd = (kind: string) => kind === "CustomResourceDefinition";

function poolRules(o: MetallbOptions, lab: LabView): Finding[] {
  const range = parsePool(o.pool);
  if (!range) return [];
  const findings: Finding[] = [];
  const families = lab.spec.ipFamily === "dual" ? ["ipv4", "ipv6"] : [lab.spec.ipFamily];
  if (!families.includes(range.family)) {
    findings.push(
      error(
        "loadBalancer.options.pool",
        `pool ${o.pool} is ${range.family} but the lab is ${lab.spec.ipFamily}`,
        "give a pool of the lab's IP family",
      ),
    );
  }
  // An address in the pod or service range is routed to a pod or a ClusterIP on every node, so
  // MetalLB's ARP answer for it would never be used: the Service's external IP is unreachable.
  for (const field of ["podSubnet", "serviceSubnet"] as const) {
    for (const part of lab.spec[field].split(",")) {
      const cidr = parseCidr(part);
      if (cidr && cidr.family === range.family && cidr.first <= range.last && range.first <= cidr.last) {
        findings.push(
          error(
            "loadBalancer.options.pool",
            `pool ${o.pool} overlaps the ${field === "podSubnet" ? "pod" : "service"} subnet ${cidr.text}: nodes route those addresses inside the cluster, so no LoadBalancer IP from it would be reachable`,
            `use addresses of the kind Docker network, e.g. "${DEFAULT_METALLB_POOL}"`,
          ),
        );
      }
    }
  }
  const usual = parseCidr(DOCKER_KIND_NETWORK)!;
  const inUsual = usual.first <= range.first && range.last <= usual.last;
  if (range.family === "ipv4" && !inUsual) {
    findings.push(
      warning(
        "loadBalancer.options.pool",
        `pool ${o.pool} is outside ${DOCKER_KIND_NETWORK}, where Docker usually puts the kind network`,
        "fine if your kind network uses another subnet: `labs up` checks the pool against the real one",
      ),
    );
  }
  return findings;
}

const FILLER = "labs-fault-pool-filler";

/**
 * The pool exhausted. MetalLB keeps an address a Service already has, even when the pool is full,
 * unless the pool stops containing it: its controller re-checks every assignment when the config
 * changes and clears what is "not allowed by config" (metallb controller/service.go), then finds
 * no free address. So a filler Service takes the pool's last address first, and the pool shrinks
 * to that one address: every other LoadBalancer Service is left pending.
 */
function poolExhausted(o: MetallbOptions): FaultOffer {
  const head = {
    id: "lb-pool-exhausted",
    layer: "north-south" as const,
    title: "the LoadBalancer address pool exhausted",
  };
  const last = lastPoolAddress(o.pool);
  if (!last) return { ...head, unavailable: `the pool ${o.pool} is not an IPv4 range labs can shrink` };
  const ns = ["--namespace", METALLB_NAMESPACE];
  const pool = (addresses: string[]) => JSON.stringify({ spec: { addresses } });
  const filler = {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: FILLER,
      namespace: METALLB_NAMESPACE,
      labels: { "labs.dev/fault": "lb-pool-exhausted" },
      annotations: { "metallb.io/loadBalancerIPs": last },
    },
    spec: { type: "LoadBalancer", ports: [{ name: "http", port: 80, protocol: "TCP" }] },
  };
  return {
    ...head,
    does: `a filler Service takes ${last}, then pool ${METALLB_POOL_NAME} shrinks to that one address: MetalLB withdraws every other LoadBalancer IP and has none left to give`,
    undo: `puts the pool back to ${o.pool} and deletes the filler Service; MetalLB assigns addresses again (maybe different ones)`,
    effect: { kind: "load-balancer-addresses-gone" },
    observe:
      "The LoadBalancer checks cannot even run: their Services have no external IP to aim at. `kubectl get svc -A` shows <pending>, and the events say why. NodePorts and ClusterIPs of the same pods still answer.",
    look: [
      {
        run: {
          kubectl: ["get", "services", "--all-namespaces", "--field-selector", "spec.type=LoadBalancer"],
        },
        shows: "EXTERNAL-IP <pending>, except the filler",
      },
      {
        run: {
          kubectl: ["get", "events", "--all-namespaces", "--field-selector", "reason=AllocationFailed"],
        },
        shows: 'MetalLB\'s "no available IPs"',
      },
      {
        run: {
          kubectl: [
            ...ns,
            "get",
            "ipaddresspool",
            METALLB_POOL_NAME,
            "--output",
            "jsonpath={.spec.addresses}",
          ],
        },
        shows: `[${last}/32]`,
      },
    ],
    apply: [
      kubectlStep(`create a Service that takes ${last}`, ["apply", "--filename", "-"], {
        stdin: `${JSON.stringify(filler, null, 2)}\n`,
      }),
      kubectlStep(`wait until it holds ${last}`, [
        ...ns,
        "wait",
        `--for=jsonpath={.status.loadBalancer.ingress[0].ip}=${last}`,
        `service/${FILLER}`,
        "--timeout=60s",
      ]),
      mergePatchStep(
        "shrink the pool to that one address",
        { namespace: METALLB_NAMESPACE, resource: "ipaddresspool", name: METALLB_POOL_NAME },
        pool([`${last}/32`]),
      ),
    ],
    revert: [
      mergePatchStep(
        `put the pool back to ${o.pool}`,
        { namespace: METALLB_NAMESPACE, resource: "ipaddresspool", name: METALLB_POOL_NAME },
        pool([o.pool]),
      ),
      kubectlStep("delete the filler Service", [...ns, "delete", "service", FILLER, "--ignore-not-found"], {
        alreadyDone: NOT_FOUND,
      }),
    ],
    source: "metallb controller/service.go (assignments re-checked on config change; 'no available IPs')",
  };
}

/** MetalLB in L2 mode, with a pool inside the kind Docker network. */
export const metallb = defineComponent({
  kind: "loadBalancer",
  name: "metallb",
  title: "MetalLB (L2)",
  version: METALLB_VERSION,
  summary:
    "Assigns LoadBalancer IPs from a pool inside the kind Docker network and answers ARP for them from one node.",
  options,
  serves: (o) =>
    `MetalLB assigns LoadBalancer IPs from ${o.pool} and its speaker answers ARP for them on the kind network (reachable from a Linux host only)`,
  capabilities: () => ({
    loadBalancerSource: {
      value: "client",
      reason:
        "MetalLB only announces the address (ARP); the client's packets reach the node unchanged, and the service proxy handles them",
    },
  }),
  rules: (o, lab) => [
    ...poolRules(o, lab),
    warning(
      "loadBalancer",
      "MetalLB IPs live on the kind Docker network: a Linux host reaches them, Docker Desktop on macOS or Windows does not",
      'on macOS or Windows use loadBalancer "cloud-provider-kind", or the NodePort host port',
    ),
  ],
  artifacts: () => [METALLB_MANIFEST],
  addressPools: (o) => [metallbAddressPool(o.pool)],
  gates: () => [
    {
      stage: "crds",
      kind: "crds-established",
      names: ["ipaddresspools.metallb.io", "l2advertisements.metallb.io"],
      timeoutSeconds: 60,
      description: "MetalLB's CRDs are served",
    },
    {
      stage: "platform",
      kind: "deployment-available",
      namespace: METALLB_NAMESPACE,
      name: "controller",
      timeoutSeconds: 180,
      description: "MetalLB's controller (address allocation and the pool webhook) is Available",
    },
    {
      stage: "platform",
      kind: "daemonset-rolled-out",
      namespace: METALLB_NAMESPACE,
      name: "speaker",
      timeoutSeconds: 180,
      description: "MetalLB's speaker runs on every node",
    },
  ],
  // strictARP for ipvs is kube-proxy's setting: lib/components/proxy/ipvs.ts adds it for MetalLB.
  postCreate: (_o, lab) => allowLoadBalancingOnControlPlanes(lab),
  build: (ctx, o) => {
    const objects = parseManifest(ctx.readArtifact(METALLB_MANIFEST).toString("utf8"));
    includeUpstream(ctx.stage("crds"), "metallb-crds", objects, (x) => (isCrd(x.kind) ? x : undefined));
    includeUpstream(ctx.stage("platform"), "metallb", objects, (x) => (isCrd(x.kind) ? undefined : x));
    // The pool goes with the apps: MetalLB's webhook validates it, so its controller must be
    // Available first, which the platform gates guarantee.
    const apps = ctx.stage("apps");
    const pool: IPAddressPool = {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: METALLB_POOL_NAME, namespace: METALLB_NAMESPACE },
      spec: { addresses: [o.pool], autoAssign: true },
    };
    const l2: L2Advertisement = {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: METALLB_L2_NAME, namespace: METALLB_NAMESPACE },
      spec: { ipAddressPools: [METALLB_POOL_NAME] },
    };
    new ApiObject(apps, "metallb-pool", pool);
    new ApiObject(apps, "metallb-l2", l2);
  },
  faults: (o) => ({ faults: [poolExhausted(o)] }),
});
