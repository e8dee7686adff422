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
  let text = (message ?? "bad arguments").replace(/\s*\n\s*/g, " ");
  // recommendCommands says only "Did you mean list?": name what was not understood.
  if (!command && argv[0] && /^Did you mean/.test(text)) text = `unknown command "${argv[0]}": ${text}`;
  return new LabError(text, command ? `see \`labs ${argv[0]} --help\`` : "see `labs --help`");
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  argv = joinStdinFlags(argv);
  let cli = yargs(argv)
    .scriptName("labs")
    .usage("labs <command> [options]\n\nDeclarative Kubernetes networking labs on kind, proven by probes.")
    .version(version())
    .strict()
    .recommendCommands()
    .demandCommand(1, "name a command; `labs --help` lists them");
  // Commands are registered without yargs handlers and run below, once yargs has parsed and
  // validated the arguments: a yargs handler makes it render and cache that command's help text
  // on every run, which cost ~20 ms of each start.
  for (const c of commands) cli = cli.command(c.command, c.describe, c.builder);
  cli = cli
    // yargs answers --get-yargs-completions for the script `labs completion` prints; its own
    // script command stays hidden because it printed the script even for `completion --help`.
    .completion("yargs-completion-script", false)
    .epilogue(
      `${EXIT_CODES}\n\nEnvironment: NO_COLOR disables colour; LABS_DIR points at another catalogue; LABS_DEBUG=1 shows stack traces.`,
    )
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err instanceof LabError) throw err;
      // yargs' YError carries its message only (a coerce or check failure, an unknown argument).
      if (!err || err.name === "YError") throw usageError(msg ?? err?.message, argv);
      throw err;
    });
  try {
    const args = await cli.parseAsync();
    // --help, --version and completions are answered by yargs itself.
    if (args.help || args.version || args["get-yargs-completions"]) return EXIT.ok;
    const command = commands.find((c) => c.command.split(" ")[0] === String(args._[0]));
    return command ? await command.run(args, io) : EXIT.ok;
  } catch (e) {
    return reportError(e, io);
  }
}
