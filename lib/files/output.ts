import { existsSync, statSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { EXIT, LabError } from "../model/errors.ts";
import { makeDir } from "./make-dir.ts";

/**
 * Where commands write files the user named (`--out`). Checked before any work starts, so a
 * bad path fails in a second rather than after a whole run, and never replaces a file the user
 * owns unless they pass `--force`.
 */

const isInside = (child: string, parent: string) => {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith(sep) && rel !== "..");
};

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw writeError(path, e);
  }
}

/** A file to create: refused when something is there already, unless `force`. */
export function checkOutputFile(path: string, opts: { force?: boolean; flag?: string } = {}): string {
  const flag = opts.flag ?? "--out";
  const target = resolve(path);
  const st = statOrUndefined(target);
  if (st?.isDirectory())
    throw new LabError(
      `${target} is a folder, not a file`,
      `give ${flag} a file path, e.g. ${flag} ./out.md`,
    );
  if (st && !opts.force)
    throw new LabError(
      `${target} already exists; labs does not overwrite a file without asking`,
      `pass --force to replace it, or choose another path with ${flag}`,
    );
  const parent = dirname(target);
  const pst = statOrUndefined(parent);
  if (pst && !pst.isDirectory())
    throw new LabError(`cannot write ${target}: ${parent} is a file`, `choose another path with ${flag}`);
  return target;
}

export interface OutputDirOptions {
  flag?: string;
  force?: boolean;
  /** Folders the command reads: writing into one of them would rewrite its input. */
  inputs?: readonly string[];
  /** A file whose presence marks an earlier output that `force` is needed to replace. */
  marker?: string;
}

/** A folder to write into: not a file, not one of the command's inputs, not an earlier run unless `force`. */
export function checkOutputDir(path: string, opts: OutputDirOptions = {}): string {
  const flag = opts.flag ?? "--out";
  const target = resolve(path);
  const st = statOrUndefined(target);
  if (st && !st.isDirectory())
    throw new LabError(`${target} is a file, not a folder`, `give ${flag} a folder, e.g. ${flag} ./report`);
  for (const input of opts.inputs ?? []) {
    const dir = resolve(input);
    if (isInside(target, dir) && !opts.force)
      throw new LabError(
        `${flag} ${target} is ${target === dir ? "" : "inside "}the input ${dir}: writing there would rewrite that run`,
        `choose another folder with ${flag} (or pass --force to write there anyway)`,
      );
  }
  if (st && opts.marker && existsSync(resolve(target, opts.marker)) && !opts.force)
    throw new LabError(
      `${target} already holds ${opts.marker} from an earlier run; labs does not overwrite it without asking`,
      `pass --force to replace it, or choose another folder with ${flag}`,
    );
  const parent = dirname(target);
  const pst = st ? undefined : statOrUndefined(parent);
  if (pst && !pst.isDirectory())
    throw new LabError(`cannot write ${target}: ${parent} is a file`, `choose another folder with ${flag}`);
  return target;
}

/** A LabError for a write that failed, naming the path and the system's reason. */
export function writeError(path: string, e: unknown, flag = "--out"): LabError {
  const code = (e as NodeJS.ErrnoException).code;
  return new LabError(
    `cannot write ${path}: ${code ?? (e as Error).message}`,
    code === "EACCES" || code === "EPERM" || code === "EROFS"
      ? `choose a writable path with ${flag}`
      : `choose another path with ${flag}`,
    EXIT.environment,
  );
}

/** Writes a file the user asked for; `force` false means it must not exist (checked atomically). */
export function writeUserFile(
  path: string,
  text: string,
  opts: { force?: boolean; flag?: string } = {},
): void {
  try {
    makeDir(dirname(path));
    writeFileSync(path, text, { flag: opts.force ? "w" : "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new LabError(
        `${path} already exists; labs does not overwrite a file without asking`,
        `pass --force to replace it, or choose another path with ${opts.flag ?? "--out"}`,
      );
    throw writeError(path, e, opts.flag);
  }
}
