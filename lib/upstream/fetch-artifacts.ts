/**
 * The artifact step, run before synth: makes every upstream file a lab needs present and
 * verified in the cache. Each ref is looked up in the cache (re-verified), then the mirror, then
 * the network; `offline` stops before the network and names what is missing. Synth then reads
 * the same bytes synchronously through `readerFromCache`, so it never downloads.
 */
import { join } from "node:path";
import type { ArtifactReader, ArtifactRef } from "../model/artifact-ref.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { atomicWrite, blobPath, readBlob, readIfExists, writeBlob } from "./cache.ts";
import { isSha256Hex, sha256Hex } from "./digest.ts";
import { type DownloadOptions, download } from "./download.ts";
import { loadMirror, type Mirror, readFromMirror } from "./mirror.ts";
import { isOciUrl, pullOciChart } from "./oci.ts";
import { isRecordedOnFirstDownload } from "./pins.ts";
import { ensureExtracted } from "./tarball.ts";

export interface EnsureOptions {
  offline?: boolean;
  /** A mirror folder with an index.json, consulted before the network. */
  mirror?: string;
  cacheDir: string;
  onProgress?: (event: ArtifactEvent) => void;
  /** Digests from lab.lock.json for pins recorded on first download, by artifact id. */
  recorded?: Record<string, string>;
  /** Lab name, so the offline error can say which prefetch command fills the cache. */
  lab?: string;
  download?: Partial<DownloadOptions>;
}

export type ArtifactEvent =
  | { kind: "cache-hit"; id: string }
  | { kind: "corrupt"; id: string; path: string }
  | { kind: "mirror"; id: string; file: string }
  | { kind: "download"; id: string; url: string }
  | { kind: "retry"; id: string; url: string; attempt: number; reason: string; waitMs: number }
  | { kind: "stored"; id: string; sha256: string; bytes: number }
  | { kind: "recorded"; id: string; sha256: string }
  | { kind: "extracted"; id: string; dir: string };

export interface ResolvedArtifact {
  id: string;
  url: string;
  type: ArtifactRef["type"];
  /** The verified digest (for a pin recorded on first download: the one learnt or locked). */
  sha256: string;
  source: "cache" | "mirror" | "network";
  /** True when the pin has no digest of its own: the lock must record `sha256`. */
  recordedOnFirstDownload: boolean;
  path: string;
  /** For tarballs: the folder they were extracted into. */
  extractedDir?: string;
}

export type EnsuredArtifacts = ArtifactReader & {
  cacheDir: string;
  resolved: ResolvedArtifact[];
  /** id → sha256 for pins recorded on first download: what lab.lock.json records. */
  recorded: Record<string, string>;
  /** The cached file of a ref (a chart archive for helm, say). */
  pathOf(ref: ArtifactRef): string;
  /** The extraction folder of a tarball ref (mounted at /opt/cni/bin for the CNI plugins). */
  extractedDirOf(ref: ArtifactRef): string;
};

export async function ensureArtifacts(refs: ArtifactRef[], opts: EnsureOptions): Promise<EnsuredArtifacts> {
  const mirror = opts.mirror ? loadMirror(opts.mirror) : undefined;
  const resolved: ResolvedArtifact[] = [];
  const missing: ArtifactRef[] = [];
  for (const ref of uniqueRefs(refs)) {
    const found = await ensureOne(ref, opts, mirror);
    if (found) resolved.push(withExtraction(found, opts));
    else missing.push(ref);
  }
  if (missing.length > 0) throw offlineError(missing, opts.lab);
  return ensuredArtifacts(opts.cacheDir, resolved);
}

async function ensureOne(
  ref: ArtifactRef,
  opts: EnsureOptions,
  mirror: Mirror | undefined,
): Promise<ResolvedArtifact | undefined> {
  const known = knownDigest(ref, opts.cacheDir, opts.recorded);
  const fromCache = known ? cached(ref, known, opts) : undefined;
  if (fromCache) return fromCache;
  const fromMirror = mirror ? readFromMirror(mirror, known ? { ...ref, sha256: known } : ref) : undefined;
  if (fromMirror) {
    opts.onProgress?.({ kind: "mirror", id: ref.id, file: fromMirror.file });
    return store(ref, fromMirror.bytes, "mirror", opts);
  }
  if (opts.offline) return undefined;
  return store(ref, await fetchRemote(ref, known, opts), "network", opts);
}

function cached(ref: ArtifactRef, sha256: string, opts: EnsureOptions): ResolvedArtifact | undefined {
  const read = readBlob(opts.cacheDir, sha256);
  if (read.state === "corrupt") opts.onProgress?.({ kind: "corrupt", id: ref.id, path: read.path });
  if (read.state !== "hit") return undefined;
  opts.onProgress?.({ kind: "cache-hit", id: ref.id });
  return resolvedOf(ref, sha256, "cache", opts.cacheDir);
}

async function fetchRemote(
  ref: ArtifactRef,
  known: string | undefined,
  opts: EnsureOptions,
): Promise<Buffer> {
  opts.onProgress?.({ kind: "download", id: ref.id, url: ref.url });
  const dl: Partial<DownloadOptions> = {
    ...opts.download,
    onRetry: (r) => opts.onProgress?.({ kind: "retry", id: ref.id, ...r }),
  };
  if (isOciUrl(ref.url)) return (await pullOciChart(ref.url, known, dl)).bytes;
  return download(ref.url, known, dl);
}

/** Bytes reaching here are verified (download, mirror) or, for a first download, define the digest. */
function store(ref: ArtifactRef, bytes: Buffer, source: "mirror" | "network", opts: EnsureOptions) {
  const sha256 = sha256Hex(bytes);
  writeBlob(opts.cacheDir, bytes, sha256);
  opts.onProgress?.({ kind: "stored", id: ref.id, sha256, bytes: bytes.length });
  if (isRecordedOnFirstDownload(ref)) {
    atomicWrite(urlIndexPath(opts.cacheDir, ref.url), `${sha256}\n`, opts.cacheDir);
    opts.onProgress?.({ kind: "recorded", id: ref.id, sha256 });
  }
  return resolvedOf(ref, sha256, source, opts.cacheDir);
}

function resolvedOf(
  ref: ArtifactRef,
  sha256: string,
  source: ResolvedArtifact["source"],
  cacheDir: string,
): ResolvedArtifact {
  return {
    id: ref.id,
    url: ref.url,
    type: ref.type,
    sha256,
    source,
    recordedOnFirstDownload: isRecordedOnFirstDownload(ref),
    path: blobPath(cacheDir, sha256),
  };
}

function withExtraction(r: ResolvedArtifact, opts: EnsureOptions): ResolvedArtifact {
  if (r.type !== "tarball") return r;
  const dir = ensureExtracted(opts.cacheDir, r.sha256, `${r.id} (${r.url})`);
  opts.onProgress?.({ kind: "extracted", id: r.id, dir });
  return { ...r, extractedDir: dir };
}

/**
 * The digest a ref must have: its pin, or for a pin recorded on first download the lock's
 * value, else the one this cache learnt on an earlier download of the same URL.
 */
function knownDigest(ref: ArtifactRef, cacheDir: string, recorded: Record<string, string> = {}) {
  if (!isRecordedOnFirstDownload(ref)) return ref.sha256;
  const locked = recorded[ref.id];
  if (locked) return locked;
  const learnt = readIfExists(urlIndexPath(cacheDir, ref.url))?.toString("utf8").trim();
  return learnt && isSha256Hex(learnt) ? learnt : undefined;
}

function urlIndexPath(cacheDir: string, url: string): string {
  return join(cacheDir, "urls", sha256Hex(url));
}

function uniqueRefs(refs: ArtifactRef[]): ArtifactRef[] {
  const byId = new Map<string, ArtifactRef>();
  for (const ref of refs) {
    const seen = byId.get(ref.id);
    if (seen && (seen.sha256 !== ref.sha256 || seen.url !== ref.url)) {
      throw new LabError(`artifact id "${ref.id}" is declared twice with different url or sha256`);
    }
    byId.set(ref.id, ref);
  }
  return [...byId.values()];
}

function offlineError(missing: ArtifactRef[], lab = "<lab>"): LabError {
  const list = missing.map((r) => `${r.id} (${r.url})`).join(", ");
  const what = missing.length === 1 ? "artifact is" : `${missing.length} artifacts are`;
  return new LabError(
    `offline and ${what} not in the cache: ${list}`,
    `run \`labs prefetch ${lab}\` while online, or pass --mirror DIR`,
    EXIT.environment,
  );
}

function ensuredArtifacts(cacheDir: string, resolved: ResolvedArtifact[]): EnsuredArtifacts {
  const recorded = Object.fromEntries(
    resolved.filter((r) => r.recordedOnFirstDownload).map((r) => [r.id, r.sha256]),
  );
  const byId = new Map(resolved.map((r) => [r.id, r]));
  const get = (ref: ArtifactRef): ResolvedArtifact => {
    const r = byId.get(ref.id);
    if (!r)
      throw new LabError(
        `artifact ${ref.id} was not part of the artifact step`,
        "declare it in the component's artifacts()",
      );
    return r;
  };
  const read = readerFromCache(cacheDir, recorded);
  return Object.assign((ref: ArtifactRef) => read(ref), {
    cacheDir,
    resolved,
    recorded,
    pathOf: (ref: ArtifactRef) => get(ref).path,
    extractedDirOf: (ref: ArtifactRef) => {
      const dir = get(ref).extractedDir;
      if (!dir) throw new LabError(`artifact ${ref.id} is a ${ref.type}, not a tarball`);
      return dir;
    },
  });
}

/**
 * The synth-time reader: verified bytes from the cache, synchronously, never the network. A
 * missing or corrupted file is an error telling the user to run the artifact step.
 * `recorded` holds the lock's digests for pins recorded on first download.
 */
export function readerFromCache(cacheDir: string, recorded: Record<string, string> = {}): ArtifactReader {
  return (ref) => {
    const sha256 = knownDigest(ref, cacheDir, recorded);
    const read = sha256 ? readBlob(cacheDir, sha256) : { state: "missing" as const };
    if (read.state === "hit") return read.bytes;
    const why = read.state === "corrupt" ? "was corrupted (removed)" : "is not in the cache";
    throw new LabError(
      `artifact ${ref.id} (${ref.url}) ${why} at ${cacheDir}`,
      "run `labs prefetch <lab>` (or `labs up`) to fetch it before synth",
      EXIT.environment,
    );
  };
}
