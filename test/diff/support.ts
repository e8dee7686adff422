import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findLabs } from "../../lib/catalogue.ts";
import { prepareArtifacts } from "../../lib/cli/artifacts.ts";
import type { Io } from "../../lib/cli/output.ts";
import { type SynthOutput, synthLab } from "../../lib/synth/synth.ts";
import { blobPath, defaultCacheDir } from "../../lib/upstream/cache.ts";
import { pin } from "../../lib/upstream/pins.ts";
import { helmBinary } from "../support/helm-binary.ts";

/**
 * Catalogue labs synthesized the way `labs diff` does: through the artifact step, offline, with
 * ../shared/upstream as the mirror and a fresh temporary cache (the real files are copied there,
 * never into the project).
 */

export const SHARED_UPSTREAM =
  process.env.LABS_TEST_UPSTREAM ?? fileURLToPath(new URL("../../../shared/upstream/", import.meta.url));
export const sharedUpstreamPresent = existsSync(join(SHARED_UPSTREAM, "index.json"));

const quiet: Io = { out: () => {}, err: () => {} };

/** The environment of an offline artifact step over a fresh cache, with the shared mirror. */
export function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LABS_CACHE_DIR: mkdtempSync(join(tmpdir(), "labs-diff-cache-")),
    ...(sharedUpstreamPresent ? { LABS_MIRROR: SHARED_UPSTREAM } : {}),
    LABS_OFFLINE: "1",
    ...extra,
  };
}

export async function synthCatalogueLab(
  name: string,
  env: NodeJS.ProcessEnv = offlineEnv(),
): Promise<SynthOutput> {
  const [entry] = await findLabs([name]);
  const prepared = await prepareArtifacts(entry!.spec, {}, quiet, { scope: "synth", env });
  return synthLab(entry!.spec, {
    readArtifact: prepared.readArtifact,
    readRenderedChart: prepared.readRenderedChart,
  });
}

/**
 * An offline environment that can render the Cilium chart: the real chart archive (from the
 * shared mirror, LABS_CILIUM_CHART, or the user's artifact cache) and a helm binary. Or the
 * reason there is none.
 */
export function ciliumEnv(): { env: NodeJS.ProcessEnv } | { missing: string } {
  const { sha256: sha, version } = pin("cilium/chart");
  const chart = [process.env.LABS_CILIUM_CHART, blobPath(defaultCacheDir(), sha)].find(
    (p): p is string => !!p && existsSync(p),
  );
  // The shared mirror holds the chart itself (offlineEnv points LABS_MIRROR at it).
  if (!chart && !sharedUpstreamPresent)
    return {
      missing: `the Cilium ${version} chart archive (cilium-${version}.tgz): needs ../shared/upstream, LABS_CILIUM_CHART set to it, or \`labs prefetch cilium-kpr\` where helm.cilium.io is reachable`,
    };
  const helm = helmBinary();
  if ("unavailable" in helm) return { missing: `a helm binary (${helm.unavailable})` };
  const env = offlineEnv({ LABS_HELM: helm.path });
  if (chart) {
    const target = blobPath(env.LABS_CACHE_DIR!, sha);
    mkdirSync(join(target, ".."), { recursive: true });
    copyFileSync(chart, target);
  }
  return { env };
}
