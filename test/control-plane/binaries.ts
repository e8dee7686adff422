/**
 * The control-plane binaries that test/control-plane/build.sh builds from the pinned Go modules:
 * where they are, or why the control-plane suite cannot run on this machine.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BINARIES = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
  "kwok",
] as const;
export type Binary = (typeof BINARIES)[number];

/** The folder build.sh writes: LABS_CONTROL_PLANE_BIN, else test/control-plane/.bin. */
export function binDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LABS_CONTROL_PLANE_BIN || fileURLToPath(new URL("./.bin/", import.meta.url));
}

export type ControlPlaneBinaries = { dir: string; path: Record<Binary, string> } | { unavailable: string };

/** Every binary, or one sentence saying what is missing and how to get it. */
export function controlPlaneBinaries(env: NodeJS.ProcessEnv = process.env): ControlPlaneBinaries {
  const dir = binDir(env);
  const missing = BINARIES.filter((b) => !isExecutable(join(dir, b)));
  if (missing.length) {
    const go = hasGo(env) ? "" : "; Go is not installed here (needs Go >= 1.26 and the Go module proxy)";
    return {
      unavailable: `no built control plane in ${dir} (missing ${missing.join(", ")}): run \`bash test/control-plane/build.sh\`${go}`,
    };
  }
  return { dir, path: Object.fromEntries(BINARIES.map((b) => [b, join(dir, b)])) as Record<Binary, string> };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasGo(env: NodeJS.ProcessEnv): boolean {
  try {
    execFileSync("go", ["version"], { env, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
