import { writeUserFile } from "../files/output.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { red, useColor, yellow } from "../model/style.ts";

/** Where commands write: injectable so tests can capture output. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith("\n") ? t : `${t}\n`),
};

/** `--json`: the value as indented JSON; otherwise the command's text for people. */
export async function printJsonOrText<T>(
  io: Io,
  json: boolean | undefined,
  value: T,
  text: (value: T) => string | Promise<string>,
): Promise<void> {
  io.out(json ? JSON.stringify(value, null, 2) : await text(value));
}

/**
 * A command's text on stdout, or into the `--out` file it checked before doing any work (see
 * checkOutputFile), then `wrote` on stdout.
 */
export function printOrWrite(
  io: Io,
  text: string,
  target: string | undefined,
  opts: { force?: boolean; wrote: string },
): number {
  if (!target) {
    io.out(text);
    return EXIT.ok;
  }
  writeUserFile(target, text, { force: opts.force });
  io.out(opts.wrote);
  return EXIT.ok;
}

/** A LabError said about one lab of several: the lab's name in front, once. */
export function forLab(lab: string, e: LabError): LabError {
  return e.message.startsWith(`${lab}: `) ? e : new LabError(`${lab}: ${e.message}`, e.fix, e.exitCode);
}

/** Turns any error into lines for the user and an exit code; stack traces only with LABS_DEBUG. */
export function reportError(e: unknown, io: Io): number {
  if (e instanceof LabError) {
    io.err(
      e.message
        .split("\n")
        .map((l) => `${red("labs: error:", useColor(process.stderr))} ${l}`)
        .join("\n"),
    );
    if (e.fix) io.err(`${yellow("labs: fix:", useColor(process.stderr))} ${e.fix}`);
    return e.exitCode;
  }
  const message = e instanceof Error ? e.message : String(e);
  io.err(`labs: internal error: ${message}`);
  if (process.env.LABS_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
  else io.err("labs: set LABS_DEBUG=1 to see the stack trace, and please report it");
  return EXIT.failed;
}
