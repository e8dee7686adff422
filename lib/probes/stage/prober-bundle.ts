/**
 * The committed prober bundle, for synth to put into the probe pods' ConfigMap (mounted so that
 * `node /plan/prober.js --plan /plan/plan.json` runs it). Not part of the bundle itself.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Absolute path of the committed bundle (CommonJS, so it runs as `prober.js` in any directory). */
export const PROBER_BUNDLE_PATH = fileURLToPath(
  new URL("../../generated/prober.bundle.cjs", import.meta.url),
);

export function readProberBundle(): string {
  return readFileSync(PROBER_BUNDLE_PATH, "utf8");
}

/** sha256 (hex) of the bundle, e.g. for a pod annotation that rolls the probe pods when it changes. */
export function proberBundleSha256(): string {
  return createHash("sha256").update(readProberBundle()).digest("hex");
}
