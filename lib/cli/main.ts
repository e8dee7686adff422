import yargs from "yargs";
import { EXIT, LabError } from "../model/errors.ts";
import { commands } from "./commands/index.ts";
import { type Io, processIo, reportError } from "./output.ts";
import { version } from "./version.ts";

/**
 * The `labs` command line. It parses arguments and calls the library; every command returns an
 * exit code, and errors become one clear line each (see output.ts).
 */

const EXIT_CODES = `Exit codes:
  ${EXIT.ok}    success
  ${EXIT.failed}    probes failed, or lint found errors
  ${EXIT.usage}    bad input: unknown lab, invalid spec, bad flag
  ${EXIT.environment}    environment: missing tool, unwritable directory, download failed
  ${EXIT.interrupted}  interrupted`;

/**
 * yargs reads a lone `-` as a positional, so `--plan -` (stdin, as the prober's own help says)
 * became "Unknown argument: -". Flags that take a file or `-` get it joined: `--plan=-`.
 */
const STDIN_FLAGS = new Set(["--plan"]);
export function joinStdinFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    const prev = out[out.length - 1];
    if (arg === "-" && prev !== undefined && STDIN_FLAGS.has(prev)) out[out.length - 1] = `${prev}=-`;
    else out.push(arg);
  }
  return out;
}

/** yargs' own complaints (unknown flag, missing argument, bad choice) as a LabError naming the help. */
function usageError(message: string | undefined, argv: readonly string[]): LabError {
  const command = commands.find((c) => c.command.split(" ")[0] === argv[0]);
  // yargs spreads some messages over lines ("Invalid values:\n  Argument: …"): one line each.
  return new LabError(
    (message ?? "bad arguments").replace(/\s*\n\s*/g, " "),
    command ? `see \`labs ${argv[0]} --help\`` : "see `labs --help`",
  );
}

const wantsHelp = (argv: readonly string[]) => argv.some((a) => a === "--help" || a === "-h");

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code: number = EXIT.ok;
  argv = joinStdinFlags(argv);
  let cli = yargs(argv)
    .scriptName("labs")
    .usage("labs <command> [options]\n\nDeclarative Kubernetes networking labs on kind, proven by probes.")
    .version(version())
    .strict()
    .recommendCommands()
    .demandCommand(1, "name a command; `labs --help` lists them");
  for (const c of commands) {
    cli = cli.command(c.command, c.describe, c.builder, async (args) => {
      code = await c.run(args, io);
    });
  }
  cli = cli
    // yargs answers --get-yargs-completions for the script `labs completion` prints; its own
    // script command stays hidden because it printed the script even for `completion --help`.
    .completion("yargs-completion-script", false)
    .epilogue(
      `${EXIT_CODES}\n\nEnvironment: NO_COLOR disables colour; LABS_DIR points at another catalogue; LABS_DEBUG=1 shows stack traces.`,
    )
    // yargs renders (and caches) the help of every command it runs; wrapping that text costs
    // ~10 ms of start-up, so it is wrapped only when help is what was asked for.
    .wrap(wantsHelp(argv) ? Math.min(110, process.stdout.columns ?? 100) : null)
    .exitProcess(false)
    .fail((msg, err) => {
      if (err instanceof LabError) throw err;
      // yargs' YError carries its message only (a coerce or check failure, an unknown argument).
      if (!err || err.name === "YError") throw usageError(msg ?? err?.message, argv);
      throw err;
    });
  try {
    await cli.parseAsync();
  } catch (e) {
    return reportError(e, io);
  }
  return code;
}
