import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * `mkdir -p` that cannot spin. Node's recursive mkdir reads ENOENT as "the parent is missing",
 * creates the parent (EEXIST: fine) and tries again; procfs answers ENOENT for any new child,
 * so `fs.mkdirSync("/proc/x", { recursive: true })` loops forever at 100% CPU (seen with
 * `labs synth --out /proc/x`). This walks down from the deepest existing folder one level at a
 * time with plain mkdir, and gives up with the kernel's own error when a level cannot be made.
 */
export function makeDir(path: string): void {
  const target = resolve(path);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    const kind = kindOf(at);
    if (kind === "dir") break;
    if (kind === "other") throw errnoError("ENOTDIR", "not a directory", at);
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (e) {
      // Someone else made it in the meantime: fine, as long as it is a folder.
      if ((e as NodeJS.ErrnoException).code === "EEXIST" && kindOf(dir) === "dir") continue;
      throw e;
    }
  }
}

function kindOf(path: string): "dir" | "other" | "missing" {
  try {
    return statSync(path).isDirectory() ? "dir" : "other";
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "missing";
    if (code === "ENOTDIR") return "other";
    throw e;
  }
}

function errnoError(code: string, text: string, path: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${text}, mkdir '${path}'`) as NodeJS.ErrnoException;
  e.code = code;
  e.path = path;
  return e;
}
