// Module hooks that let the `labs` executable import TypeScript (lib/ and the lab files) when it
// runs from the sources instead of the compiled bundle (see cli-bundle.mjs), and for lab files
// that need ES module semantics (a top-level await). Transforms are cached (ts-transform.mjs).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { transformFile } from "./ts-transform.mjs";

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !(url.endsWith(".ts") || url.endsWith(".mts")))
    return nextLoad(url, context);
  const file = fileURLToPath(url);
  const code = await transformFile(file, readFileSync(file, "utf8"), "esm");
  return { format: "module", source: code, shortCircuit: true };
}
