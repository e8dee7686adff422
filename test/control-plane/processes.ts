/**
 * The control plane's processes: each started in its own process group with its output in a log
 * file, stopped by signalling the whole group (SIGTERM, then SIGKILL), and killed by a process
 * exit hook when a test run dies without tearing down, so no etcd or API server outlives it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

export interface Proc {
  name: string;
  pid: number;
  log: string;
  child: ChildProcess;
  /** Set once the process has exited: its exit code or the signal that ended it. */
  exited?: string;
}

const live = new Set<Proc>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const p of live) killGroup(p.pid, "SIGKILL");
  };
  // Synchronous: an 'exit' listener cannot wait, so every group left gets SIGKILL at once.
  process.on("exit", killAll);
  // A test runner stopping its worker with a signal skips 'exit': kill, then die of the same signal.
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

export function start(
  name: string,
  file: string,
  args: string[],
  log: string,
  env?: NodeJS.ProcessEnv,
): Proc {
  hookExit();
  const fd = openSync(log, "a");
  const child = spawn(file, args, {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: env ?? { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp" },
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${file}`);
  const proc: Proc = { name, pid: child.pid, log, child };
  live.add(proc);
  child.on("exit", (code, signal) => {
    proc.exited = signal ?? `exit ${code}`;
  });
  return proc;
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
export async function stop(proc: Proc, graceMs = 3_000): Promise<void> {
  if (!proc.exited) {
    const gone = new Promise<void>((resolve) => proc.child.once("exit", () => resolve()));
    killGroup(proc.pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(proc.pid, "SIGKILL"), graceMs);
    await gone;
    clearTimeout(timer);
  }
  // Children a component may have started share its group.
  killGroup(proc.pid, "SIGKILL");
  live.delete(proc);
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** The last lines of a process's log, for failure messages. */
export function tail(proc: Proc, lines = 15): string {
  try {
    return readFileSync(proc.log, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
