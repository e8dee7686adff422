/**
 * The import rules of lib/ and labs/, as data: each rule says what it allows and why. The test
 * beside this file (import-rules.test.ts) reads every import of every source file and holds the
 * code to these rules; change a rule here, with its why, when the design changes.
 *
 * A "unit" is a top-level folder of lib/ (`lib/runtime`, with all its subfolders), a file directly
 * in lib/ (`lib/catalogue.ts`), or the catalogue folder `labs`.
 */

export interface Layer {
  name: string;
  units: readonly string[];
  why: string;
}

/**
 * Bottom first. A unit may import units of lower layers only: nothing imports upward, and units
 * of one layer are peers that do not import each other. That makes every folder readable and
 * testable with only what lies below it, and rules out circles between folders.
 */
export const LAYERS: readonly Layer[] = [
  {
    name: "model",
    units: ["lib/model"],
    why: "the vocabulary everything shares (the lab spec, errors, findings, CIDRs): it is declared, never done, so it depends on nothing of labs",
  },
  {
    name: "foundations",
    units: ["lib/validate", "lib/files", "lib/cluster", "lib/catalogue.ts", "labs"],
    why: "small parts that need only the model: Kubernetes object checks, writing output files, the kind cluster construct, and the catalogue of lab files",
  },
  {
    name: "upstream",
    units: ["lib/upstream"],
    why: "pinned upstream files and the cache that holds them; components pin from here, so it must not know components",
  },
  {
    name: "components",
    units: ["lib/components"],
    why: "each CNI, proxy mode, gateway, load balancer and app owns its knowledge; everything above asks the descriptors, never the reverse",
  },
  {
    name: "probes",
    units: ["lib/probes"],
    why: "what to probe and how verdicts are reached follows from the lab's components and capabilities",
  },
  {
    name: "synthesis and faults",
    units: ["lib/synth", "lib/faults"],
    why: "synth turns a lab into files (pure: no processes, no network); faults describe what can be broken; both build on components and probes",
  },
  {
    name: "explaining",
    units: ["lib/diff", "lib/guide"],
    why: "diffs between labs and the teaching material read synthesized labs, probes and faults; nothing that builds labs depends on how they are explained",
  },
  {
    name: "reporting",
    units: ["lib/report"],
    why: "report reads run folders and writes pages: data in, files out, no tools run; it also declares the results format (results.json, performance) that the runtime fills in",
  },
  {
    name: "running",
    units: ["lib/runtime"],
    why: "the only place that runs docker, kind, kubectl and helm; it produces the results the report layer declares",
  },
  {
    name: "comparing",
    units: ["lib/compare"],
    why: "labs compare runs labs one after another (runtime) and writes the comparison (report): it is composed above both",
  },
  {
    name: "command line",
    units: ["lib/cli"],
    why: "lib/cli parses arguments and calls the library; the library never depends on how it is invoked",
  },
  {
    name: "entry points",
    units: ["lib/index.ts", "lib/cdk8s-app.ts"],
    why: "the library's public face and the cdk8s app: nothing inside lib imports them",
  },
];

/** Modules that only some files may import (npm packages or node: builtins). */
export interface ModuleRule {
  modules: readonly string[];
  /** Path prefixes of the only files allowed to import them. */
  onlyIn: readonly string[];
  why: string;
}

export const MODULE_RULES: readonly ModuleRule[] = [
  {
    modules: ["execa", "node:child_process"],
    onlyIn: ["lib/runtime/process.ts"],
    why: "every child process goes through run(): an AbortSignal for Ctrl-C, a timeout, the complete environment labs chose (never the parent's by accident) and a line in the command log",
  },
  {
    modules: ["yargs"],
    onlyIn: ["lib/cli/"],
    why: "argument parsing is the command line's business; the library is also used from cdk8s apps and tests",
  },
];

/** Units whose outside imports are limited to the packages named (a whitelist, not a blacklist). */
export interface PurityRule {
  unit: string;
  mayImport: readonly string[];
  why: string;
}

export const PURITY_RULES: readonly PurityRule[] = [
  {
    unit: "lib/model",
    mayImport: ["zod", "zod/mini", "js-yaml"],
    why: "the model is plain data and checks of it: no file system, no network, no processes, so it runs anywhere (tests, the browser report, other tools)",
  },
  {
    unit: "labs",
    mayImport: [],
    why: "a lab file only declares a lab (defineLab); anything it ran would run whenever the catalogue is listed",
  },
];

/**
 * Imports that break a rule today and are being removed. Each names who removes it: `pending
 * #14 <engineer>` entries go when that engineer's branch is merged. The test fails when an entry
 * no longer matches any import, so none outlives its reason.
 */
export interface Allowed {
  /** Path prefix of the importing file. */
  from: string;
  /** Path prefix of the imported file, or a module name. */
  to: string;
  why: string;
}

export const ALLOWED: readonly Allowed[] = [];

/** File circles (files importing each other in a loop) not yet broken; same lifetime as ALLOWED. */
export interface AllowedCircle {
  files: readonly string[];
  why: string;
}

export const ALLOWED_CIRCLES: readonly AllowedCircle[] = [];
