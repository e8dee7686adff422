/**
 * A local mirror of upstream files (`LABS_MIRROR=DIR` or `--mirror DIR`), for air-gapped
 * machines and workshops. The folder holds an `index.json` listing `{ path, url, sha256 }` per
 * file, laid out like shared/upstream. A mirror is trusted no more than the network: its bytes
 * are checked against the pin, and a file that does not match is an error naming that file.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join, normalize } from "node:path";
import type { ArtifactRef } from "../model/artifact-ref.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { sha256Hex } from "./digest.ts";
import { isRecordedOnFirstDownload } from "./pins.ts";

export interface MirrorEntry {
  path: string;
  url: string;
  sha256: string;
}

export interface Mirror {
  dir: string;
  entries: MirrorEntry[];
}

export function loadMirror(dir: string): Mirror {
  const indexPath = join(dir, "index.json");
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(indexPath, "utf8"));
  } catch (err) {
    throw new LabError(
      `cannot read the mirror index ${indexPath}: ${(err as Error).message}`,
      'a mirror folder needs an index.json of { "files": [{ "path", "url", "sha256" }] }',
      EXIT.environment,
    );
  }
  return { dir, entries: parseEntries(parsed, indexPath) };
}

function parseEntries(parsed: unknown, indexPath: string): MirrorEntry[] {
  const files = (parsed as { files?: unknown })?.files;
  if (!Array.isArray(files)) {
    throw new LabError(`mirror index ${indexPath} has no "files" list`, undefined, EXIT.environment);
  }
  return files.map((f, i) => {
    const e = f as Partial<MirrorEntry>;
    if (typeof e.path !== "string" || typeof e.url !== "string" || typeof e.sha256 !== "string") {
      throw new LabError(
        `mirror index ${indexPath}: files[${i}] needs string "path", "url" and "sha256"`,
        undefined,
        EXIT.environment,
      );
    }
    if (isAbsolute(e.path) || normalize(e.path).startsWith("..")) {
      throw new LabError(`mirror index ${indexPath}: files[${i}].path must stay inside the mirror`);
    }
    return { path: e.path, url: e.url, sha256: e.sha256 };
  });
}

/**
 * The verified bytes of `ref` from the mirror, or undefined when the mirror does not list it.
 * A ref is found by URL, or by digest (a mirror may have been filled from another URL).
 * For a ref whose digest is recorded on first download, the index's sha256 is what is checked.
 */
export function readFromMirror(
  mirror: Mirror,
  ref: ArtifactRef,
): { bytes: Buffer; file: string } | undefined {
  const pinned = !isRecordedOnFirstDownload(ref);
  const entry =
    mirror.entries.find((e) => e.url === ref.url) ??
    (pinned ? mirror.entries.find((e) => e.sha256 === ref.sha256) : undefined);
  if (!entry) return undefined;
  const file = join(mirror.dir, entry.path);
  const bytes = readMirrorFile(file, ref);
  const expected = pinned ? ref.sha256 : entry.sha256;
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw new LabError(
      `mirror file ${file} does not match ${ref.id}: expected sha256 ${expected}, got ${actual}`,
      "replace the file with the pinned upstream bytes, or remove it from the mirror's index.json",
      EXIT.environment,
    );
  }
  return { bytes, file };
}

function readMirrorFile(file: string, ref: ArtifactRef): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new LabError(
      `mirror file ${file} for ${ref.id} is listed in index.json but cannot be read: ${(err as Error).message}`,
      "add the file to the mirror or remove its entry from index.json",
      EXIT.environment,
    );
  }
}
