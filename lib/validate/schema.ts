import type { ObjectIssue } from "./issue.ts";
import { describe, type LocatedObject } from "./object-ref.ts";

/**
 * Validates objects against the Kubernetes OpenAPI schemas shipped by kubernetes-models (core)
 * and @kubernetes-models/gateway-api. Objects of other CRDs are reported as not schema-checked.
 */

interface Model {
  new (data: unknown): { validate(): void };
}

const GATEWAY_GROUPS = new Set(["gateway.networking.k8s.io", "gateway.networking.x-k8s.io"]);

function modulePathFor(apiVersion: string): string | undefined {
  if (!/^[a-z0-9.-]*\/?v[0-9a-z]+$/.test(apiVersion)) return undefined;
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
  if (GATEWAY_GROUPS.has(group)) return `@kubernetes-models/gateway-api/${apiVersion}`;
  if (group === "" || group.endsWith(".k8s.io") || !group.includes("."))
    return `kubernetes-models/${apiVersion}`;
  return undefined;
}

const modules = new Map<string, Promise<Record<string, unknown> | undefined>>();

async function modelFor(apiVersion: string, kind: string): Promise<Model | undefined> {
  const path = modulePathFor(apiVersion);
  if (!path) return undefined;
  if (!modules.has(path))
    modules.set(
      path,
      // No module for this apiVersion in the bundled models: the object is reported as not schema-checked.
      import(path).catch(() => undefined),
    );
  const mod = await modules.get(path)!;
  const model = mod?.[kind];
  return typeof model === "function" ? (model as Model) : undefined;
}

export interface SchemaReport {
  issues: ObjectIssue[];
  checked: number;
  /** `Kind (apiVersion)` of objects no bundled schema covers. */
  notChecked: string[];
}

export async function validateSchemas(objects: LocatedObject[]): Promise<SchemaReport> {
  const issues: ObjectIssue[] = [];
  const notChecked = new Set<string>();
  let checked = 0;
  for (const { stage, object } of objects) {
    const model = await modelFor(object.apiVersion, object.kind);
    if (!model) {
      notChecked.add(`${object.kind} (${object.apiVersion})`);
      continue;
    }
    checked++;
    try {
      new model(object).validate();
    } catch (e) {
      issues.push({
        level: "error",
        rule: "schema",
        stage,
        object: describe(object),
        message: (e as Error).message,
      });
    }
  }
  const sorted = [...notChecked].sort();
  for (const kind of sorted) {
    issues.push({
      level: "note",
      rule: "schema",
      stage: "*",
      object: kind,
      message: "not schema-checked (no bundled schema for this kind)",
    });
  }
  return { issues, checked, notChecked: sorted };
}
