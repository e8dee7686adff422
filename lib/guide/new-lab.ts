/**
 * `labs new`: a lab file from `templates/lab.ts.tmpl`, checked before it is written. The new file
 * is written next to its final place under a temporary name, loaded the way the catalogue loads
 * labs, parsed and resolved; only a lab that resolves is moved into place, and never over an
 * existing file.
 */
import { existsSync, linkSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCatalogue, loadLabFile } from "../catalogue.ts";
import { ECHO, ECHO_V2 } from "../components/apps/names.ts";
import type { ComponentKind } from "../components/component.ts";
import { componentNames, findComponent } from "../components/registry.ts";
import { checkLab } from "../components/resolve.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { errorsOf, type Finding } from "../model/findings.ts";
import { checkLabSpec, type LabInput, labSpecSchema } from "../model/lab-spec.ts";
import { didYouMean } from "../model/suggest.ts";

export const LAB_TEMPLATE = fileURLToPath(new URL("../../templates/lab.ts.tmpl", import.meta.url));
const DEFINE_LAB_MODULE = fileURLToPath(new URL("../model/define-lab.ts", import.meta.url));

export interface NewLabRequest {
  name: string;
  cni: string;
  /** Options of the CNI, e.g. `{ backend: "host-gw" }`. */
  cniOptions?: Record<string, unknown>;
  /** kube-proxy mode: iptables, ipvs, nftables or none. */
  proxy: string;
  /** `ingress=NAME`, `gateway=NAME`, `lb=NAME`, a name that is only one of those, or `none`. */
  northSouth?: string[];
  apps?: string[];
  workers?: number;
  description?: string;
}

const NORTH_SOUTH_SLOTS: Record<string, "ingress" | "gateway" | "loadBalancer"> = {
  ingress: "ingress",
  gateway: "gateway",
  lb: "loadBalancer",
  loadbalancer: "loadBalancer",
  loadBalancer: "loadBalancer",
};
const NS_KINDS = ["ingress", "gateway", "loadBalancer"] as const;

/** Which flag each spec field comes from, so errors name what the user typed. */
const FLAG_OF: [RegExp, string][] = [
  [/^name/, "<name>"],
  [/^cni\.options/, "--cni-option"],
  [/^cni/, "--cni"],
  [/^kubeProxyMode/, "--proxy"],
  [/^northSouth\.ingress/, "--north-south ingress="],
  [/^northSouth\.gateway/, "--north-south gateway="],
  [/^loadBalancer/, "--north-south lb="],
  [/^apps/, "--apps"],
  [/^nodes/, "--workers"],
  [/^description/, "--description"],
];

function flagOf(path: string): string {
  return FLAG_OF.find(([re]) => re.test(path))?.[1] ?? path;
}

function fail(findings: Finding[]): never {
  const lines = errorsOf(findings).map((f) => `${flagOf(f.path)}: ${f.message}${f.fix ? ` (${f.fix})` : ""}`);
  throw new LabError(lines.join("\n"), "`labs new --help` lists the options");
}

/** `ingress=nginx` and friends into spec fields; a bare name is fine when only one kind has it. */
export function northSouthOf(items: string[]): Pick<LabInput, "northSouth" | "loadBalancer"> {
  const out: { ingress?: string; gateway?: string; loadBalancer?: string } = {};
  for (const item of items
    .flatMap((i) => i.split(","))
    .map((i) => i.trim())
    .filter(Boolean)) {
    if (item === "none") continue;
    let slot: (typeof NS_KINDS)[number] | undefined;
    let name = item;
    const eq = item.indexOf("=");
    if (eq >= 0) {
      const key = item.slice(0, eq);
      slot = NORTH_SOUTH_SLOTS[key];
      name = item.slice(eq + 1);
      if (!slot)
        throw new LabError(
          `--north-south: "${key}" is not a north-south slot`,
          "write ingress=NAME, gateway=NAME or lb=NAME",
        );
    } else {
      const kinds = NS_KINDS.filter((k) => findComponent(k, item));
      if (kinds.length > 1)
        throw new LabError(
          `--north-south: "${item}" can be ${kinds.map(kindWord).join(" or ")}`,
          `say which: ${kinds.map((k) => `${slotWord(k)}=${item}`).join(" or ")}`,
        );
      if (kinds.length === 0) {
        const known = NS_KINDS.flatMap((k) => componentNames(k));
        throw new LabError(
          `--north-south: unknown component "${item}": ${didYouMean(item, [...new Set(known)])}`,
          `known: ${NS_KINDS.map((k) => `${slotWord(k)}=${componentNames(k).join("|")}`).join(", ")}`,
        );
      }
      slot = kinds[0]!;
    }
    if (out[slot] && out[slot] !== name)
      throw new LabError(
        `--north-south: two ${kindWord(slot)}s given (${out[slot]} and ${name})`,
        "a lab has one of each",
      );
    out[slot] = name;
  }
  const result: Pick<LabInput, "northSouth" | "loadBalancer"> = {};
  if (out.ingress || out.gateway) {
    result.northSouth = {};
    if (out.ingress) result.northSouth.ingress = out.ingress;
    if (out.gateway) result.northSouth.gateway = out.gateway;
  }
  if (out.loadBalancer) result.loadBalancer = out.loadBalancer;
  return result;
}

const kindWord = (k: ComponentKind) =>
  k === "loadBalancer" ? "a load balancer" : k === "ingress" ? "an ingress" : `a ${k}`;
const slotWord = (k: ComponentKind) => (k === "loadBalancer" ? "lb" : k);

/** `key=value` pairs into options; values that read as JSON (true, 3, "x") are taken as such. */
export function parseOptionPairs(pairs: string[], flag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new LabError(`${flag}: "${pair}" is not key=value`, `e.g. ${flag} backend=host-gw`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // A plain word: keep it as a string.
    }
    out[pair.slice(0, eq)] = value;
  }
  return out;
}

/** echo always; echo-v2 too when an ingress or a gateway routes to both (route-backends.ts). */
function defaultApps(ns: Pick<LabInput, "northSouth">): string[] {
  return ns.northSouth?.ingress || ns.northSouth?.gateway ? [ECHO.app, ECHO_V2.app] : [ECHO.app];
}

const refName = (ref: string | { name: string }) => (typeof ref === "string" ? ref : ref.name);

function titleOf(kind: ComponentKind, name: string): string {
  return findComponent(kind, name)?.title ?? name;
}

/** The LabInput a request describes, checked with the LabSpec schema and the component rules. */
export function labInputOf(req: NewLabRequest): LabInput {
  const nameCheck = labSpecSchema.shape.name.safeParse(req.name);
  if (!nameCheck.success)
    throw new LabError(
      `lab name "${req.name}" is not valid: ${nameCheck.error.issues[0]?.message}`,
      "e.g. labs new calico-ipvs --cni calico --proxy ipvs",
    );
  const ns = northSouthOf(req.northSouth ?? []);
  const cniOptions = req.cniOptions ?? {};
  const input: LabInput = {
    name: req.name,
    description:
      req.description ??
      `${titleOf("cni", req.cni)} with ${titleOf("proxy", req.proxy)}${[
        ns.northSouth?.ingress && titleOf("ingress", refName(ns.northSouth.ingress)),
        ns.northSouth?.gateway && titleOf("gateway", refName(ns.northSouth.gateway)),
        ns.loadBalancer && titleOf("loadBalancer", refName(ns.loadBalancer)),
      ]
        .filter(Boolean)
        .map((t) => `, ${t}`)
        .join("")}.`,
    nodes: { controlPlanes: 1, workers: req.workers ?? 2 },
    cni: Object.keys(cniOptions).length ? { name: req.cni, options: cniOptions } : req.cni,
    // The flag's text as given: checkLabSpec below rejects a mode kind does not have, with the known ones.
    kubeProxyMode: req.proxy as LabInput["kubeProxyMode"],
    ...ns,
    apps: req.apps?.length ? req.apps : defaultApps(ns),
  };
  const parsed = checkLabSpec(input);
  if (!parsed.spec) fail(parsed.findings);
  const resolved = checkLab(parsed.spec);
  if (!resolved.lab) fail(resolved.findings);
  return input;
}

/** A value as TypeScript source: identifier keys unquoted, strings double-quoted. */
export function tsLiteral(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(", ")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value).map(
      ([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${tsLiteral(v)}`,
    );
    return entries.length ? `{ ${entries.join(", ")} }` : "{}";
  }
  return JSON.stringify(value);
}

/** Fills `{{key}}` (raw) and `{{key:literal}}` (as a TypeScript literal) placeholders. */
export function fillTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{\{(\w+)(:literal)?\}\}/g, (_, key: string, literal?: string) => {
    if (!(key in values)) throw new Error(`template placeholder {{${key}}} has no value`);
    const v = values[key];
    return literal ? tsLiteral(v) : String(v);
  });
}

/** The lab file's text; `importPath` points at lib/model/define-lab.ts from the file's folder. */
export function renderLabFile(
  input: LabInput,
  importPath: string,
  template = readFileSync(LAB_TEMPLATE, "utf8"),
) {
  const ns: string[] = [];
  if (input.northSouth && Object.keys(input.northSouth).length)
    ns.push(`  northSouth: ${tsLiteral(input.northSouth)},\n`);
  if (input.loadBalancer) ns.push(`  loadBalancer: ${tsLiteral(input.loadBalancer)},\n`);
  return fillTemplate(template, {
    importPath,
    name: input.name,
    // Long descriptions go on their own line, as the formatter would put them.
    description:
      input.description.length > 80
        ? `\n    ${tsLiteral(input.description)}`
        : ` ${tsLiteral(input.description)}`,
    workers: input.nodes?.workers ?? 2,
    cni: tsLiteral(input.cni),
    kubeProxyMode: input.kubeProxyMode,
    northSouth: ns.join(""),
    apps: tsLiteral(input.apps ?? ["echo"]),
  });
}

export function importPathFrom(dir: string): string {
  const rel = relative(dir, DEFINE_LAB_MODULE).split(sep).join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

/**
 * Writes `<dir>/<name>.ts` for the request. Refuses when the file exists or another lab has the
 * name; the file is loaded, parsed and resolved before it takes its place.
 */
export async function writeNewLab(req: NewLabRequest, dir: string): Promise<{ file: string; text: string }> {
  const input = labInputOf(req);
  const root = resolve(dir);
  if (!existsSync(root)) throw new LabError(`no labs directory at ${root}`, "create it, or pass --labs-dir");
  const file = join(root, `${req.name}.ts`);
  if (existsSync(file))
    throw new LabError(
      `${file} already exists: labs new never overwrites`,
      "pick another name, or edit that file",
    );
  const taken = (await loadCatalogue(root)).find((e) => e.spec.name === req.name);
  if (taken)
    throw new LabError(
      `a lab named "${req.name}" already exists in ${basename(taken.file)}`,
      "pick another name",
    );

  const text = renderLabFile(input, importPathFrom(root));
  // `_` keeps the catalogue from listing the file while it is being checked.
  const temp = join(root, `_new-${req.name}-${process.pid}.ts`);
  writeFileSync(temp, text, { flag: "wx" });
  try {
    const entry = await loadLabFile(temp);
    const { lab, findings } = checkLab(entry.spec);
    if (!lab) fail(findings);
    // link() fails when the target exists: no window in which a file could be overwritten.
    linkSync(temp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new LabError(
        `${file} already exists: labs new never overwrites`,
        "pick another name",
        EXIT.usage,
      );
    throw e;
  } finally {
    unlinkSync(temp);
  }
  return { file, text };
}
