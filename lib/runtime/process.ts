/**
 * The one place labs starts a child process (execa 9). Every call can be cancelled by an
 * AbortSignal (Ctrl-C): the child gets SIGTERM, then SIGKILL if it lingers, and the caller gets
 * an `Interrupted` error instead of a half-read result. Non-zero exits are returned, not thrown:
 * the caller knows what a failure of its command means.
 */
import { execa } from "execa";
import { EXIT, LabError } from "../model/errors.ts";

export interface RunOptions {
  /** The complete environment of the child (labs passes its own, never mutates process.env). */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Written to the child's stdin (then closed). */
  input?: string;
  timeoutMs?: number;
  cwd?: string;
}

export interface RunResult {
  /** The command as one line, for logs and messages. */
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  ok: boolean;
  timedOut: boolean;
  ms: number;
}

/** Thrown when the run was cancelled by the caller's AbortSignal (Ctrl-C). */
export class Interrupted extends Error {
  override readonly name = "Interrupted";
  constructor(what = "interrupted") {
    super(what);
  }
}

export function isInterrupted(e: unknown): e is Interrupted {
  return e instanceof Interrupted;
}

/**
 * The message of an error a caller records and carries on past (a note, a fact marked unknown).
 * A cancellation is never recorded that way: it is thrown on, so Ctrl-C still stops the run.
 */
export function messageUnlessInterrupted(e: unknown): string {
  if (isInterrupted(e)) throw e;
  return e instanceof Error ? e.message : String(e);
}

/** Grace period between SIGTERM and SIGKILL for a cancelled child. */
const FORCE_KILL_AFTER_MS = 3_000;

export async function run(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  if (opts.signal?.aborted) throw new Interrupted();
  const started = Date.now();
  const result = await execa(file, [...args], {
    env: opts.env,
    extendEnv: false,
    reject: false,
    input: opts.input ?? "",
    cancelSignal: opts.signal,
    forceKillAfterDelay: FORCE_KILL_AFTER_MS,
    timeout: opts.timeoutMs,
    cwd: opts.cwd,
    maxBuffer: 512 * 1024 * 1024,
    stripFinalNewline: false,
  });
  if (result.isCanceled || opts.signal?.aborted) throw new Interrupted();
  const command = [file, ...args].map(quoteArg).join(" ");
  if (result.code === "ENOENT") {
    throw new LabError(
      `cannot run ${file}: not found`,
      "install it or point the LABS_<TOOL> variable at it",
      EXIT.environment,
    );
  }
  const stdout = typeof result.stdout === "string" ? result.stdout : "";
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  const exitCode = typeof result.exitCode === "number" ? result.exitCode : -1;
  return {
    command,
    exitCode,
    stdout,
    stderr,
    ok: exitCode === 0 && !result.failed,
    timedOut: Boolean(result.timedOut),
    ms: Date.now() - started,
  };
}

/** Quotes an argument only when a shell would need it, so logged commands can be pasted. */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The last lines of a tool's error output, for a one-line message. */
export function lastLines(text: string, n = 3): string {
  return text
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(" | ");
}
