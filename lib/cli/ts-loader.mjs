// Module hooks that let the `labs` executable import TypeScript (lib/ and the lab files).
// Transforms are cached on disk by content hash, so a warm start never loads esbuild:
// this keeps `labs list` and `labs --help` fast (see `npm run bench`).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const LOADER_VERSION = "1";
let cacheDir;
let esbuild;

function cacheDirectory() {
  if (cacheDir) return cacheDir;
  const candidates = [
    process.env.LABS_TS_CACHE,
    fileURLToPath(new URL("../../node_modules/.cache/labs-ts/", import.meta.url)),
    join(tmpdir(), `labs-ts-${process.getuid?.() ?? "user"}`),
  ].filter(Boolean);
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      cacheDir = dir;
      return dir;
    } catch {
      // not writable: try the next place
    }
  }
  return undefined;
}

async function transform(source, file) {
  esbuild ??= await import("esbuild");
  try {
    const result = await esbuild.transform(source, {
      loader: "ts",
      format: "esm",
      target: "node20",
      sourcemap: "inline",
      sourcefile: file,
    });
    return result.code;
  } catch (e) {
    throw syntaxError(e, file);
  }
}

/** esbuild's first error as `file:line:column: message` (column counted from 1, as editors do). */
export function syntaxError(e, file) {
  const first = e?.errors?.[0];
  if (!first) return e;
  const where = first.location
    ? `${first.location.file || file}:${first.location.line}:${first.location.column + 1}`
    : file;
  const more = e.errors.length > 1 ? ` (and ${e.errors.length - 1} more)` : "";
  return new SyntaxError(`${where}: ${first.text}${more}`);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !(url.endsWith(".ts") || url.endsWith(".mts")))
    return nextLoad(url, context);
  const file = fileURLToPath(url);
  const source = readFileSync(file, "utf8");
  const key = createHash("sha256").update(`${LOADER_VERSION}\0${file}\0${source}`).digest("hex");
  const dir = cacheDirectory();
  const cached = dir && join(dir, `${key}.mjs`);
  if (cached) {
    try {
      return { format: "module", source: readFileSync(cached, "utf8"), shortCircuit: true };
    } catch {
      // not cached yet
    }
  }
  const code = await transform(source, file);
  if (cached) {
    const tmp = `${cached}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, code);
      renameSync(tmp, cached);
    } catch {
      // a read-only cache only costs speed
    }
  }
  return { format: "module", source: code, shortCircuit: true };
}
