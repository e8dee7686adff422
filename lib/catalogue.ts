import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { EXIT, LabError } from "./model/errors.ts";
import { describeValue } from "./model/issue-text.ts";
import type { LabSpec } from "./model/lab-spec.ts";
import { didYouMean } from "./model/suggest.ts";

/**
 * The catalogue: one lab file per named lab in `labs/` (or `LABS_DIR`). A file is named after
 * its lab and default-exports the lab's spec.
 */

export const DEFAULT_LABS_DIR = fileURLToPath(new URL("../labs/", import.meta.url));

/** The catalogue folder: `--labs-dir`, else `LABS_DIR` (an empty one counts as unset), else labs/. */
export function labsDir(dir?: string): string {
  if (dir !== undefined && dir.trim() === "")
    throw new LabError(
      "--labs-dir needs a path, got an empty one",
      "e.g. --labs-dir ./labs, or leave it out",
    );
  const env = process.env.LABS_DIR?.trim() ? process.env.LABS_DIR : undefined;
  return resolve(dir ?? env ?? DEFAULT_LABS_DIR);
}

export interface CatalogueEntry {
  file: string;
  spec: LabSpec;
}

const DIR_FIX = "point LABS_DIR or --labs-dir at a folder of lab files";

export function labFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new LabError(`${dir} is a file, not a folder of labs`, DIR_FIX);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof LabError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new LabError(`no labs directory at ${dir}`, DIR_FIX);
    if (code === "ENOTDIR")
      throw new LabError(`${dir} is not a folder (part of its path is a file)`, DIR_FIX);
    throw new LabError(
      `cannot read the labs directory ${dir}: ${code ?? (e as Error).message}`,
      code === "EACCES" ? "make it readable, or point LABS_DIR elsewhere" : DIR_FIX,
      EXIT.environment,
    );
  }
  return names
    .filter((f) => (f.endsWith(".ts") || f.endsWith(".mts")) && !f.endsWith(".d.ts") && !f.startsWith("_"))
    .sort()
    .map((f) => join(dir, f));
}

/** How long a lab file may take to load before labs gives up on it. */
const LOAD_TIMEOUT_MS = 30_000;

/**
 * Imports a lab module, or fails with a LabError when it never settles: a top-level await on
 * something that cannot happen lets the event loop drain (Node would exit 13 without a word),
 * and one that keeps the loop busy is cut after LOAD_TIMEOUT_MS.
 */
async function importSettled(file: string): Promise<{ default?: unknown }> {
  const name = basename(file);
  let dispose = () => {};
  const stuck = new Promise<never>((_, reject) => {
    const fail = (why: string) =>
      reject(
        new LabError(
          `lab file ${name} never finished loading: ${why}`,
          "remove the top-level await, or make what it waits for settle",
        ),
      );
    const drained = () => fail("its top-level code waits for something that can no longer happen");
    const timer = setTimeout(() => fail(`still waiting after ${LOAD_TIMEOUT_MS / 1000} s`), LOAD_TIMEOUT_MS);
    timer.unref();
    onLoopDrained.add(drained);
    if (onLoopDrained.size === 1) process.once("beforeExit", loopDrained);
    dispose = () => {
      clearTimeout(timer);
      onLoopDrained.delete(drained);
      if (onLoopDrained.size === 0) process.off("beforeExit", loopDrained);
    };
  });
  try {
    return (await Promise.race([importModule(file), stuck])) as { default?: unknown };
  } finally {
    dispose();
  }
}

/**
 * How a lab file is imported. The compiled `labs` executable sets its own (lib/cli/ts-require.mjs:
 * TypeScript in this thread); vitest, tsx and the loader hooks import TypeScript natively.
 */
function importModule(file: string): Promise<unknown> {
  const hook = (globalThis as Record<symbol, unknown>)[Symbol.for("labs.importLabModule")];
  return typeof hook === "function"
    ? (hook as (f: string) => Promise<unknown>)(file)
    : import(pathToFileURL(file).href);
}

/** Lab imports still pending, told when the event loop has nothing left to do. */
const onLoopDrained = new Set<() => void>();
function loopDrained(): void {
  for (const fail of [...onLoopDrained]) fail();
}

/** The first line worth showing of what a lab module threw. */
function loadFailure(e: unknown): string {
  try {
    if (e instanceof LabError) return e.message;
    if (e instanceof SyntaxError) return `syntax error at ${e.message.split("\n")[0]}`;
    if (e instanceof Error) {
      const lines = e.message.split("\n").filter((l) => l.trim());
      // esbuild through an older loader: "Transform failed with 1 error:" then file:line:col.
      return (lines[0]?.startsWith("Transform failed") ? lines[1] : lines[0]) ?? e.name;
    }
    return `it threw ${describeValue(e)}`;
  } catch {
    return "it threw a value that cannot be read";
  }
}

export async function loadLabFile(file: string): Promise<CatalogueEntry> {
  let mod: { default?: unknown };
  try {
    mod = await importSettled(file);
  } catch (e) {
    if (e instanceof LabError && e.message.startsWith("lab file ")) throw e;
    throw new LabError(
      `lab file ${basename(file)} failed to load: ${loadFailure(e)}`,
      "fix the lab file; `labs lint` shows the rest",
    );
  }
  if (mod.default === undefined) {
    throw new LabError(
      `lab file ${basename(file)} has no default export`,
      "end it with `export default defineLab({ … })`",
    );
  }
  // Loaded here, not at the top: commands import this module, and `labs --help` needs no schema.
  const { parseLabSpec } = await import("./model/lab-spec.ts");
  try {
    return { file, spec: parseLabSpec(mod.default, basename(file).replace(/\.m?ts$/, "")) };
  } catch (e) {
    if (e instanceof LabError) throw e;
    // A getter or proxy in the lab's own object threw while it was read.
    throw new LabError(
      `lab file ${basename(file)}: reading its default export threw: ${loadFailure(e)}`,
      "export plain data from the lab file",
    );
  }
}

/** Loads every lab; two labs with the same name are an error naming both files. */
export async function loadCatalogue(dir?: string): Promise<CatalogueEntry[]> {
  const entries = await Promise.all(labFiles(labsDir(dir)).map(loadLabFile));
  const byName = new Map<string, string>();
  for (const e of entries) {
    const other = byName.get(e.spec.name);
    if (other) {
      throw new LabError(
        `two labs are named "${e.spec.name}": ${basename(other)} and ${basename(e.file)}`,
        "give each lab a unique name (the file name is the convention)",
      );
    }
    byName.set(e.spec.name, e.file);
  }
  return entries;
}

/** Finds labs by name: the file `<name>.ts` first, else any lab of that name; unknown names suggest the closest. */
export async function findLabs(names: string[], dir?: string): Promise<CatalogueEntry[]> {
  const root = labsDir(dir);
  const direct = await Promise.all(
    names.map(async (n) => {
      const file = join(root, `${n}.ts`);
      if (!/^[a-z0-9-]+$/.test(n) || !existsSync(file)) return undefined;
      const entry = await loadLabFile(file);
      return entry.spec.name === n ? entry : undefined;
    }),
  );
  if (direct.every(Boolean)) return direct as CatalogueEntry[];
  const all = await loadCatalogue(root);
  return names.map((n) => {
    const hit = all.find((e) => e.spec.name === n);
    if (!hit) {
      throw new LabError(
        `unknown lab "${n}": ${didYouMean(
          n,
          all.map((e) => e.spec.name),
        )}`,
        "`labs list` shows every lab",
      );
    }
    return hit;
  });
}
