import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  ALLOWED,
  ALLOWED_CIRCLES,
  type Allowed,
  LAYERS,
  MODULE_RULES,
  PURITY_RULES,
} from "./import-rules.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** Generated files are no source: their imports are those of what they were built from. */
const GENERATED = /\.bundle\.c?js$/;

interface Import {
  from: string;
  /** A repository path for relative imports, else the module name (`execa`, `node:fs`). */
  to: string;
  local: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|cjs|js)$/.test(entry.name) && !GENERATED.test(entry.name)) out.push(path);
  }
  return out;
}

/** Static imports, re-exports, `import()` and `require()` with a literal name, as TypeScript reads them. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith(".")) return { from: file, to: fileName, local: false };
    const to = posix.normalize(posix.join(posix.dirname(file), fileName));
    return { from: file, to, local: true };
  });
}

const FILES = [...sourceFiles("lib"), ...sourceFiles("labs")];
const IMPORTS = FILES.flatMap(importsOf);

function unitOf(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] === "labs") return "labs";
  if (parts[0] !== "lib") return undefined;
  return parts.length > 2 ? `lib/${parts[1]}` : path;
}

const LAYER_OF = new Map<string, number>();
LAYERS.forEach((layer, i) => {
  for (const unit of layer.units) LAYER_OF.set(unit, i);
});

function allowed(i: Import): boolean {
  return ALLOWED.some((a) => matches(a, i));
}

function matches(a: Allowed, i: Import): boolean {
  return i.from.startsWith(a.from) && i.to.startsWith(a.to);
}

const show = (i: Import) => `${i.from} -> ${i.to}`;

describe("import rules (test/architecture/import-rules.ts)", () => {
  it("reads the source it judges", () => {
    // A reader that found nothing would pass every rule below.
    expect(FILES).toContain("lib/runtime/process.ts");
    expect(IMPORTS).toContainEqual({ from: "lib/runtime/process.ts", to: "execa", local: false });
    expect(IMPORTS.filter((i) => i.local).length).toBeGreaterThan(500);
  });

  it("every local import names a file that exists", () => {
    const missing = IMPORTS.filter((i) => i.local && !existsSync(join(ROOT, i.to)));
    expect(missing.map(show)).toEqual([]);
  });

  it("every folder of lib/ has a layer", () => {
    const units = new Set(FILES.map(unitOf).filter((u): u is string => u !== undefined));
    const placeless = [...units].filter((u) => !LAYER_OF.has(u));
    expect(placeless, "add each to LAYERS in test/architecture/import-rules.ts, with why").toEqual([]);
  });

  it("no import runs back up a layer or sideways between peers", () => {
    const broken = IMPORTS.filter((i) => {
      if (!i.local) return false;
      const a = unitOf(i.from);
      const b = unitOf(i.to);
      if (!a || !b || a === b) return false;
      const from = LAYER_OF.get(a);
      const to = LAYER_OF.get(b);
      if (from === undefined || to === undefined) return false;
      return to >= from && !allowed(i);
    });
    expect(broken.map((i) => `${show(i)} (${layerName(i.from)} -> ${layerName(i.to)})`)).toEqual([]);
  });

  for (const rule of MODULE_RULES) {
    it(`only ${rule.onlyIn.join(", ")} import ${rule.modules.join(", ")}: ${rule.why}`, () => {
      const broken = IMPORTS.filter(
        (i) =>
          !i.local &&
          rule.modules.includes(i.to) &&
          !rule.onlyIn.some((p) => i.from.startsWith(p)) &&
          !allowed(i),
      );
      expect(broken.map(show)).toEqual([]);
    });
  }

  for (const rule of PURITY_RULES) {
    it(`${rule.unit} imports only ${rule.mayImport.join(", ") || "labs itself"}: ${rule.why}`, () => {
      const broken = IMPORTS.filter(
        (i) => unitOf(i.from) === rule.unit && !i.local && !rule.mayImport.includes(i.to) && !allowed(i),
      );
      expect(broken.map(show)).toEqual([]);
    });
  }

  it("no files import each other in a circle", () => {
    const circles = fileCircles().filter((c) => !ALLOWED_CIRCLES.some((a) => sameSet(a.files, c)));
    expect(circles).toEqual([]);
  });

  it("every allowed circle still exists (remove it from ALLOWED_CIRCLES once broken)", () => {
    const circles = fileCircles();
    const gone = ALLOWED_CIRCLES.filter((a) => !circles.some((c) => sameSet(a.files, c)));
    expect(gone.map((a) => a.why)).toEqual([]);
  });

  it("every allowed import is still made (remove it from ALLOWED once it is gone)", () => {
    const stale = ALLOWED.filter((a) => !IMPORTS.some((i) => matches(a, i)));
    expect(stale.map((a) => `${a.from} -> ${a.to}: ${a.why}`)).toEqual([]);
  });
});

function layerName(file: string): string {
  const i = LAYER_OF.get(unitOf(file) ?? "");
  return i === undefined ? "?" : LAYERS[i]!.name;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Strongly connected sets of two or more files (Tarjan), each sorted. */
function fileCircles(): string[][] {
  const next = new Map<string, string[]>();
  for (const i of IMPORTS) {
    if (i.local) next.set(i.from, [...(next.get(i.from) ?? []), i.to]);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1) out.push(set.sort());
    }
  };
  for (const f of FILES) if (!index.has(f)) visit(f);
  return out;
}
