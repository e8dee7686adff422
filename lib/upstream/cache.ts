/**
 * The content-addressed artifact cache. Files live at `<cache>/sha256/<hex>` and are named by
 * their own digest, so a path can only ever hold one content: a write with other bytes is
 * refused, and a read re-hashes the file and treats a corrupted one as absent (it is removed so
 * the next fetch replaces it). Writes go to a temp file first and are renamed into place, so a
 * reader never sees half a file.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { makeDir } from "../files/make-dir.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { isSha256Hex, sha256Hex } from "./digest.ts";

export type CacheRead =
  | { state: "hit"; bytes: Buffer }
  | { state: "missing" }
  /** The file was there with other bytes; it has been removed. */
  | { state: "corrupt"; path: string; actual: string };

/**
 * `LABS_CACHE_DIR`, else `$XDG_CACHE_HOME/labs`, else `~/.cache/labs`, always absolute: kind
 * mounts folders of the cache into the nodes, and a relative hostPath would not name the same
 * folder from where kind reads its config.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.LABS_CACHE_DIR) return resolve(env.LABS_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return resolve(env.XDG_CACHE_HOME, "labs");
  return join(home, ".cache", "labs");
}

export function blobPath(cacheDir: string, sha256: string): string {
  assertSha256(sha256);
  return join(cacheDir, "sha256", sha256);
}

export function readBlob(cacheDir: string, sha256: string): CacheRead {
  const path = blobPath(cacheDir, sha256);
  const bytes = readIfExists(path);
  if (!bytes) return { state: "missing" };
  const actual = sha256Hex(bytes);
  if (actual === sha256) return { state: "hit", bytes };
  rmSync(path, { force: true });
  return { state: "corrupt", path, actual };
}

/**
 * Stores bytes under their digest and returns the path. `expected`, when given, must be the
 * digest of `bytes`: callers pass the pin so a mix-up can never file bytes under a wrong name.
 */
export function writeBlob(cacheDir: string, bytes: Uint8Array, expected?: string): string {
  const actual = sha256Hex(bytes);
  if (expected !== undefined && expected !== actual) {
    throw new LabError(
      `refusing to cache bytes under sha256 ${expected}: their sha256 is ${actual}`,
      "this is a bug in labs: only verified bytes may enter the cache",
      EXIT.environment,
    );
  }
  const path = blobPath(cacheDir, actual);
  if (readBlob(cacheDir, actual).state === "hit") return path;
  atomicWrite(path, bytes, cacheDir, 0o444);
  return path;
}

/** Writes a small file (an index entry) atomically; used for pointers that are not blobs. */
export function atomicWrite(path: string, bytes: Uint8Array | string, cacheDir: string, mode = 0o644): void {
  const tmpDir = join(cacheDir, "tmp");
  const tmp = join(tmpDir, `${process.pid}-${randomBytes(6).toString("hex")}`);
  try {
    makeDir(tmpDir);
    makeDir(join(path, ".."));
    writeFileSync(tmp, bytes, { mode });
  } catch (err) {
    throw cacheError(cacheDir, err);
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw cacheError(path, err);
  }
}

/** Reads a file, or undefined when it does not exist. Other errors (permissions) are reported. */
export function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw cacheError(path, err);
  }
}

function cacheError(path: string, err: unknown): LabError {
  const code = (err as NodeJS.ErrnoException).code;
  return new LabError(
    `cannot use the artifact cache at ${path}: ${code ?? (err as Error).message}`,
    "make the cache writable or point LABS_CACHE_DIR at another directory",
    EXIT.environment,
  );
}

function assertSha256(sha256: string): void {
  if (!isSha256Hex(sha256)) {
    throw new LabError(`"${sha256}" is not a sha256 digest (64 lowercase hex characters)`);
  }
}
