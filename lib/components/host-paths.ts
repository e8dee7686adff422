import { resolve } from "node:path";
import { EXIT, LabError } from "../model/errors.ts";
import type { ArtifactRef, HostPathVariable, NodeArch } from "./component.ts";

/**
 * Host paths in kind.yaml that point into the artifact cache. kind.yaml is the same on every
 * machine, so it names folders through variables (see HostPathVariable in component.ts); the
 * runtime resolves them with `substituteHostPaths` when it writes the concrete kind config.
 */

/** The artifact cache directory, as written inside a HostPathVariable's `path`. */
export const CACHE_DIR_VARIABLE = "LABS_CACHE_DIR";

export const NODE_ARCHES: readonly NodeArch[] = ["amd64", "arm64"];

/** `${NAME}`: how a variable is written in a hostPath. */
export const placeholder = (name: string) => `\${${name}}`;

/** Where a tarball's extracted tree lives in the cache, relative to `${LABS_CACHE_DIR}`. */
export function extractedPath(ref: ArtifactRef): string {
  return `${placeholder(CACHE_DIR_VARIABLE)}/extracted/${ref.sha256}`;
}

/** A variable whose folder is the extracted tarball of the node's architecture. */
export function extractedTarballVariable(
  name: string,
  explains: string,
  byArch: Record<NodeArch, ArtifactRef>,
): HostPathVariable {
  const entry = (ref: ArtifactRef) => ({ artifact: ref.id, sha256: ref.sha256, path: extractedPath(ref) });
  return { name, explains, byArch: { amd64: entry(byArch.amd64), arm64: entry(byArch.arm64) } };
}

/** Maps what `docker info` reports (`x86_64`, `aarch64`, …) or Node's `process.arch` to a NodeArch. */
export function nodeArchOf(arch: string): NodeArch {
  const a = arch.trim().toLowerCase();
  if (a === "x86_64" || a === "amd64" || a === "x64") return "amd64";
  if (a === "aarch64" || a === "arm64") return "arm64";
  throw new LabError(
    `kind nodes on a ${arch} Docker engine are not supported by labs`,
    "use an amd64 (x86_64) or arm64 (aarch64) machine",
    EXIT.environment,
  );
}

/**
 * Replaces every `${NAME}` of `variables` in `text` (kind.yaml) with the folder for `arch`,
 * `${LABS_CACHE_DIR}` resolved to `cacheDir`. A `${…}` left over afterwards is an error.
 */
export function substituteHostPaths(
  text: string,
  variables: readonly HostPathVariable[],
  env: { cacheDir: string; arch: NodeArch },
): string {
  let out = text;
  // kind takes hostPaths as given: a relative cache dir must not reach kind.yaml.
  const cacheDir = resolve(env.cacheDir);
  for (const v of variables) {
    const folder = v.byArch[env.arch].path.split(placeholder(CACHE_DIR_VARIABLE)).join(cacheDir);
    out = out.split(placeholder(v.name)).join(folder);
  }
  out = out.split(placeholder(CACHE_DIR_VARIABLE)).join(cacheDir);
  const left = /\$\{([A-Z0-9_]+)\}/.exec(out);
  if (left) {
    throw new LabError(
      `kind config still names \${${left[1]}} after substitution: lab.json does not define it`,
      "synthesize the lab again with this version of labs",
    );
  }
  return out;
}

/**
 * The artifacts a machine of `arch` needs: refs that a HostPathVariable reserves for another
 * architecture are left out (an arm64 laptop never downloads the amd64 CNI plugins).
 */
export function artifactsForArch(
  refs: readonly ArtifactRef[],
  variables: readonly HostPathVariable[],
  arch: NodeArch | "all",
): ArtifactRef[] {
  if (arch === "all") return [...refs];
  const otherArch = new Set(
    variables.flatMap((v) => NODE_ARCHES.filter((a) => a !== arch).map((a) => v.byArch[a].artifact)),
  );
  const ownArch = new Set(variables.map((v) => v.byArch[arch].artifact));
  return refs.filter((r) => ownArch.has(r.id) || !otherArch.has(r.id));
}
