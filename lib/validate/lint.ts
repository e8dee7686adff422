import { isIP } from "node:net";
import { KNOWN_POLICIES, type RuntimeObject } from "./admission.ts";
import type { ObjectIssue } from "./issue.ts";
import { describe, groupOf, identity, type LocatedObject } from "./object-ref.ts";
import { containersOf, podTemplateOf } from "./pod-templates.ts";

/**
 * Cross-reference lint over a whole lab: the mistakes a schema cannot see because they span
 * objects. Objects written by labs must be clean; upstream objects get warnings only, because
 * labs does not rewrite upstream files beyond what it means to change.
 */

const BUILT_IN_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

/** Kinds that have no namespace, besides those declared cluster-scoped by the lab's own CRDs. */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "APIService",
  "PriorityClass",
  "StorageClass",
  "CSIDriver",
  "RuntimeClass",
  "IngressClass",
  "GatewayClass",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding",
  "PodSecurityPolicy",
  "VolumeAttachment",
]);

export interface LintContext {
  /** Objects the lab's controllers create while they run (in no manifest). */
  runtimeObjects?: readonly RuntimeObject[];
}

/** `objects` in apply order: stage by stage, each stage in file order. */
export function lintObjects(objects: LocatedObject[], context: LintContext = {}): ObjectIssue[] {
  return [
    ...admissionBlocksController(objects, context.runtimeObjects ?? []),
    ...duplicates(objects),
    ...namespaces(objects),
    ...applyOrder(objects),
    ...hostNetworkDns(objects),
    ...images(objects),
    ...requests(objects),
    ...serviceSelectors(objects),
    ...ingressBackends(objects),
    ...routeBackends(objects),
    ...classReferences(objects),
    ...routeParents(objects),
  ];
}

function issue(
  level: ObjectIssue["level"],
  rule: string,
  l: LocatedObject,
  message: string,
  fix?: string,
): ObjectIssue {
  return { level, rule, stage: l.stage, object: describe(l.object), message, ...(fix ? { fix } : {}) };
}

/** Labs' own objects must be right; upstream objects are reported, not failed. */
const levelFor = (l: LocatedObject): ObjectIssue["level"] => (l.origin === "labs" ? "error" : "warning");

function duplicates(objects: LocatedObject[]): ObjectIssue[] {
  const seen = new Map<string, LocatedObject>();
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    const id = identity(l.object);
    const first = seen.get(id);
    if (first) out.push(issue("error", "duplicate", l, `defined twice (first in stage ${first.stage})`));
    else seen.set(id, l);
  }
  return out;
}

function clusterScopedKinds(objects: LocatedObject[]): Set<string> {
  const kinds = new Set(CLUSTER_SCOPED);
  for (const { object } of objects) {
    if (object.kind === "CustomResourceDefinition" && object.spec?.scope === "Cluster")
      kinds.add(object.spec.names?.kind);
  }
  return kinds;
}

function namespaces(objects: LocatedObject[]): ObjectIssue[] {
  const created = new Set(
    objects.filter((l) => l.object.kind === "Namespace").map((l) => l.object.metadata?.name),
  );
  const clusterScoped = clusterScopedKinds(objects);
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    if (clusterScoped.has(l.object.kind)) continue;
    const ns = l.object.metadata?.namespace;
    if (!ns) {
      out.push(
        issue(
          "warning",
          "namespace",
          l,
          "has no namespace: it lands in whatever namespace kubectl's context names",
        ),
      );
    } else if (!created.has(ns) && !BUILT_IN_NAMESPACES.has(ns)) {
      out.push(issue("error", "namespace", l, `namespace "${ns}" is used but never created in this lab`));
    }
  }
  return out;
}

/**
 * kubectl applies a file's objects in order and leaves dependencies to the caller
 * (kubernetes/kubectl#1356): an object the API server sees before its Namespace is refused
 * (`namespaces "…" not found`), a custom resource before its CRD too (`no matches for kind`).
 * Both fail `labs up` whatever the upstream origin, so both are errors. A custom resource in the
 * same stage as its CRD, after it, only costs apply retries until the CRD is Established.
 */
function applyOrder(objects: LocatedObject[]): ObjectIssue[] {
  const namespaceAt = new Map<string, number>();
  const crdAt = new Map<string, number>();
  objects.forEach(({ object }, i) => {
    if (object.kind === "Namespace" && object.metadata?.name && !namespaceAt.has(object.metadata.name))
      namespaceAt.set(object.metadata.name, i);
    if (object.kind === "CustomResourceDefinition" && object.spec?.names?.kind) {
      const key = `${object.spec.group}/${object.spec.names.kind}`;
      if (!crdAt.has(key)) crdAt.set(key, i);
    }
  });
  const out: ObjectIssue[] = [];
  objects.forEach((l, i) => {
    const ns = l.object.metadata?.namespace;
    const nsIndex = ns === undefined ? undefined : namespaceAt.get(ns);
    if (nsIndex !== undefined && nsIndex > i) {
      const where = objects[nsIndex]!.stage;
      out.push(
        issue(
          "error",
          "apply-order",
          l,
          `is applied before Namespace ${ns}${where === l.stage ? " in the same stage" : ` (stage ${where})`}: the API server refuses it with namespaces "${ns}" not found`,
          where === l.stage
            ? "build the stage with the Lab construct, whose stages write Namespaces first"
            : `create Namespace ${ns} in stage ${l.stage} or an earlier one (ensureNamespace), or move this object to stage ${where} or later`,
        ),
      );
    }
    const crdIndex = crdAt.get(`${groupOf(l.object.apiVersion)}/${l.object.kind}`);
    if (crdIndex === undefined) return;
    const crd = objects[crdIndex]!;
    const name = crd.object.metadata?.name;
    if (crdIndex > i) {
      out.push(
        issue(
          "error",
          "apply-order",
          l,
          `is applied before the CRD ${name} that defines its kind (stage ${crd.stage}): the API server answers no matches for kind ${l.object.kind}`,
          `put CRD ${name} in stage crds (gated on Established) and this object in a later stage`,
        ),
      );
    } else if (crd.stage === l.stage) {
      out.push(
        issue(
          "warning",
          "apply-order",
          l,
          `is applied in the same stage as the CRD ${name} that defines its kind: the first apply fails until the CRD is Established and is retried`,
          `put CRD ${name} in stage crds (gated on Established) and this object in a later stage`,
        ),
      );
    }
  });
  return out;
}

/**
 * An admission policy of the lab that refuses what one of the lab's controllers creates when it
 * runs: the controller's create fails in the cluster, where no apply shows it. Validating
 * admission runs before the API server's AlreadyExists check, so even a create of something
 * that already exists is refused.
 */
function admissionBlocksController(
  objects: LocatedObject[],
  runtime: readonly RuntimeObject[],
): ObjectIssue[] {
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    if (l.object.kind !== "ValidatingAdmissionPolicy") continue;
    const policy = KNOWN_POLICIES.find((p) => p.name === l.object.metadata?.name);
    if (!policy) continue;
    const refused = runtime.flatMap((r) => {
      const why = policy.denies(r.object);
      return why ? [{ r, why }] : [];
    });
    if (!refused.length) continue;
    const { r, why } = refused[0]!;
    const names = refused.map((x) => x.r.object.metadata?.name).join(", ");
    out.push(
      issue(
        "error",
        "admission-blocks-controller",
        l,
        `refuses what ${r.by} creates when it starts (${names}): ${why}, and admission runs before the AlreadyExists check, so ${r.consequence} [${policy.source}]`,
        `leave the policy out of labs where ${r.by} creates those objects (ensureGatewayApiCrds does so where cloud-provider-kind manages Gateway API)`,
      ),
    );
  }
  return out;
}

/** Stages applied before the pod network is up: nothing there can use cluster DNS. */
const BEFORE_POD_NETWORK = new Set(["crds", "cni"]);

/** A value the runtime fills with an IP address (`${LABS_API_SERVER_ADDRESS}`, ClusterVariable). */
const ADDRESS_VARIABLE = /^\$\{LABS_API_SERVER_ADDRESS\}$/;

interface EnvSource {
  name: string;
  value?: string;
}

/**
 * A host-network pod with dnsPolicy ClusterFirstWithHostNet resolves every name through CoreDNS.
 * Started before the pod network (stages crds and cni), CoreDNS cannot run yet (it needs the
 * CNI), so such a pod must be given the API server as an address: a name deadlocks the install
 * (tigera/operator#1746, projectcalico/calico#10683). The API server reaches a pod through
 * KUBERNETES_SERVICE_HOST, set directly or from a ConfigMap (envFrom).
 */
function hostNetworkDns(objects: LocatedObject[]): ObjectIssue[] {
  const configMaps = new Map<string, LocatedObject>();
  for (const l of objects)
    if (l.object.kind === "ConfigMap")
      configMaps.set(`${l.object.metadata?.namespace ?? "default"}/${l.object.metadata?.name}`, l);
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    if (!BEFORE_POD_NETWORK.has(l.stage)) continue;
    const spec = podTemplateOf(l.object)?.spec;
    if (!spec?.hostNetwork || spec.dnsPolicy !== "ClusterFirstWithHostNet") continue;
    const ns = l.object.metadata?.namespace ?? "default";
    const hosts: (EnvSource & { from: string })[] = [];
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const e of (c.env ?? []) as EnvSource[])
        if (e.name === "KUBERNETES_SERVICE_HOST" && e.value !== undefined)
          hosts.push({ ...e, from: `container ${c.name}` });
      for (const f of (c.envFrom ?? []) as { configMapRef?: { name: string } }[]) {
        const cm = f.configMapRef && configMaps.get(`${ns}/${f.configMapRef.name}`);
        const value = cm?.object.data?.KUBERNETES_SERVICE_HOST;
        if (typeof value === "string")
          hosts.push({
            name: "KUBERNETES_SERVICE_HOST",
            value,
            from: `ConfigMap ${ns}/${f.configMapRef!.name}`,
          });
      }
    }
    for (const h of hosts) {
      if (isIP(h.value ?? "") || ADDRESS_VARIABLE.test(h.value ?? "")) continue;
      out.push(
        issue(
          "error",
          "host-network-dns",
          l,
          `runs on the host network with dnsPolicy ClusterFirstWithHostNet before the pod network is up, and ${h.from} gives it the API server as the name "${h.value}": only CoreDNS could resolve it, and CoreDNS cannot run before the CNI, so the install never finishes`,
          "give it the API server's address instead: write ${LABS_API_SERVER_ADDRESS} (API_SERVER_ADDRESS in lib/components/cni/api-server-endpoint.ts, filled in by `labs up`) and declare that cluster variable",
        ),
      );
    }
  }
  return out;
}

function images(objects: LocatedObject[]): ObjectIssue[] {
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    for (const c of containersOf(l.object)) {
      const image = c.image ?? "";
      const withoutDigest = image.split("@")[0]!;
      const lastSegment = withoutDigest.split("/").pop() ?? "";
      if (!image) out.push(issue("error", "image", l, `container ${c.name} has no image`));
      else if (withoutDigest.endsWith(":latest"))
        out.push(issue("error", "image", l, `container ${c.name} uses ${image}: pin a version`));
      else if (!lastSegment.includes(":") && !image.includes("@")) {
        out.push(
          issue(
            "error",
            "image",
            l,
            `container ${c.name} uses ${image} without a tag (means :latest): pin a version`,
          ),
        );
      }
      if (c.imagePullPolicy === "Always") {
        out.push(
          issue(
            "error",
            "pull-policy",
            l,
            `container ${c.name} has imagePullPolicy Always: labs must run offline once images are loaded`,
          ),
        );
      }
    }
  }
  return out;
}

function requests(objects: LocatedObject[]): ObjectIssue[] {
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    for (const c of containersOf(l.object)) {
      const r = c.resources?.requests ?? {};
      if (!("cpu" in r) || !("memory" in r)) {
        out.push(
          issue(
            levelFor(l),
            "requests",
            l,
            `container ${c.name} sets no ${!("cpu" in r) ? "cpu" : "memory"} request`,
          ),
        );
      }
    }
  }
  return out;
}

function podLabelsByNamespace(objects: LocatedObject[]): Map<string, Record<string, string>[]> {
  const map = new Map<string, Record<string, string>[]>();
  for (const { object } of objects) {
    const t = podTemplateOf(object);
    if (!t) continue;
    const ns = object.metadata?.namespace ?? "default";
    map.set(ns, [...(map.get(ns) ?? []), t.metadata?.labels ?? {}]);
  }
  return map;
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

function serviceSelectors(objects: LocatedObject[]): ObjectIssue[] {
  const pods = podLabelsByNamespace(objects);
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    if (l.object.kind !== "Service") continue;
    const selector: Record<string, string> | undefined = l.object.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) continue;
    const ns = l.object.metadata?.namespace ?? "default";
    if (!(pods.get(ns) ?? []).some((labels) => matches(selector, labels))) {
      const text = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      out.push(
        issue(
          levelFor(l),
          "service-selector",
          l,
          `selector ${text} matches no pod template in namespace ${ns}`,
        ),
      );
    }
  }
  return out;
}

interface ServiceIndex {
  find(ns: string, name: string): { ports: { name?: string; port: number }[] } | undefined;
}

function serviceIndex(objects: LocatedObject[]): ServiceIndex {
  const services = new Map<string, { ports: { name?: string; port: number }[] }>();
  for (const { object } of objects) {
    if (object.kind === "Service") {
      services.set(`${object.metadata?.namespace ?? "default"}/${object.metadata?.name}`, {
        ports: object.spec?.ports ?? [],
      });
    }
  }
  return { find: (ns, name) => services.get(`${ns}/${name}`) };
}

function checkBackend(
  index: ServiceIndex,
  l: LocatedObject,
  rule: string,
  ns: string,
  name: string,
  port: { number?: number; name?: string } | undefined,
): ObjectIssue[] {
  const svc = index.find(ns, name);
  if (!svc) return [issue("error", rule, l, `backend Service ${ns}/${name} does not exist in this lab`)];
  if (!port) return [];
  const ok = svc.ports.some((p) =>
    port.number !== undefined ? p.port === port.number : p.name === port.name,
  );
  if (ok) return [];
  const wanted = port.number ?? port.name;
  const known = svc.ports.map((p) => (p.name ? `${p.name}:${p.port}` : `${p.port}`)).join(", ");
  return [
    issue(
      "error",
      rule,
      l,
      `backend Service ${ns}/${name} has no port ${wanted} (it has ${known || "none"})`,
    ),
  ];
}

function ingressBackends(objects: LocatedObject[]): ObjectIssue[] {
  const index = serviceIndex(objects);
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    if (l.object.kind !== "Ingress") continue;
    const ns = l.object.metadata?.namespace ?? "default";
    const backends = [
      l.object.spec?.defaultBackend,
      ...(l.object.spec?.rules ?? []).flatMap((r: { http?: { paths?: { backend?: unknown }[] } }) =>
        (r.http?.paths ?? []).map((p) => p.backend),
      ),
    ].filter(Boolean) as { service?: { name: string; port?: { number?: number; name?: string } } }[];
    for (const b of backends) {
      if (b.service)
        out.push(...checkBackend(index, l, "ingress-backend", ns, b.service.name, b.service.port));
    }
  }
  return out;
}

const ROUTE_KINDS = new Set(["HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"]);

function routeBackends(objects: LocatedObject[]): ObjectIssue[] {
  const index = serviceIndex(objects);
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    if (!ROUTE_KINDS.has(l.object.kind)) continue;
    const routeNs = l.object.metadata?.namespace ?? "default";
    for (const rule of l.object.spec?.rules ?? []) {
      for (const ref of rule.backendRefs ?? []) {
        if ((ref.kind ?? "Service") !== "Service" || (ref.group ?? "") !== "") continue;
        out.push(
          ...checkBackend(
            index,
            l,
            "route-backend",
            ref.namespace ?? routeNs,
            ref.name,
            ref.port === undefined ? undefined : { number: ref.port },
          ),
        );
        if (ref.port === undefined)
          out.push(
            issue(
              "error",
              "route-backend",
              l,
              `backendRef to Service ${ref.name} has no port (required for Services)`,
            ),
          );
      }
    }
  }
  return out;
}

const GATEWAY_GROUP = "gateway.networking.k8s.io";

const isGatewayApi = (o: LocatedObject["object"]) => o.apiVersion.startsWith(`${GATEWAY_GROUP}/`);

/** Gateways name a GatewayClass, Ingresses an IngressClass: the class must be part of the lab. */
function classReferences(objects: LocatedObject[]): ObjectIssue[] {
  const names = (kind: string, group: string) =>
    new Set(
      objects
        .filter((l) => l.object.kind === kind && l.object.apiVersion.startsWith(`${group}/`))
        .map((l) => l.object.metadata?.name),
    );
  const gatewayClasses = names("GatewayClass", GATEWAY_GROUP);
  const ingressClasses = names("IngressClass", "networking.k8s.io");
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    const { kind, spec } = l.object;
    if (kind === "Gateway" && isGatewayApi(l.object) && !gatewayClasses.has(spec?.gatewayClassName)) {
      out.push(
        issue(
          levelFor(l),
          "gateway-class",
          l,
          `GatewayClass ${spec?.gatewayClassName} does not exist in this lab: no controller would program this Gateway`,
        ),
      );
    }
    if (kind === "Ingress" && spec?.ingressClassName && !ingressClasses.has(spec.ingressClassName)) {
      out.push(
        issue(
          levelFor(l),
          "ingress-class",
          l,
          `IngressClass ${spec.ingressClassName} does not exist in this lab: no controller would serve this Ingress`,
        ),
      );
    }
  }
  return out;
}

/** A route's parentRefs must name Gateways of the lab, and listeners those Gateways have. */
function routeParents(objects: LocatedObject[]): ObjectIssue[] {
  const gateways = new Map<string, string[]>();
  for (const { object } of objects) {
    if (object.kind !== "Gateway" || !isGatewayApi(object)) continue;
    const listeners = (object.spec?.listeners ?? []).map((x: { name: string }) => x.name);
    gateways.set(`${object.metadata?.namespace ?? "default"}/${object.metadata?.name}`, listeners);
  }
  const out: ObjectIssue[] = [];
  for (const l of objects) {
    if (!ROUTE_KINDS.has(l.object.kind)) continue;
    const routeNs = l.object.metadata?.namespace ?? "default";
    for (const ref of l.object.spec?.parentRefs ?? []) {
      if ((ref.kind ?? "Gateway") !== "Gateway" || (ref.group ?? GATEWAY_GROUP) !== GATEWAY_GROUP) continue;
      const key = `${ref.namespace ?? routeNs}/${ref.name}`;
      const listeners = gateways.get(key);
      if (!listeners) {
        out.push(issue(levelFor(l), "route-parent", l, `parent Gateway ${key} does not exist in this lab`));
      } else if (ref.sectionName && !listeners.includes(ref.sectionName)) {
        out.push(
          issue(
            levelFor(l),
            "route-parent",
            l,
            `parent Gateway ${key} has no listener ${ref.sectionName} (it has ${listeners.join(", ") || "none"})`,
          ),
        );
      }
    }
  }
  return out;
}
