// zod/mini, as lab-spec.ts: the runtime reads lab.json on every `labs status`, `up` and `down`.
import * as z from "zod/mini";

/**
 * lab.json: what synth tells the runtime and the reports about a lab, besides the manifests.
 * lib/synth writes it (checked against this schema before it is written) and lib/runtime reads
 * it back through the same schema, so the two sides cannot drift apart; the runtime acts on it
 * instead of parsing and resolving the lab's spec again. The pieces components declare (gates,
 * inspections, side containers, …) are defined here too: lib/components names them in its
 * descriptor, lib/runtime carries them out.
 */

/** What a component is: one CNI, kube-proxy mode, ingress, gateway, load balancer or app. */
export const COMPONENT_KINDS = ["cni", "proxy", "ingress", "gateway", "loadBalancer", "app"] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

/** Manifests are applied stage by stage; each stage waits for its gates before the next starts. */
export const STAGES = ["crds", "cni", "platform", "apps", "probes"] as const;
export type StageName = (typeof STAGES)[number];
const stageName = z.enum(STAGES);

const gateBase = {
  stage: stageName,
  timeoutSeconds: z.number(),
  description: z.string(),
};
const workload = { namespace: z.string(), name: z.string() };

/** A readiness condition the runtime waits for after applying a stage. */
export const gateSchema = z.discriminatedUnion("kind", [
  z.object({ ...gateBase, kind: z.literal("crds-established"), names: z.array(z.string()) }),
  z.object({ ...gateBase, kind: z.literal("daemonset-rolled-out"), ...workload }),
  z.object({ ...gateBase, kind: z.literal("deployment-available"), ...workload }),
  z.object({ ...gateBase, kind: z.literal("statefulset-ready"), ...workload }),
  z.object({ ...gateBase, kind: z.literal("nodes-ready") }),
  z.object({
    ...gateBase,
    kind: z.literal("condition"),
    resource: z.string(),
    namespace: z.optional(z.string()),
    condition: z.string(),
  }),
]);
export type Gate = z.infer<typeof gateSchema>;

/** A command run on a node container (docker exec) that shows what a component did to the dataplane. */
export const inspectionSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** Which node: the first control plane, or every node. */
  on: z.enum(["control-plane", "every-node"]),
  command: z.array(z.string()),
  /** What the output shows, for learners. */
  explains: z.string(),
  /** A fragment the output must contain for the component to be in effect (a probe checks it). */
  expectContains: z.optional(z.string()),
});
export type Inspection = z.infer<typeof inspectionSchema>;

/** What `labs compare` counts on a node to show how big Services make the dataplane. */
export const DATAPLANE_MEASURES = [
  "iptables-rules",
  "nftables-elements",
  "ipvs-services",
  "bpf-map-entries",
] as const;
export type DataplaneMeasure = (typeof DATAPLANE_MEASURES)[number];

/**
 * How Services show on a node in the dataplane a component programs. The guide's "watch a Service
 * appear" exercise runs `inspection` before and after adding a Service and answers with `grows`;
 * `labs compare` runs `size.command` on the first node for its dataplane-size column. Each field
 * comes from the last component, in claim order (proxy, cni, …), that gives it.
 */
export const serviceDataplaneSchema = z.object({
  /** The id of one of this component's inspections that lists Services on a node. */
  inspection: z.optional(z.string()),
  /** What one more Service adds to that inspection's output, for learners. */
  grows: z.optional(z.string()),
  /** Services' footprint on one node: the unit, and a node command that prints one number. */
  size: z.optional(z.object({ measure: z.enum(DATAPLANE_MEASURES), command: z.array(z.string()) })),
});
export type ServiceDataplane = z.infer<typeof serviceDataplaneSchema>;

/** The CPU architecture of the kind nodes (the Docker engine's), as release tarballs name it. */
export const NODE_ARCHES = ["amd64", "arm64"] as const;
export type NodeArch = (typeof NODE_ARCHES)[number];

const archFolder = z.object({ artifact: z.string(), sha256: z.string(), path: z.string() });

/**
 * A variable in an extraMount's hostPath, written `${NAME}` in kind.yaml. kind.yaml must be
 * byte-identical on every machine, yet the host folder it mounts lives in the user's artifact
 * cache and depends on the Docker engine's architecture (the amd64 and arm64 CNI plugins are
 * different tarballs with different digests). So kind.yaml keeps the variable, lab.json lists
 * it with one `path` per architecture, and the runtime writes the concrete kind config into the
 * lab's state directory: it takes the entry of the engine's architecture, replaces
 * `${LABS_CACHE_DIR}` in its `path` with the artifact cache directory, and puts the result in
 * place of `${NAME}` (lib/components/host-paths.ts `substituteHostPaths` does exactly that).
 */
export const hostPathVariableSchema = z.object({
  /** Upper-case name, e.g. `LABS_CNI_PLUGINS`; written `${LABS_CNI_PLUGINS}` in hostPaths. */
  name: z.string(),
  /** What the folder holds, for lab.json readers. */
  explains: z.string(),
  /** Per architecture: the artifact that fills the folder and the folder, under `${LABS_CACHE_DIR}`. */
  byArch: z.object({ amd64: archFolder, arm64: archFolder }),
});
export type HostPathVariable = z.infer<typeof hostPathVariableSchema>;

/**
 * A value only the running cluster knows, written `${NAME}` in a stage file and filled in by the
 * runtime after `kind create cluster`, before the first stage is applied. The stage files stay
 * the same on every machine (the lock hashes them); lab.json lists the variables, and `labs up`
 * applies concrete copies from the lab's state folder.
 */
export const clusterVariableSchema = z.object({
  /** Upper-case name, e.g. `LABS_API_SERVER_ADDRESS`. */
  name: z.string(),
  /**
   * Where the runtime reads it. `api-server-address`: the first address of the `kubernetes`
   * EndpointSlice in `default`, i.e. the IP the API server advertises on the kind network.
   */
  source: z.literal("api-server-address"),
  /** Why a stage needs it, for lab.json readers. */
  explains: z.string(),
});
export type ClusterVariable = z.infer<typeof clusterVariableSchema>;

/** A container the runtime starts next to the cluster (e.g. cloud-provider-kind). */
export const sideContainerSchema = z.object({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()),
  /** Mount the Docker socket (cloud-provider-kind manages containers). */
  dockerSocket: z.boolean(),
  network: z.literal("kind"),
  /**
   * The runtime starts the container before applying this stage (after the previous stage's
   * gates), because that stage's gates need it, e.g. a Gateway that only becomes Programmed
   * once a load balancer gives it an address. Absent: once every stage is applied.
   */
  startBefore: z.optional(stageName),
  /**
   * Extra arguments when the Docker engine runs in a VM (Docker Desktop on macOS or Windows,
   * WSL2): the host cannot route to container IPs there, so e.g. cloud-provider-kind must publish
   * its load balancers' ports on the host instead.
   */
  argsIfDockerInVm: z.optional(z.array(z.string())),
  /**
   * Label key the container puts on the containers it creates, valued with the cluster name.
   * The runtime removes what still carries `<key>=<cluster>` once the lab's cluster is gone.
   */
  createsContainersLabelled: z.optional(z.string()),
  /**
   * One instance serves every kind cluster on the Docker host, whatever lab started it (e.g.
   * cloud-provider-kind). The runtime shares one container among the running labs that declare
   * it with the same image and arguments, refuses a lab that would put a kind cluster in its
   * reach that must not be, and stops it with its last lab. `why` says what makes it host-wide.
   */
  hostWide: z.optional(z.object({ why: z.string() })),
});
export type SideContainer = z.infer<typeof sideContainerSchema>;

/**
 * A kubectl command the runtime runs once, right after `kind create cluster` and before the
 * first stage, for cluster state no manifest can express (e.g. removing a label kubeadm sets).
 */
export const clusterStepSchema = z.object({
  id: z.string(),
  /** Why the step exists, for logs and learners. */
  description: z.string(),
  /** kubectl arguments; the runtime adds its own kubeconfig/context flags. */
  kubectl: z.array(z.string()),
});
export type ClusterStep = z.infer<typeof clusterStepSchema>;

/** One stage as the runtime applies it. */
export const stagePlanSchema = z.object({
  name: stageName,
  file: z.string(),
  /** Always true: every stage is applied server-side. */
  serverSide: z.boolean(),
  objects: z.number(),
  gates: z.array(gateSchema),
});
export type StagePlan = z.infer<typeof stagePlanSchema>;

/** A host port the kind cluster binds (a Docker port mapping on a node). */
export const hostPortSchema = z.object({
  listenAddress: z.string(),
  hostPort: z.number(),
  protocol: z.string(),
});
export type HostPort = z.infer<typeof hostPortSchema>;

/** Each capability as the lab resolved it: its value, why, and which component set it. */
const capabilityClaimSchema = z.object({ value: z.unknown(), reason: z.string(), by: z.string() });

export const LAB_JSON_VERSION = 1;

export const labJsonSchema = z.object({
  labVersion: z.literal(LAB_JSON_VERSION),
  name: z.string(),
  description: z.string(),
  /** The kind cluster: `labs-<name>`. */
  clusterName: z.string(),
  /** The node image's Kubernetes version, `v1.36.1`. */
  kubernetes: z.string(),
  nodes: z.object({ controlPlanes: z.number(), workers: z.number() }),
  /** The cluster's network as kind creates it: the runtime classifies source addresses by podSubnet. */
  network: z.object({
    ipFamily: z.enum(["ipv4", "ipv6", "dual"]),
    podSubnet: z.string().check(z.minLength(1)),
    serviceSubnet: z.string().check(z.minLength(1)),
  }),
  components: z.array(
    z.object({
      kind: z.enum(COMPONENT_KINDS),
      name: z.string(),
      title: z.string(),
      version: z.optional(z.string()),
      options: z.unknown(),
    }),
  ),
  capabilities: z.record(z.string(), capabilityClaimSchema),
  warnings: z.array(z.object({ path: z.string(), message: z.string(), fix: z.optional(z.string()) })),
  stages: z.array(stagePlanSchema),
  inspections: z.array(inspectionSchema),
  /** How the lab's Services show on a node (optional: lab.json written before it had this field). */
  serviceDataplane: z.optional(serviceDataplaneSchema),
  sideContainers: z.array(sideContainerSchema),
  /** kubectl steps run once right after `kind create cluster`, before the first stage. */
  postCreate: z.array(clusterStepSchema),
  /** `${NAME}` values in stage files, filled in by `labs up` once the cluster exists. */
  clusterVariables: z.array(clusterVariableSchema),
  hostPorts: z.array(hostPortSchema),
  /** `${NAME}` variables in kind.yaml's host paths. */
  hostPathVariables: z.array(hostPathVariableSchema),
});

/** A synthesized lab.json. */
export type LabJson = z.infer<typeof labJsonSchema>;
