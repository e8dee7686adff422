import { createHash } from "node:crypto";
import { ApiObject } from "cdk8s";
import type { Construct } from "constructs";
import type { K8sObject } from "../model/k8s-object.ts";
import { parseYamlDocuments } from "../model/yaml.ts";

/** Marks objects that came from a pinned upstream file, so lint judges them as upstream's. */
export const ORIGIN_METADATA = "labs:origin";

/**
 * Parsed manifests by content: the three Calico labs share 3 MB of CRDs, and parsing them once
 * per process is what keeps `labs synth --all` fast. Callers get their own copy.
 */
const parsed = new Map<string, K8sObject[]>();

/** Parses a multi-document upstream manifest into plain objects, skipping empty documents. */
export function parseManifest(text: string): K8sObject[] {
  const key = createHash("sha256").update(text).digest("hex");
  let objects = parsed.get(key);
  if (!objects) {
    objects = parseYamlDocuments(text).filter(
      (o): o is K8sObject => typeof o === "object" && o !== null && "kind" in o,
    );
    parsed.set(key, objects);
  }
  return structuredClone(objects);
}

/**
 * Adds upstream objects to `scope`, each passed through `patch` first (the only place labs
 * changes upstream bytes). Returning undefined from `patch` drops the object.
 */
export function includeUpstream(
  scope: Construct,
  id: string,
  objects: K8sObject[],
  patch: (o: K8sObject) => K8sObject | undefined = (o) => o,
): ApiObject[] {
  const added: ApiObject[] = [];
  objects.forEach((original, i) => {
    const o = patch(structuredClone(original));
    if (!o) return;
    const { apiVersion, kind, metadata, ...rest } = o;
    const api = new ApiObject(scope, `${id}-${i}-${kind.toLowerCase()}-${metadata?.name ?? "unnamed"}`, {
      apiVersion,
      kind,
      metadata: metadata ?? {},
      ...rest,
    });
    api.node.addMetadata(ORIGIN_METADATA, "upstream");
    added.push(api);
  });
  return added;
}
