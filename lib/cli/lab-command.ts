import type { Argv, Options, PositionalOptions } from "yargs";
import type { LabSpec } from "../model/lab-spec.ts";
import { useColor, yellow } from "../model/style.ts";
import { artifactOptions } from "./artifacts.ts";
import { defineCommand, type LabsCommand, labsDirOption } from "./command.ts";
import type { Io } from "./output.ts";

/**
 * A command about one lab, `labs <name> <lab>`: what is its own (flags, examples, run) as data,
 * and the `<lab>` positional, `--labs-dir` and the artifact flags from here, so that every such
 * command takes them alike.
 */
export interface LabCommandSpec<A> {
  /** The yargs command string; its first positional is `<lab>`, e.g. `break <lab> [fault]`. */
  command: string;
  describe: string;
  /** Positionals after `<lab>`. */
  positionals?: Record<string, PositionalOptions>;
  /** The command's own flags, in the order `--help` lists them. */
  options?: Record<string, Options>;
  /**
   * `--labs-dir`: the command reads the lab's file. Commands that act on a running lab through
   * its state folder (fix, verify) do not take it.
   */
  labsDir?: boolean;
  /** `--offline` and `--mirror`: the command reads upstream artifacts. */
  artifacts?: boolean;
  /** `[command line, what it shows]`, as `--help` lists them. */
  examples: readonly (readonly [string, string])[];
  run(args: A, io: Io): Promise<number>;
}

export function labCommand<A extends { lab: string }>(c: LabCommandSpec<A>): LabsCommand<A> {
  return defineCommand<A>({
    command: c.command,
    describe: c.describe,
    builder: (y) => {
      let b: Argv = y.positional("lab", { type: "string", demandOption: true });
      for (const [name, p] of Object.entries(c.positionals ?? {})) b = b.positional(name, p);
      b = b.options({ ...c.options, ...(c.labsDir ? labsDirOption : {}) });
      if (c.artifacts) b = artifactOptions(b);
      for (const [line, what] of c.examples) b = b.example(line, what);
      return b;
    },
    run: c.run,
  });
}

/** The spec of the lab named on the command line, from the catalogue or `--labs-dir`. */
export async function labSpec(name: string, labsDir: string | undefined): Promise<LabSpec> {
  const { findLabs } = await import("../catalogue.ts");
  // findLabs names the lab it cannot find, with the closest names, as a LabError.
  const [entry] = await findLabs([name], labsDir);
  return entry!.spec;
}

/**
 * Says which components a plan, list or guide was made without (their upstream files were not
 * at hand, so their objects are missing) and how to get the whole of it.
 */
export function noteIncomplete(
  io: Io,
  lab: string,
  incomplete: readonly { component: string; why: string }[],
  made: { how: "planned" | "written"; what: string },
): void {
  for (const i of incomplete)
    io.err(
      `${yellow("labs: note:", useColor(process.stderr))} ${made.how} without ${i.component}'s objects (${i.why}); \`labs prefetch ${lab}\` gives the full ${made.what}`,
    );
}
