import * as esbuild from "esbuild";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { sep } from "node:path";
const r = await esbuild.build({ entryPoints: { main: "lib/cli/main.ts" }, bundle: true, splitting: true, format: "esm", platform: "node", target: "node20", outdir: "node_modules/.cache/proto-nomin", metafile: true, logLevel: "warning",
 plugins: [{ name: "x", setup(b) { b.onResolve({ filter: /^[^./]/ }, (a) => { if (a.path.startsWith("node:")) return { path: a.path, external: true }; if (a.importer.includes(`${sep}node_modules${sep}`)) return undefined; const n = a.path.startsWith("@") ? a.path.split("/").slice(0,2).join("/") : a.path.split("/")[0]; return ["yargs","zod"].includes(n) ? undefined : { path: a.path, external: true }; });
 b.onLoad({ filter: /\.(ts|mts|js|mjs|cjs)$/ }, (a) => { const s = readFileSync(a.path, "utf8"); if (!s.includes("import.meta.url")) return undefined; return { contents: s.replaceAll("import.meta.url", JSON.stringify(pathToFileURL(a.path).href)), loader: /\.m?ts$/.test(a.path) ? "ts" : "js" }; }); } }],
 banner: { js: 'import { createRequire as __labsRequire } from "node:module"; const require = __labsRequire(import.meta.url);' } });
import("node:fs").then(fs => fs.writeFileSync("/tmp/i12/meta.json", JSON.stringify(r.metafile)));
