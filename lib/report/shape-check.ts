/**
 * Checks a JSON value against the JSON Schemas labs publishes for its own files (results.json,
 * the probe report), so a file edited by hand or cut short fails with the path of the first bad
 * field instead of a crash deep inside a renderer. It understands the keywords those schemas
 * use (type, const, enum, required, properties, additionalProperties, items, minimum) and
 * ignores annotations such as `format`, `title` and `description`.
 */

export interface Shape {
  type?: string;
  const?: unknown;
  enum?: readonly unknown[];
  required?: readonly string[];
  properties?: Readonly<Record<string, Shape>>;
  additionalProperties?: boolean | Shape;
  items?: Shape;
  minimum?: number;
}

export interface ShapeProblem {
  /** e.g. `labs[0].stages`. */
  path: string;
  message: string;
}

const kindOf = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;

function matchesType(v: unknown, type: string): boolean {
  switch (type) {
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "object":
      return kindOf(v) === "object";
    default:
      return kindOf(v) === type || (type === "string" && typeof v === "string");
  }
}

const join = (path: string, key: string | number) =>
  typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : kindOf(v));

/** The first problem of `value` against `shape`, depth first; undefined when it fits. */
export function firstShapeProblem(value: unknown, shape: Shape, path = ""): ShapeProblem | undefined {
  const at = path || "(the whole file)";
  if (shape.type && !matchesType(value, shape.type))
    return { path: at, message: `expected ${article(shape.type)}, got ${show(value)}` };
  if ("const" in shape && value !== shape.const)
    return { path: at, message: `expected ${JSON.stringify(shape.const)}, got ${show(value)}` };
  if (shape.enum && !shape.enum.includes(value))
    return {
      path: at,
      message: `expected one of ${shape.enum.map((e) => JSON.stringify(e)).join(", ")}, got ${show(value)}`,
    };
  if (shape.minimum !== undefined && typeof value === "number" && value < shape.minimum)
    return { path: at, message: `expected at least ${shape.minimum}, got ${value}` };
  if (Array.isArray(value) && shape.items) {
    for (let i = 0; i < value.length; i++) {
      const p = firstShapeProblem(value[i], shape.items, join(path, i));
      if (p) return p;
    }
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const key of shape.required ?? [])
      if (!Object.hasOwn(obj, key)) return { path: join(path, key), message: "is missing" };
    for (const [key, v] of Object.entries(obj)) {
      const own = shape.properties?.[key];
      const extra = shape.additionalProperties;
      if (own) {
        const p = firstShapeProblem(v, own, join(path, key));
        if (p) return p;
      } else if (extra === false) {
        return { path: join(path, key), message: "is not a known field" };
      } else if (extra && typeof extra === "object") {
        const p = firstShapeProblem(v, extra, join(path, key));
        if (p) return p;
      }
    }
  }
  return undefined;
}

function article(type: string): string {
  return type === "array"
    ? "a list"
    : type === "object"
      ? "an object"
      : type === "integer"
        ? "a whole number"
        : `a ${type}`;
}
