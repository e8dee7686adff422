import type { K8sObject } from "../model/k8s-object.ts";

/**
 * Admission policies labs knows the meaning of, so lint can tell when one would refuse what a
 * controller of the same lab creates while it runs (objects in no manifest, so no schema or
 * apply would show it). A policy's CEL is mirrored here from its upstream file.
 */

/** An object a component's controller creates in the cluster at run time, e.g. CRDs it embeds. */
export interface RuntimeObject {
  /** Who creates it, e.g. `cloud-provider-kind v0.11.1`. */
  by: string;
  /** What happens to the lab when the create is refused. */
  consequence: string;
  object: K8sObject;
}

export interface KnownPolicy {
  /** metadata.name of the ValidatingAdmissionPolicy. */
  name: string;
  source: string;
  /** Why the policy refuses `object` on CREATE, or undefined when it admits it. */
  denies(object: K8sObject): string | undefined;
}

const GATEWAY_GROUP = "gateway.networking.k8s.io";
const BUNDLE = "gateway.networking.k8s.io/bundle-version";

export const KNOWN_POLICIES: readonly KnownPolicy[] = [
  {
    // Its second validation: a Gateway API CRD needs a bundle-version that is a release
    // candidate, or matches neither 'v1.[0-5].\d+' nor 'v0' (CEL matches() searches, unanchored).
    name: "safe-upgrades.gateway.networking.k8s.io",
    source:
      "kubernetes-sigs/gateway-api config/crd/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml@v1.6.1",
    denies(object) {
      if (object.kind !== "CustomResourceDefinition" || object.spec?.group !== GATEWAY_GROUP)
        return undefined;
      const version = object.metadata?.annotations?.[BUNDLE];
      if (version === undefined) return `it has no ${BUNDLE} annotation`;
      if (/-(rc)/.test(version)) return undefined;
      if (/v1.[0-5].\d+/.test(version) || /v0/.test(version))
        return `its bundle-version ${version} is before v1.6 ("Installing CRDs with version before v1.5.0 is prohibited")`;
      return undefined;
    },
  },
];
