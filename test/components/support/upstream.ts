import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ArtifactReader } from "../../../lib/components/component.ts";
import { parseManifest } from "../../../lib/components/upstream-manifest.ts";
import type { K8sObject } from "../../../lib/model/k8s-object.ts";
import { defaultCacheDir, writeBlob } from "../../../lib/upstream/cache.ts";
import { readerFromCache } from "../../../lib/upstream/fetch-artifacts.ts";
import { pin } from "../../../lib/upstream/pins.ts";
import { helmBinary } from "../../support/helm-binary.ts";

/**
 * The real upstream files of ../shared/upstream, put into a temporary artifact cache the way
 * the artifact step would, so component tests run the real patching over the real bytes.
 */

export const SHARED_UPSTREAM =
  process.env.LABS_TEST_UPSTREAM ?? fileURLToPath(new URL("../../../../shared/upstream/", import.meta.url));

interface IndexEntry {
  path: string;
  url: string;
  sha256: string;
}

export const sharedUpstreamPresent = existsSync(join(SHARED_UPSTREAM, "index.json"));

export function noteSkip(what: string, why: string): void {
  console.log(`skipping ${what}: ${why}`);
}

function sharedIndex(): IndexEntry[] {
  // Without ../shared the cache stays empty: a lab that needs no upstream file still synthesizes,
  // and one that does fails naming the file (tests that need files skip on sharedUpstreamPresent).
  if (!sharedUpstreamPresent) return [];
  return (JSON.parse(readFileSync(join(SHARED_UPSTREAM, "index.json"), "utf8")) as { files: IndexEntry[] })
    .files;
}

/** A fresh cache holding every shared upstream file under its sha256, and a synth-time reader of it. */
export function cacheFromShared(): { cacheDir: string; readArtifact: ArtifactReader } {
  const cacheDir = mkdtempSync(join(tmpdir(), "labs-components-"));
  for (const f of sharedIndex()) writeBlob(cacheDir, readFileSync(join(SHARED_UPSTREAM, f.path)), f.sha256);
  return { cacheDir, readArtifact: readerFromCache(cacheDir) };
}

/** The objects of a shared upstream file, parsed as labs parses it. */
export function upstreamObjects(path: string): K8sObject[] {
  return parseManifest(readFileSync(join(SHARED_UPSTREAM, path), "utf8"));
}

/**
 * The real Cilium chart archive of a pin, when one is at hand: ../shared/upstream (as in CI),
 * `LABS_CILIUM_CHART` (a path to the .tgz), or the user's artifact cache. The machines these
 * tests run on have no route to helm.cilium.io, so without any of them the chart tests skip.
 */
export function ciliumChart(id = "cilium/chart"): { path: string } | { unavailable: string } {
  const { sha256: sha, version } = pin(id);
  const shared = sharedUpstreamPresent ? sharedIndex().find((f) => f.sha256 === sha) : undefined;
  const candidates = [
    shared && join(SHARED_UPSTREAM, shared.path),
    process.env.LABS_CILIUM_CHART,
    join(defaultCacheDir(), "sha256", sha),
  ].filter((p): p is string => !!p);
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    return {
      unavailable: `the Cilium ${version} chart is not at hand (needs ../shared/upstream, LABS_CILIUM_CHART set to cilium-${version}.tgz, or \`labs prefetch cilium-kpr\`)`,
    };
  }
  const helm = helmBinary();
  if ("unavailable" in helm) return { unavailable: helm.unavailable };
  return { path };
}

/**
 * cdk8s leaves out keys whose value is null when it serializes (a Calico CRD ships
 * `status: { conditions: null, … }`, a Cilium template `annotations: null`); for the API server
 * an absent key and a null one mean the same on create, so comparisons do too.
 */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  return value;
}
