import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { ArtifactRef } from "../model/artifact-ref.ts";
import { KIND_VERSION } from "../model/defaults.ts";
import { formatVersion, type KubeVersion } from "../model/kubernetes-version.ts";

/**
 * `lab.lock.json`: everything that decides what a lab runs. Same lab + same lock gives
 * byte-identical synth output; reports carry the lock so runs can be compared.
 */
export interface LabLock {
  lockVersion: 1;
  lab: string;
  tools: Record<string, string>;
  nodeImage: { image: string; kubernetes: string; digest: string };
  artifacts: ArtifactRef[];
  charts: { id: string; version: string; url: string; sha256: string }[];
  images: { image: string; digest: string | null }[];
  /** sha256 of every synthesized file, so a changed output is visible at a glance. */
  files: Record<string, string>;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    const path = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(path, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

let labsVersion: string | undefined;
export function toolVersions(): Record<string, string> {
  labsVersion ??= (
    JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return {
    labs: labsVersion,
    kind: KIND_VERSION,
    cdk8s: packageVersion("cdk8s"),
    "cdk8s-plus-34": packageVersion("cdk8s-plus-34"),
  };
}

export const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

export function buildLock(args: {
  lab: string;
  nodeImage: string;
  kubeVersion: KubeVersion;
  artifacts: ArtifactRef[];
  images: string[];
  imageDigests?: Record<string, string>;
  files: Record<string, string>;
}): LabLock {
  const digest = args.nodeImage.split("@")[1] ?? "";
  return {
    lockVersion: 1,
    lab: args.lab,
    tools: toolVersions(),
    nodeImage: { image: args.nodeImage, kubernetes: formatVersion(args.kubeVersion), digest },
    artifacts: args.artifacts.filter((a) => a.type !== "chart").sort((a, b) => a.id.localeCompare(b.id)),
    charts: args.artifacts
      .filter((a) => a.type === "chart")
      .map((a) => ({
        id: a.id,
        version: a.url.match(/-(\d+\.\d+\.\d+)\.tgz$/)?.[1] ?? "",
        url: a.url,
        sha256: a.sha256,
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
    images: args.images.map((image) => ({
      image,
      digest: image.includes("@") ? image.split("@")[1]! : (args.imageDigests?.[image] ?? null),
    })),
    files: Object.fromEntries(Object.entries(args.files).map(([name, text]) => [name, sha256(text)])),
  };
}
