#!/usr/bin/env node
// The `labs` executable. It runs the compiled CLI (cli-bundle.mjs: built on the first run and
// whenever a source changes), or, when no bundle can be built, the TypeScript sources through
// the loader hooks (ts-loader.mjs). Lab files are TypeScript either way (ts-require.mjs).

// `labs list | head -1` closes the pipe early: that ends the output, it is not a crash.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
if (process.env.LABS_DEBUG) process.setSourceMapsEnabled(true);

const { freshBundle, buildBundle } = await import("./cli-bundle.mjs");
// Loaded when a lab file is, not before: `labs --help` reads none.
const tsRequire = () => import("./ts-require.mjs");

async function loadCli() {
  if (!process.env.LABS_NO_BUNDLE) {
    // A bundle that cannot be built (esbuild missing, a read-only install) only costs start-up time.
    const entry = freshBundle() ?? (await buildBundle().catch(() => undefined));
    if (entry) {
      try {
        // How the library imports lab files (lib/catalogue.ts): TypeScript in this thread.
        globalThis[Symbol.for("labs.importLabModule")] = async (file) =>
          (await tsRequire()).importLabModule(file);
        return await import(entry);
      } catch {
        // A bundle that cannot load (removed under us, or half written): run from the sources.
      }
    }
  }
  (await tsRequire()).registerEsmHooks();
  return import("./main.ts");
}

const { main } = await loadCli();
process.exitCode = await main(process.argv.slice(2));
