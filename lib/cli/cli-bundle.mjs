// The `labs` command line, compiled once into a few JavaScript files so that a start-up does not
// pay for a TypeScript loader thread and hundreds of small module loads (`labs list` has to stay
// within 150 ms of a bare `node -e 0`; `npm run bench` measures it).
//
// The bundle lives in node_modules/.cache/labs-cli/ and is rebuilt when any file it was built
// from changes (size or mtime), so editing lib/ takes effect on the next run. yargs and zod are
// bundled in (they are most of the start-up cost as separate modules); every other package is
// imported from node_modules as usual. Each module's `import.meta.url` is replaced by its source
// file's URL, so paths relative to the sources (templates, the prober bundle, package.json)
// still resolve. When no bundle can be built, labs.mjs falls back to the TypeScript loader.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const BUNDLE_VERSION = "2";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const ENTRY = join(ROOT, "lib/cli/main.ts");
/** Bundled into the CLI with everything they import; other packages stay imports of node_modules. */
const BUNDLED_PACKAGES = ["yargs", "zod"];
/** Old builds another running labs may still be reading lazy chunks from. */
const KEEP_OLD_BUILDS_MS = 10 * 60_000;

export function bundleDir(root = ROOT) {
  return join(root, "node_modules", ".cache", "labs-cli");
}

/** `{ path, size, mtimeMs }` of every input, as recorded at build time. */
function stamp(path) {
  const st = statSync(path);
  return { path, size: st.size, mtimeMs: st.mtimeMs };
}

function readManifest(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch {
    return undefined;
  }
}

/** The entry of a bundle built from exactly the files on disk now, or undefined. */
export function freshBundle(dir = bundleDir()) {
  const m = readManifest(dir);
  if (!m || m.version !== BUNDLE_VERSION || m.root !== ROOT) return undefined;
  try {
    for (const input of m.inputs) {
      const now = stamp(input.path);
      if (now.size !== input.size || now.mtimeMs !== input.mtimeMs) return undefined;
    }
  } catch {
    return undefined;
  }
  return join(dir, m.build, "main.js");
}

/** A package's own package.json stands for all its files: npm replaces packages whole. */
function packageJsonOf(file) {
  let dir = dirname(file);
  while (dir !== dirname(dir)) {
    try {
      const pkg = join(dir, "package.json");
      if (JSON.parse(readFileSync(pkg, "utf8")).name) return pkg;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return file;
}

/**
 * Source rewrites for the bundle only (the sources stay as they are):
 * - `import.meta.url` becomes the source file's own URL, so relative paths still resolve;
 * - `import { z } from "zod"` becomes `import * as z from "zod"`. Both give the same functions,
 *   but zod's `z` export is one namespace object, which keeps every zod module (all 40-odd
 *   locales too) alive in the chunk the LabSpec shares with the components; as a namespace
 *   import, what is not used is left out, and `labs list` loads a fraction of it.
 * - string-width (yargs' help layout) makes an `Intl.Segmenter` when it loads, which loads
 *   ICU's break-iterator data: the largest single cost of a start. It is made on first use
 *   instead, which only printing help does.
 */
const EAGER_SEGMENTER = /const (\w+) = new Intl\.Segmenter\(\);/g;
const lazySegmenter = (_all, name) =>
  `let ${name}Made; const ${name} = { segment: (text) => (${name}Made ??= new Intl.Segmenter()).segment(text) };`;

const sourceRewrites = {
  name: "source-rewrites",
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|js|mjs|cjs)$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      const inLib = !args.path.includes(`${sep}node_modules${sep}`);
      const zod = inLib && /import\s*\{\s*z\s*\}\s*from\s*"zod"/.test(source);
      const segmenter = !inLib && source.includes("new Intl.Segmenter()");
      if (!zod && !segmenter && !source.includes("import.meta.url")) return undefined;
      let contents = source.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href));
      if (zod)
        contents = contents.replace(/import\s*\{\s*z\s*\}\s*from\s*"zod"/g, 'import * as z from "zod"');
      if (segmenter) contents = contents.replace(EAGER_SEGMENTER, lazySegmenter);
      const loader = /\.m?ts$/.test(args.path) ? "ts" : "js";
      return { contents, loader };
    });
  },
};

/**
 * Builds the bundle and records its inputs. Returns the entry, or undefined when another labs is
 * building right now (the caller then runs from the sources, without waiting).
 */
export async function buildBundle(dir = bundleDir()) {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "building.lock");
  try {
    mkdirSync(lock);
  } catch {
    // Someone else is building; a lock older than a minute was left by a killed build.
    try {
      if (Date.now() - statSync(lock).mtimeMs < 60_000) return undefined;
      rmSync(lock, { recursive: true, force: true });
      mkdirSync(lock);
    } catch {
      return undefined;
    }
  }
  try {
    const esbuild = await import("esbuild");
    const build = `build-${Date.now().toString(36)}-${process.pid}`;
    const outdir = join(dir, build);
    const result = await esbuild.build({
      entryPoints: { main: ENTRY },
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      outdir,
      metafile: true,
      sourcemap: "linked",
      minify: true,
      sourcesContent: false,
      logLevel: "silent",
      plugins: [
        {
          name: "external-packages",
          setup(b) {
            // From lib/, only BUNDLED_PACKAGES are bundled; what they import comes along.
            b.onResolve({ filter: /^[^./]/ }, (args) => {
              if (args.path.startsWith("node:")) return { path: args.path, external: true };
              if (args.importer.includes(`${sep}node_modules${sep}`)) return undefined;
              const name = args.path.startsWith("@")
                ? args.path.split("/").slice(0, 2).join("/")
                : args.path.split("/")[0];
              return BUNDLED_PACKAGES.includes(name) ? undefined : { path: args.path, external: true };
            });
          },
        },
        sourceRewrites,
      ],
      // The bundle's chunks are ES modules; bundled CommonJS code may still call require.
      banner: {
        js: 'import { createRequire as __labsRequire } from "node:module"; const require = __labsRequire(import.meta.url);',
      },
    });
    const inputs = [
      ...new Set(
        // The builder itself too: a change in how the bundle is made makes a new one.
        [fileURLToPath(import.meta.url), ...Object.keys(result.metafile.inputs)]
          .map((p) => resolve(ROOT, p))
          .map((p) => (p.includes(`${sep}node_modules${sep}`) ? packageJsonOf(p) : p)),
      ),
    ].map(stamp);
    const manifest = {
      version: BUNDLE_VERSION,
      root: ROOT,
      build,
      builtAt: new Date().toISOString(),
      inputs,
    };
    const tmp = join(dir, `manifest.json.${process.pid}.tmp`);
    writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
    renameSync(tmp, join(dir, "manifest.json"));
    removeOldBuilds(dir, build);
    return join(outdir, "main.js");
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function removeOldBuilds(dir, keep) {
  for (const name of readdirSync(dir)) {
    if (!name.startsWith("build-") || name === keep) continue;
    try {
      if (Date.now() - statSync(join(dir, name)).mtimeMs > KEEP_OLD_BUILDS_MS)
        rmSync(join(dir, name), { recursive: true, force: true });
    } catch {
      // another labs removed it first
    }
  }
}
