import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const LABS_BIN = fileURLToPath(new URL("../../lib/cli/labs.mjs", import.meta.url));

export interface LabsRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `labs` executable, as a user would, without a terminal. */
export function runLabs(args: string[], env: Record<string, string | undefined> = {}, cwd?: string): LabsRun {
  const r = spawnSync(process.execPath, [LABS_BIN, ...args], {
    encoding: "utf8",
    cwd,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** runLabs without blocking the test worker, so table-driven tests can run cases side by side. */
export function runLabsAsync(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string; timeoutMs?: number } = {},
): Promise<LabsRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LABS_BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}
