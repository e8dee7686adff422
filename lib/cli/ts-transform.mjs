// TypeScript to JavaScript for the `labs` executable, cached on disk by content hash, so a warm
// start never loads esbuild. Used by the ESM loader hooks (ts-loader.mjs) and by the in-thread
// require hook for lab files (ts-require.mjs).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TRANSFORM_VERSION = "2";
let cacheDir;
let esbuild;

function cacheDirectory() {
  if (cacheDir !== undefined) return cacheDir || undefined;
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
  cacheDir = "";
  return undefined;
}

/** esbuild's first error as `file:line:column: message` (column counted from 1, as editors do). */
export function syntaxError(e, file) {
  const first = e?.errors?.[0];
  if (!first) return e;
  const where = first.location
    ? `${first.location.file || file}:${first.location.line}:${first.location.column + 1}`
    : file;
  const more = e.errors.length > 1 ? ` (and ${e.errors.length - 1} more)` : "";
  const err = new SyntaxError(`${where}: ${first.text}${more}`);
  // A top-level await cannot become CommonJS: the require hook hands such files to the ESM loader.
  err.topLevelAwait = e.errors.some((x) => /top-level await/i.test(x.text));
  return err;
}

function options(format, file) {
  const base = { loader: "ts", format, target: "node20", sourcemap: "inline", sourcefile: file };
  // CommonJS has no import.meta: give lab files their own URL the way ESM would.
  if (format === "cjs")
    return {
      ...base,
      define: { "import.meta.url": "__labs_import_meta_url" },
      banner: 'var __labs_import_meta_url = require("node:url").pathToFileURL(__filename).href;',
    };
  return base;
}

function cached(format, file, source) {
  const key = createHash("sha256")
    .update(`${TRANSFORM_VERSION}\0${format}\0${file}\0${source}`)
    .digest("hex");
  const dir = cacheDirectory();
  const path = dir && join(dir, `${key}.${format === "cjs" ? "cjs" : "mjs"}`);
  let code;
  if (path) {
    try {
      code = readFileSync(path, "utf8");
    } catch {
      // not cached yet
    }
  }
  const store = (text) => {
    if (!path) return;
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, text);
      renameSync(tmp, path);
    } catch {
      // a read-only cache only costs speed
    }
  };
  return { code, store };
}

export async function transformFile(file, source, format = "esm") {
  const c = cached(format, file, source);
  if (c.code !== undefined) return c.code;
  esbuild ??= await import("esbuild");
  let code;
  try {
    code = (await esbuild.transform(source, options(format, file))).code;
  } catch (e) {
    throw syntaxError(e, file);
  }
  c.store(code);
  return code;
}

/** `loadEsbuild` is called only on a cache miss: a warm start never loads esbuild. */
export function transformFileSync(file, source, format, loadEsbuild) {
  const c = cached(format, file, source);
  if (c.code !== undefined) return c.code;
  let code;
  try {
    code = loadEsbuild().transformSync(source, options(format, file)).code;
  } catch (e) {
    throw syntaxError(e, file);
  }
  c.store(code);
  return code;
}
