import type { z } from "zod";
import { CLUSTER_PREFIX } from "../model/defaults.ts";
import { LabError } from "../model/errors.ts";
import { error, type Finding, formatFinding } from "../model/findings.ts";
import { flattenIssues, issueText, REPORT_INPUT } from "../model/issue-text.ts";
import { type KubeVersion, parseNodeImageVersion } from "../model/kubernetes-version.ts";
import { type ComponentRef, type LabInput, type LabSpec, parseLabSpec } from "../model/lab-spec.ts";
import { didYouMean } from "../model/suggest.ts";
import type { RuntimeObject } from "../validate/admission.ts";
import { clusterGates } from "./cluster-gates.ts";
import {
  clusterVersions,
  compatibilityFindings,
  type Product,
  type ProductSources,
} from "./compatibility.ts";
import {
  type AddressPool,
  type ArtifactRef,
  type Capabilities,
  type CapabilityClaim,
  type CapabilityClaims,
  type CapabilityName,
  type ClusterStep,
  type ClusterVariable,
  type Component,
  type ComponentKind,
  type Gate,
  type HostNeed,
  type Inspection,
  type LabView,
  NORTH_SOUTH_CAPABILITY,
  type ServiceDataplane,
  type SideContainer,
} from "./component.ts";
import type { CarriedPath } from "./fault.ts";
import { hostPortClashes } from "./host-port-clashes.ts";
import { componentNames, FIELD_OF, findComponent } from "./registry.ts";
import type { ResolvedClaims, ResolvedLab, Selected } from "./resolved-lab.ts";
import { labRules } from "./rules.ts";

export type { ResolvedClaims, ResolvedLab, Selected };

/**
 * The service proxy as prose names it: kube-proxy's mode as it is, an eBPF dataplane with the
 * component that runs it ("cilium ebpf"), so that reasons read the same whoever claims it.
 */
export function serviceProxyText(claim: ResolvedClaims["serviceProxy"]): string {
  switch (claim.value) {
    case "ebpf":
      return `${claim.by} ebpf`;
    case "kube-proxy iptables":
    case "kube-proxy ipvs":
    case "kube-proxy nftables":
    case "none":
      return claim.value;
  }
}

/** The order components are applied and claims are merged: later claims win. */
const ORDER: ComponentKind[] = ["proxy", "cni", "loadBalancer", "ingress", "gateway", "app"];

const BASELINE: ResolvedClaims = {
  networkPolicy: { value: false, reason: "no component of this lab enforces NetworkPolicy", by: "labs" },
  kubeProxyReplacement: { value: false, reason: "kube-proxy programs Services", by: "labs" },
  // Every lab selects a proxy component, whose claim replaces this one.
  serviceProxy: { value: "kube-proxy iptables", reason: "kube-proxy programs Services", by: "labs" },
  podEncapsulation: { value: "unknown", reason: "the CNI does not say", by: "labs" },
  loadBalancer: { value: false, reason: "no load balancer: LoadBalancer Services stay pending", by: "labs" },
  ingress: { value: false, reason: "no Ingress controller in this lab", by: "labs" },
  gatewayApi: { value: false, reason: "no Gateway API implementation in this lab", by: "labs" },
  policyDenial: { value: "none", reason: "nothing enforces NetworkPolicy, so nothing denies", by: "labs" },
  loadBalancerSource: { value: "none", reason: "no load balancer in this lab", by: "labs" },
  // kube-proxy, in every mode, masquerades external traffic to a Cluster-policy Service, whichever
  // node the backend is on (kubernetes pkg/proxy/iptables/proxier.go: KUBE-EXT-* jumps to
  // KUBE-MARK-MASQ unless the policy is Local; nftables/proxier.go: mark-for-masquerade likewise;
  // ipvs/proxier.go: KUBE-NODE-PORT marks what is not in the Local set). A kube-proxy replacement
  // claims its own behaviour.
  externalSourceNat: {
    value: "always",
    reason:
      "kube-proxy masquerades external traffic to a Cluster-policy Service, whichever node the backend is on",
    by: "kube-proxy",
  },
};

/** The claim a north-south component makes by being selected (its `serves`), before its own claims. */
function servedClaim(s: Selected, lab: Omit<LabView, "capabilities">): CapabilityClaims {
  const capability = NORTH_SOUTH_CAPABILITY[s.component.kind as keyof typeof NORTH_SOUTH_CAPABILITY];
  const reason = s.component.serves?.(s.options, lab);
  return capability && reason ? { [capability]: { value: true, reason } } : {};
}

function refsOf(spec: LabSpec): { kind: ComponentKind; ref: ComponentRef; path: string }[] {
  const out: { kind: ComponentKind; ref: ComponentRef; path: string }[] = [
    { kind: "proxy", ref: { name: spec.kubeProxyMode, options: {} }, path: "kubeProxyMode" },
    { kind: "cni", ref: spec.cni, path: "cni" },
  ];
  if (spec.loadBalancer) out.push({ kind: "loadBalancer", ref: spec.loadBalancer, path: "loadBalancer" });
  if (spec.northSouth.ingress)
    out.push({ kind: "ingress", ref: spec.northSouth.ingress, path: "northSouth.ingress" });
  if (spec.northSouth.gateway)
    out.push({ kind: "gateway", ref: spec.northSouth.gateway, path: "northSouth.gateway" });
  spec.apps.forEach((ref, i) => {
    out.push({ kind: "app", ref, path: `apps[${i}]` });
  });
  return out;
}

function optionFindings(issues: z.core.$ZodIssue[], base: string, component: Component<unknown>): Finding[] {
  return flattenIssues(issues).map((i) => {
    const path = [base, ...i.path.map(String)].join(".");
    if (i.code === "unrecognized_keys") {
      const known = Object.keys((component.options as unknown as z.ZodObject).shape ?? {});
      return error(
        path,
        `unknown option${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `"${k}"`).join(", ")} for ${component.name}`,
        known.length ? `known options: ${known.join(", ")}` : `${component.name} takes no options`,
      );
    }
    return error(path, issueText(i));
  });
}

/** Resolves without throwing: the lab when there are no errors, and every finding. */
export function checkLab(spec: LabSpec): { lab?: ResolvedLab; findings: Finding[] } {
  const findings: Finding[] = [];
  const kubeVersion: KubeVersion | undefined = parseNodeImageVersion(spec.nodeImage);
  if (!kubeVersion) {
    findings.push(
      error(
        "nodeImage",
        `cannot read a Kubernetes version from ${spec.nodeImage}`,
        "use kindest/node:vX.Y.Z@sha256:…",
      ),
    );
  }
  const selected: Selected[] = [];
  const seenApps = new Set<string>();
  for (const { kind, ref, path } of refsOf(spec)) {
    const component = findComponent(kind, ref.name);
    if (!component) {
      const what =
        kind === "proxy" ? "kube-proxy mode" : kind === "app" ? "app" : kind === "cni" ? "CNI" : kind;
      findings.push(
        error(
          kind === "proxy" ? path : `${path}.name`,
          `unknown ${what} "${ref.name}": ${didYouMean(ref.name, componentNames(kind))}`,
        ),
      );
      continue;
    }
    if (kind === "app") {
      if (seenApps.has(ref.name)) findings.push(error(path, `app "${ref.name}" is listed twice`));
      seenApps.add(ref.name);
    }
    const parsed = component.options.safeParse(ref.options, REPORT_INPUT);
    if (!parsed.success) {
      findings.push(...optionFindings(parsed.error.issues, `${path}.options`, component));
      continue;
    }
    selected.push({
      component,
      options: parsed.data,
      path,
      version: component.versionOf?.(parsed.data) ?? component.version,
    });
  }
  if (findings.length || !kubeVersion) return { findings };

  selected.sort((a, b) => ORDER.indexOf(a.component.kind) - ORDER.indexOf(b.component.kind));
  const pick = (k: ComponentKind) => selected.find((s) => s.component.kind === k)?.component.name;
  const base = {
    spec,
    kubeVersion,
    clusterName: `${CLUSTER_PREFIX}${spec.name}`,
    selected: {
      cni: pick("cni")!,
      proxy: pick("proxy")!,
      ingress: pick("ingress"),
      gateway: pick("gateway"),
      loadBalancer: pick("loadBalancer"),
      apps: selected.filter((s) => s.component.kind === "app").map((s) => s.component.name),
    },
  };
  const claims = { ...BASELINE };
  for (const s of selected) {
    const c = { ...servedClaim(s, base), ...s.component.capabilities?.(s.options, base) };
    for (const [name, claim] of Object.entries(c) as [CapabilityName, CapabilityClaim][]) {
      (claims as Record<CapabilityName, CapabilityClaim & { by: string }>)[name] = {
        ...claim,
        by: s.component.name,
      };
    }
  }
  const capabilities = Object.fromEntries(
    Object.entries(claims).map(([k, v]) => [k, v.value]),
  ) as unknown as Capabilities;
  const lab: ResolvedLab = { ...base, capabilities, claims, components: selected, findings: [] };
  findings.push(...labRules(lab), ...hostPortClashes(lab, selected));
  for (const s of selected) findings.push(...(s.component.rules?.(s.options, lab) ?? []));
  findings.push(...compatibilityFindings(productSources(lab)));
  lab.findings = findings.filter((f) => f.level === "warning");
  return findings.some((f) => f.level === "error") ? { findings } : { lab, findings };
}

/** The versions of every product in the lab and the LabSpec path that put each there. */
export function productSources(lab: ResolvedLab): ProductSources {
  const sources = clusterVersions(lab.spec.nodeImage, lab.kubeVersion);
  for (const s of lab.components) {
    for (const [product, version] of Object.entries(s.component.versions?.(s.options, lab) ?? {}))
      sources[product as Product] ??= { version: version!, path: s.path };
  }
  return sources;
}

/** Resolves a lab or throws a LabError with every error on its own line. */
export function resolveLab(spec: LabSpec): ResolvedLab {
  const { lab, findings } = checkLab(spec);
  if (lab) return lab;
  throw new LabError(
    findings
      .filter((f) => f.level === "error")
      .map((f) => formatFinding(f, spec.name))
      .join("\n"),
  );
}

/**
 * A lab as the entry points take it: the input a lab file writes, a parsed LabSpec, or a lab
 * already resolved. `labs up` parses the lab once (the catalogue) and resolves it once, then
 * hands the ResolvedLab to every step, which must not parse or resolve it again.
 */
export type AnyLab = LabInput | LabSpec | ResolvedLab;

/** A LabInput or LabSpec never has `claims` or `selected`: the LabSpec schema is strict. */
export function isResolvedLab(lab: AnyLab): lab is ResolvedLab {
  return "claims" in lab && "selected" in lab && "components" in lab;
}

/** The lab resolved: as it is when it already was, else parsed and resolved. */
export function asResolvedLab(lab: AnyLab): ResolvedLab {
  return isResolvedLab(lab) ? lab : resolveLab(parseLabSpec(lab));
}

/** Everything the components of a lab contribute, gathered in component order. */
export function collect<T>(lab: ResolvedLab, pickFn: (s: Selected) => T[] | undefined): T[] {
  return lab.components.flatMap((s) => pickFn(s) ?? []);
}

/** How Services show on a node: each field from the last component that gives it (see ServiceDataplane). */
export function serviceDataplaneOf(lab: ResolvedLab): ServiceDataplane {
  return Object.assign({}, ...collect(lab, (s) => [s.component.serviceDataplane?.(s.options, lab) ?? {}]));
}

/** The descriptor hooks that give a list (hostNeeds, gates, inspections, …), by name. */
type ListHook = {
  [K in keyof Component<unknown>]-?: NonNullable<Component<unknown>[K]> extends (
    options: never,
    lab: LabView,
  ) => readonly unknown[]
    ? K
    : never;
}[keyof Component<unknown>];
type ItemOf<K extends ListHook> =
  NonNullable<Component<unknown>[K]> extends (...args: never[]) => readonly (infer T)[] ? T : never;

/** What every component of the lab gives for one descriptor hook, in component order. */
export function gathered<K extends ListHook>(lab: ResolvedLab, hook: K): ItemOf<K>[] {
  return collect(lab, (s) => {
    const give = s.component[hook] as ((options: unknown, lab: LabView) => ItemOf<K>[]) | undefined;
    return give?.call(s.component, s.options, lab);
  });
}

/** What the lab needs of the host's kernel, once per check id. */
export const hostNeedsOf = (lab: ResolvedLab): HostNeed[] => once(gathered(lab, "hostNeeds"), (n) => n.id);

/** Address ranges the lab's components hand out on the `kind` network. */
export const addressPoolsOf = (lab: ResolvedLab): AddressPool[] =>
  once(gathered(lab, "addressPools"), (p) => p.range);

export const artifactsOf = (lab: ResolvedLab): ArtifactRef[] => once(gathered(lab, "artifacts"), (a) => a.id);

/**
 * Gates, once each (two components of a lab may wait for the same thing, the Gateway API CRDs),
 * then the gates every lab has (nodes Ready, CoreDNS Available).
 */
export function gatesOf(lab: ResolvedLab): Gate[] {
  const own = once(gathered(lab, "gates"), (g) => JSON.stringify(g));
  return [...own, ...clusterGates(own)];
}
export const inspectionsOf = (lab: ResolvedLab): Inspection[] => gathered(lab, "inspections");
export const sideContainersOf = (lab: ResolvedLab): SideContainer[] => gathered(lab, "sideContainers");
/** Post-create kubectl steps, once each even when two components ask for the same one. */
export const postCreateOf = (lab: ResolvedLab): ClusterStep[] =>
  once(gathered(lab, "postCreate"), (step) => step.id);
export const runtimeObjectsOf = (lab: ResolvedLab): RuntimeObject[] => gathered(lab, "runtimeObjects");

/** Cluster variables, once each even when two components use the same one. */
export const clusterVariablesOf = (lab: ResolvedLab): ClusterVariable[] =>
  once(gathered(lab, "clusterVariables"), (v) => v.name);

/**
 * Paths a component carries although the claims name another component for them (see
 * CarriedPath), each with the title of the component that carries it: what the fault signatures
 * and the guide's diagram both follow.
 */
export const carriedPathsOf = (lab: ResolvedLab): (CarriedPath & { by: string })[] =>
  collect(lab, (s) =>
    s.component.faults?.(s.options, lab).carries?.map((c) => ({ ...c, by: s.component.title })),
  );

/**
 * The component that rewrites pod traffic to a ClusterIP when it is not the service proxy the
 * claims name: Cilium's bpf_lxc next to kube-proxy (cilium/cilium#16197). Undefined otherwise.
 */
export const clusterIpCarrier = (lab: ResolvedLab): string | undefined =>
  carriedPathsOf(lab).find((c) => c.path === "cluster-ip-from-pods")?.by;

/** The first of each key, in order. */
function once<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const i of items) if (!seen.has(key(i))) seen.set(key(i), i);
  return [...seen.values()];
}

export { FIELD_OF };
