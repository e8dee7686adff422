import type { z } from "zod";
import { didYouMean, isNearMiss } from "./suggest.ts";

/**
 * Schema issues in words a lab author can act on: what was expected and what was given.
 * zod 4 leaves `issue.input` out unless asked (`reportInput: true`), so every parse that feeds
 * these messages asks for it; without it a wrong type reads like a missing field.
 */

/** Parse options for every user-facing schema check. */
export const REPORT_INPUT = { reportInput: true } as const;

type Issue = z.core.$ZodIssue;

/** A short, safe description of any value: never throws, never prints a whole object. */
export function describeValue(value: unknown): string {
  try {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    switch (typeof value) {
      case "string":
        return value === "" ? "an empty string" : `the string ${quote(value)}`;
      case "number":
        return Number.isNaN(value) ? "NaN" : `the number ${value}`;
      case "bigint":
        return `the bigint ${value}n`;
      case "boolean":
        return String(value);
      case "symbol":
        return "a symbol";
      case "function":
        return "a function";
    }
    if (Array.isArray(value)) return value.length ? `a list of ${value.length}` : "an empty list";
    return "an object";
  } catch {
    return "a value that cannot be read";
  }
}

/** A string in double quotes, cut to a readable length, control characters escaped. */
export function quote(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

const ARTICLE: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  record: "an object",
  bigint: "a bigint",
  undefined: "nothing",
  null: "null",
};

const expectedWord = (expected: string) => ARTICLE[expected] ?? expected;

/** zod's own default messages start like this; ours (set in the schemas) are kept. */
const isDefaultMessage = (m: string) => /^Invalid (input|option|key|element|value)/.test(m) || m === "";

function hasInput(issue: Issue): boolean {
  return "input" in issue;
}

/**
 * The message for one issue. `known` lists the fields of the object an unknown key was found in,
 * for a "did you mean".
 */
export function issueText(issue: Issue, known: readonly string[] = []): string {
  const given = hasInput(issue) ? describeValue(issue.input) : undefined;
  switch (issue.code) {
    case "invalid_type": {
      const expected = expectedWord(issue.expected);
      if (issue.input === undefined) return `is required (expected ${expected})`;
      const what = isDefaultMessage(issue.message) ? `expected ${expected}` : issue.message;
      return `${what}, got ${given}`;
    }
    case "invalid_value": {
      const values = issue.values.map((v) => (typeof v === "string" ? quote(v) : String(v)));
      const near =
        typeof issue.input === "string"
          ? closeTo(
              issue.input,
              issue.values.filter((v): v is string => typeof v === "string"),
            )
          : "";
      // A schema's own wording ("backend must be one of …") is kept; zod's default is replaced.
      const what = isDefaultMessage(issue.message)
        ? `expected ${values.length === 1 ? values[0] : `one of ${values.join(", ")}`}`
        : issue.message;
      return `${what}, got ${given}${near}`;
    }
    case "unrecognized_keys": {
      const keys = issue.keys.map((k) => quote(k)).join(", ");
      const hint = issue.keys.length === 1 && known.length ? ` (${didYouMean(issue.keys[0]!, known)})` : "";
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${keys}${hint}`;
    }
    case "invalid_union":
      return unionText(issue);
    default: {
      const message = isDefaultMessage(issue.message) ? "is not valid" : issue.message;
      return given === undefined ? message : `${message}, got ${given}`;
    }
  }
}

function closeTo(input: string, values: string[]): string {
  const near = values.filter((v) => isNearMiss(input, v));
  return near.length ? ` (did you mean ${near.map((v) => quote(v)).join(" or ")}?)` : "";
}

/**
 * A union (a component given as `"name"` or `{ name, options }`): when the value had the shape
 * of one branch, that branch's own complaint is the useful one; otherwise say what either
 * branch takes.
 */
function unionText(issue: Extract<Issue, { code: "invalid_union" }>): string {
  const deeper = issue.errors.find((branch) => branch.length && branch.every((i) => i.path.length > 0));
  if (deeper) {
    return deeper.map((i) => `${i.path.map(String).join(".")}: ${issueText(i)}`).join("; ");
  }
  const expected = issue.errors
    .flat()
    .filter((i) => i.code === "invalid_type" && i.path.length === 0)
    .map((i) => expectedWord((i as { expected: string }).expected));
  const given = hasInput(issue) ? describeValue(issue.input) : "nothing";
  if (!expected.length) return `is not valid, got ${given}`;
  return `expected ${[...new Set(expected)].join(" or ")}, got ${given}`;
}

/**
 * Issues with unions opened up: when a value had the shape of one branch (an object for
 * `"name" | { name, options }`), that branch's own issues, under their full paths.
 */
export function flattenIssues(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((i) => {
    if (i.code !== "invalid_union") return [i];
    const deeper = i.errors.find((branch) => branch.length && branch.every((b) => b.path.length > 0));
    if (!deeper) return [i];
    return flattenIssues(deeper.map((b) => ({ ...b, path: [...i.path, ...b.path] }) as Issue));
  });
}

/** Dotted path as labs prints it: `apps[0].options.pool`. */
export function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
}

interface SchemaDef {
  type: string;
  shape?: Record<string, { _zod: { def: SchemaDef } }>;
  innerType?: { _zod: { def: SchemaDef } };
  element?: { _zod: { def: SchemaDef } };
  options?: { _zod: { def: SchemaDef } }[];
  in?: { _zod: { def: SchemaDef } };
}

/** The field names of the object a schema expects at `path` (for "did you mean"); [] if none. */
export function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let defs: SchemaDef[] = [(schema as unknown as { _zod: { def: SchemaDef } })._zod.def];
  const unwrap = (d: SchemaDef): SchemaDef[] => {
    if (d.innerType) return unwrap(d.innerType._zod.def);
    if (d.type === "pipe" && d.in) return unwrap(d.in._zod.def);
    if (d.type === "union" && d.options) return d.options.flatMap((o) => unwrap(o._zod.def));
    return [d];
  };
  for (const step of [...path, undefined]) {
    defs = defs.flatMap(unwrap);
    if (step === undefined) break;
    defs = defs.flatMap((d) => {
      if (typeof step === "number") return d.element ? [d.element._zod.def] : [];
      const child = d.shape?.[String(step)];
      return child ? [child._zod.def] : [];
    });
  }
  return [...new Set(defs.flatMap((d) => Object.keys(d.shape ?? {})))];
}
