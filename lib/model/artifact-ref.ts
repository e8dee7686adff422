/**
 * An upstream file a lab needs, pinned by sha256. Components declare them (lib/components),
 * lib/upstream pins, fetches and caches them, and synth reads their bytes through an
 * ArtifactReader: the type lives here, below both, so neither imports the other for it.
 */
export interface ArtifactRef {
  /** Stable id used to look the bytes up at synth time, e.g. `flannel/kube-flannel.yml`. */
  id: string;
  url: string;
  sha256: string;
  /** How the runtime uses it: a manifest to include, a tarball to extract, a Helm chart. */
  type: "manifest" | "tarball" | "chart";
}

/** Reads a pinned artifact from the cache. Synth never downloads. */
export type ArtifactReader = (ref: ArtifactRef) => Buffer;
