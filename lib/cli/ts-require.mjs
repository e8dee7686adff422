// How the compiled `labs` executable loads lab files (TypeScript): in this thread, through a
// CommonJS require hook, with transforms cached on disk. Registering ES module loader hooks
// instead would start a hooks thread (tens of milliseconds) on every `labs list`. A lab file
// that needs ES module semantics (a top-level await, an async ES module it imports) is handed
// to the ES module loader, whose hooks are registered then, once.
import { readFileSync } from "node:fs";
import Module, { createRequire, register } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformFileSync } from "./ts-transform.mjs";

const require = createRequire(import.meta.url);
let installed = false;
let esmHooks = false;

function install() {
  if (installed) return;
  installed = true;
  const compile = (module, filename) => {
    const source = readFileSync(filename, "utf8");
    module._compile(
      transformFileSync(filename, source, "cjs", () => require("esbuild")),
      filename,
    );
  };
  Module._extensions[".ts"] = compile;
  Module._extensions[".mts"] = compile;
  // ES modules may import by file: URL (a catalogue outside this package does); require takes paths.
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    const path =
      typeof request === "string" && request.startsWith("file:") ? fileURLToPath(request) : request;
    return resolveFilename.call(this, path, ...rest);
  };
}

/** Registers the ES module hooks (ts-loader.mjs) for TypeScript, once. */
export function registerEsmHooks() {
  if (esmHooks) return;
  esmHooks = true;
  register("./ts-loader.mjs", import.meta.url);
}

const needsEsm = (e) =>
  e?.topLevelAwait === true || e?.code === "ERR_REQUIRE_ESM" || e?.code === "ERR_REQUIRE_ASYNC_MODULE";

/** A lab file's module: `{ default, … }`. */
export async function importLabModule(file) {
  install();
  try {
    return require(file);
  } catch (e) {
    if (!needsEsm(e)) throw e;
    registerEsmHooks();
    return import(pathToFileURL(file).href);
  }
}
