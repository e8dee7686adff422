import type { Chart } from "cdk8s";
import { z } from "zod";
import type { ArtifactReader, ArtifactRef } from "../model/artifact-ref.ts";
import type { Finding } from "../model/findings.ts";
import type { KubeProxyMode } from "../model/kube-proxy-mode.ts";
import type { KubeVersion } from "../model/kubernetes-version.ts";
import type {
  ClusterStep,
  ClusterVariable,
  ComponentKind,
  Gate,
  HostPathVariable,
  Inspection,
  ServiceDataplane,
  SideContainer,
  StageName,
} from "../model/lab-json.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import type { RuntimeObject } from "../validate/admission.ts";
import type { ProductVersions } from "./compatibility.ts";
import type { ComponentFaults } from "./fault.ts";

/**
 * What components declare and the runtime carries out (stages, gates, inspections, side
 * containers, …) is defined with lab.json's schema in lib/model; the descriptor names them.
 */
export {
  type ClusterStep,
  type ClusterVariable,
  type ComponentKind,
  type DataplaneMeasure,
  type Gate,
  type HostPathVariable,
  type Inspection,
  type NodeArch,
  type ServiceDataplane,
  type SideContainer,
  STAGES,
  type StageName,
} from "../model/lab-json.ts";

/**
 * The descriptor every component provides. A component is one CNI, kube-proxy mode, ingress,
 * gateway, load balancer or app. Everything here is plain data or a pure function of the
 * component's options and the lab; `build` adds cdk8s objects to the lab's stage charts.
 */

/**
 * Who programs Services, as a closed set other code switches on (the prose stays in the claim's
 * `reason`): kube-proxy in one of its modes, an eBPF dataplane that replaces it (the claim's `by`
 * names the component), or nothing. A CNI whose Services live elsewhere (e.g. Open vSwitch flows)
 * adds its mechanism here, and the compiler then shows every switch that must learn it.
 */
export type ServiceProxy =
  | "kube-proxy iptables"
  | "kube-proxy ipvs"
  | "kube-proxy nftables"
  | "ebpf"
  | "none";
export const SERVICE_PROXIES = [
  "kube-proxy iptables",
  "kube-proxy ipvs",
  "kube-proxy nftables",
  "ebpf",
  "none",
] as const satisfies readonly ServiceProxy[];

/**
 * How pod traffic crosses nodes: a `vxlan` or `geneve` tunnel, `routed` (a route per node's pod
 * CIDR: host-gw, direct routing), `wireguard` (encrypted tunnel), or `unknown` (the CNI does not say).
 */
export type PodEncapsulation = "vxlan" | "geneve" | "routed" | "wireguard" | "unknown";

/** What a lab can do. Expectations of probes are computed from these. */
export interface Capabilities {
  /** NetworkPolicy objects are enforced by the dataplane. */
  networkPolicy: boolean;
  /** Something other than kube-proxy programs Services (Cilium KPR, Calico eBPF). */
  kubeProxyReplacement: boolean;
  /** Who programs Services: kube-proxy's mode or the replacing dataplane (see ServiceProxy). */
  serviceProxy: ServiceProxy;
  /** How pod traffic crosses nodes (see PodEncapsulation). */
  podEncapsulation: PodEncapsulation;
  /** Services of type LoadBalancer get an address reachable from the host. */
  loadBalancer: boolean;
  /** An Ingress controller serves Ingress objects. */
  ingress: boolean;
  /** A Gateway API implementation serves Gateways and HTTPRoutes. */
  gatewayApi: boolean;
  /**
   * What the dataplane does with a packet NetworkPolicy denies: `drop` it (the client sees no
   * handshake and times out), `reject` it (a TCP RST or an ICMP error comes back at once), or
   * `none` (nothing enforces policy). A "blocked" probe passes only on this outcome.
   */
  policyDenial: "drop" | "reject" | "none";
  /**
   * Where LoadBalancer traffic enters a node from: the `client` itself (the address is announced
   * on the node network; packets arrive unchanged), or a `proxy` that opens its own connection to
   * node:nodePort (an L4 proxy: the node sees the proxy's address). `none` without a load balancer.
   */
  loadBalancerSource: "client" | "proxy" | "none";
  /**
   * What the service proxy does to the source of external traffic (NodePort, LoadBalancer) for a
   * Service with externalTrafficPolicy Cluster: SNAT to the node `always`, only when the chosen
   * backend runs on another node (`remote-backend`), or `never` (the source is preserved).
   */
  externalSourceNat: "always" | "remote-backend" | "never";
}
export type CapabilityName = keyof Capabilities;

/** A capability value with the component that set it and why: the report repeats the why. */
export interface CapabilityClaim<V = Capabilities[CapabilityName]> {
  value: V;
  reason: string;
}
export type CapabilityClaims = { [K in CapabilityName]?: CapabilityClaim<Capabilities[K]> };

/** Upstream files a component needs, pinned by sha256 (declared in lib/model, shared with lib/upstream). */
export type { ArtifactReader, ArtifactRef } from "../model/artifact-ref.ts";

/**
 * A Helm chart a component renders. Rendering (`helm template --include-crds`) happens in the
 * artifact step before synth; synth reads the rendered YAML from the cache.
 */
export interface ChartRender {
  /** Stable id, e.g. `cilium`. */
  id: string;
  chart: ArtifactRef;
  release: string;
  namespace: string;
  /** Values built by the component; must keep the render byte-identical across runs. */
  values: Record<string, unknown>;
}

/** Returns the rendered YAML of a chart from the cache. Synth never runs helm. */
export type RenderedChartReader = (render: ChartRender) => string;

/**
 * Something a component needs of the Docker host's kernel, which every kind node shares;
 * `labs doctor <lab>` checks each before anything is created. `kernel-module`: a module (or a
 * built-in option) that the first user loads on demand; `bpf`: the bpf() syscall, its JIT and a
 * BPF filesystem, for an eBPF dataplane.
 */
export type HostNeed =
  | {
      kind: "kernel-module";
      /** Check id, e.g. `kernel-ipvs`; needs with the same id are checked once. */
      id: string;
      title: string;
      module: string;
      /** The kernel config option that builds it, e.g. `CONFIG_IP_VS`. */
      config: string;
      /** Who loads it on demand, e.g. `kube-proxy`. */
      loadedBy: string;
      /** The command that loads it by hand. */
      load: string;
    }
  | { kind: "bpf"; id: "kernel-bpf" };

/** An address range a component hands out on the `kind` network, and how a lab changes it. */
export interface AddressPool {
  /** A CIDR (`172.18.255.192/27`) or a range (`172.18.255.200-172.18.255.250`). */
  range: string;
  /** What it is, for messages, e.g. `MetalLB pool`. */
  what: string;
  /** The LabSpec path that sets it, e.g. `loadBalancer.options.pool`. */
  option: string;
  /** A well-formed range, for the message when this one is not. */
  example: string;
  /** What to write in the lab to use `range` instead. */
  setting(range: string): string;
}

/** What a component changes in the kind cluster config. Merged over all components. */
export interface KindPatch {
  disableDefaultCNI?: boolean;
  kubeProxyMode?: KubeProxyMode;
  /** Mounted on every node. */
  extraMounts?: { hostPath: string; containerPath: string; readOnly?: boolean }[];
  /** Mapped on the first node that matches `node` (default: first control plane). */
  extraPortMappings?: {
    node?: "control-plane" | "first-worker";
    containerPort: number;
    hostPort: number;
    protocol?: "TCP" | "UDP";
  }[];
  /** Labels put on the node that gets port mappings, so a controller can be pinned to it. */
  ingressNodeLabels?: Record<string, string>;
  kubeadmConfigPatches?: string[];
  /** Variables used in `extraMounts[].hostPath`; see HostPathVariable. */
  hostPathVariables?: HostPathVariable[];
}

/** The lab as components see it while they are resolved: spec, version and merged capabilities. */
export interface LabView {
  spec: LabSpec;
  kubeVersion: KubeVersion;
  /** Cluster name given to kind: `labs-<lab>`. */
  clusterName: string;
  capabilities: Capabilities;
  /** Selected component names by kind (apps: every app). */
  selected: {
    cni: string;
    proxy: string;
    ingress?: string;
    gateway?: string;
    loadBalancer?: string;
    apps: string[];
  };
}

/** What `build` gets: the lab, a chart per stage, and the cache. */
export interface BuildContext {
  lab: LabView;
  stage(name: StageName): Chart;
  readArtifact: ArtifactReader;
  readRenderedChart: RenderedChartReader;
}

export interface Component<O = Record<string, unknown>> {
  kind: ComponentKind;
  name: string;
  /** Human name, e.g. `Flannel`. */
  title: string;
  /** The upstream version labs pins (the default one, when an option picks among several). */
  version?: string;
  /** The version these options pick, when an option picks among pinned versions. @default version */
  versionOf?(options: O): string;
  /** One sentence for `labs show` and reports. */
  summary: string;
  /** Options schema: a strict object with defaults, so unknown options are errors. */
  options: z.ZodType<O>;
  /**
   * For an ingress, gateway or load balancer: how it gives the lab the capability its kind stands
   * for (NORTH_SOUTH_CAPABILITY). Selecting it claims that capability with this as the reason.
   */
  serves?(options: O, lab: Omit<LabView, "capabilities">): string;
  capabilities?(options: O, lab: Omit<LabView, "capabilities">): CapabilityClaims;
  /** Combination rules with clear messages. */
  rules?(options: O, lab: LabView): Finding[];
  /** Versions of upstream products this component puts in the lab, checked against the compatibility table. */
  versions?(options: O, lab: LabView): ProductVersions;
  artifacts?(options: O, lab: LabView): ArtifactRef[];
  /** Helm charts to render in the artifact step (their archives belong in `artifacts` too). */
  charts?(options: O, lab: LabView): ChartRender[];
  /** Images the component runs that do not appear in its manifests (side containers). */
  images?(options: O, lab: LabView): string[];
  gates?(options: O, lab: LabView): Gate[];
  inspections?(options: O, lab: LabView): Inspection[];
  kindConfig?(options: O, lab: LabView): KindPatch;
  sideContainers?(options: O, lab: LabView): SideContainer[];
  /** kubectl steps the runtime runs once after the cluster is created (listed in lab.json). */
  postCreate?(options: O, lab: LabView): ClusterStep[];
  /** Stages whose manifests must be applied server-side (objects too big for client-side apply). */
  serverSideStages?: StageName[];
  /**
   * Break-fix faults of the layer this component owns (lib/components/fault.ts), including the
   * ones that cannot exist in this lab, with the reason.
   */
  faults?(options: O, lab: LabView): ComponentFaults;
  /** Values the runtime fills into stage files once the cluster exists (see ClusterVariable). */
  clusterVariables?(options: O, lab: LabView): ClusterVariable[];
  /** How Services show on a node in the dataplane it programs (guide exercise, compare's size column). */
  serviceDataplane?(options: O, lab: LabView): ServiceDataplane;
  /** What it needs of the Docker host's kernel (checked by `labs doctor <lab>`). */
  hostNeeds?(options: O, lab: LabView): HostNeed[];
  /**
   * Address ranges it hands out on the `kind` Docker network, e.g. a load balancer's pool:
   * `labs doctor` and `labs up` check that each lies inside that network (address-pool.ts).
   */
  addressPools?(options: O, lab: LabView): AddressPool[];
  /** Objects its controller creates in the cluster while it runs (lint checks admission against them). */
  runtimeObjects?(options: O, lab: LabView): RuntimeObject[];
  build?(ctx: BuildContext, options: O): void;
}

/** The capability each north-south kind stands for: a component of that kind `serves` it. */
export const NORTH_SOUTH_CAPABILITY = {
  ingress: "ingress",
  gateway: "gatewayApi",
  loadBalancer: "loadBalancer",
} as const satisfies Partial<Record<ComponentKind, CapabilityName>>;
/** A capability only a north-south component gives: without it, its probes do not apply. */
export type NorthSouthCapability = (typeof NORTH_SOUTH_CAPABILITY)[keyof typeof NORTH_SOUTH_CAPABILITY];

/** A component as written in its file: `options` may be left out when it takes none. */
export type ComponentDeclaration<O> = Omit<Component<O>, "options"> & { options?: z.ZodType<O> };

const NO_OPTIONS = z.strictObject({});

/** Declares a component, keeping its options type; one without options gets a strict empty object. */
export function defineComponent<O = Record<string, never>>(c: ComponentDeclaration<O>): Component<O> {
  return { ...c, options: c.options ?? (NO_OPTIONS as unknown as z.ZodType<O>) };
}
