import type { Argv } from "yargs";
import type { NodeArch } from "../components/component.ts";
import { LabError } from "../model/errors.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import type { PreparedArtifacts } from "../runtime/prepare.ts";
import type { ArtifactEvent } from "../upstream/fetch-artifacts.ts";
import type { Io } from "./output.ts";

/**
 * The artifact step as commands run it: resolve every upstream file a lab needs into the cache
 * (cache → mirror → network, or cache and mirror only when offline), render its Helm charts,
 * and hand synth two readers that only read the cache. Synth itself stays pure.
 *
 * Where from: `--offline` or `LABS_OFFLINE=1`, `--mirror DIR` or `LABS_MIRROR`, and the cache
 * at `LABS_CACHE_DIR` (else `$XDG_CACHE_HOME/labs`, else `~/.cache/labs`). Helm (on PATH or at
 * `LABS_HELM`) is needed only by labs that install a chart.
 */

export interface ArtifactFlags {
  offline?: boolean;
  mirror?: string;
}

/** `--offline` and `--mirror`, for every command that reads upstream artifacts. */
export function artifactOptions(y: Argv): Argv {
  return y
    .option("offline", {
      type: "boolean",
      describe: "Use the artifact cache (and --mirror) only, never the network (or LABS_OFFLINE=1)",
    })
    .option("mirror", {
      type: "string",
      describe: "Folder of upstream files with an index.json, tried before the network (or LABS_MIRROR)",
    });
}

export interface PrepareOptions {
  /**
   * `synth`: what synth reads (manifests, chart renders). `run`: also what the cluster mounts
   * (the CNI plugins tarball, extracted) for the architectures in `arch`.
   */
  scope: "synth" | "run";
  /** Which architecture's tarballs to fetch for `run`. @default the machine's */
  arch?: NodeArch | "all";
  env?: NodeJS.ProcessEnv;
}

export type { PreparedArtifacts };

/** One line per event worth telling; cache hits stay quiet. */
export function describeEvent(e: ArtifactEvent): string | undefined {
  switch (e.kind) {
    case "mirror":
      return `${e.id}: from the mirror (${e.file})`;
    case "download":
      return `${e.id}: downloading ${e.url}`;
    case "retry":
      return `${e.id}: attempt ${e.attempt} failed (${e.reason}), retrying in ${Math.round(e.waitMs / 1000)}s`;
    case "corrupt":
      return `${e.id}: the cached copy was corrupted and has been removed; fetching it again`;
    case "recorded":
      return `${e.id}: first download, sha256 ${e.sha256} (recorded in the lock)`;
    default:
      return undefined;
  }
}

/**
 * The artifact step as commands run it: settings from flags and the environment, progress as
 * lines on stderr; the work itself is lib/runtime/prepare.ts.
 */
export async function prepareArtifacts(
  spec: LabSpec,
  flags: ArtifactFlags,
  io: Io,
  options: PrepareOptions = { scope: "synth" },
): Promise<PreparedArtifacts> {
  const env = options.env ?? process.env;
  const { nodeArchOf } = await import("../components/host-paths.ts");
  const { upstreamSettingsFromEnv } = await import("../upstream/settings.ts");
  const runtime = await import("../runtime/prepare.ts");
  const helm = await import("../runtime/helm.ts");
  const settings = upstreamSettingsFromEnv(env);
  return runtime.prepareArtifacts(spec, {
    cacheDir: settings.cacheDir,
    offline: flags.offline || settings.offline,
    mirror: flags.mirror ?? settings.mirror,
    arch: options.scope === "synth" ? "synth" : (options.arch ?? nodeArchOf(process.arch)),
    helm: () => withLab(spec.name, () => helm.findHelm(env)),
    helmRun: { env },
    onArtifact: (e) => {
      const line = describeEvent(e);
      if (line) io.err(`labs: ${spec.name}: ${line}`);
    },
    onRender: (e) => {
      if (e.kind === "rendered")
        io.err(`labs: ${spec.name}: rendered chart ${e.id} (release ${e.releaseName})`);
    },
  });
}

/** Puts the lab's name in front of an error, so `--all` runs say which lab needed what. */
function withLab<T>(lab: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LabError) throw new LabError(`${lab}: ${e.message}`, e.fix, e.exitCode);
    throw e;
  }
}
