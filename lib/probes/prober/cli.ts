/**
 * The prober's command line, as run in a probe pod:
 *
 *   node prober.js --plan /plan/plan.json      (or --plan - to read the plan from stdin)
 *
 * Prints one JSON result per line on stdout, as probes finish. Exit 0 when the plan ran, even
 * if probes failed (failing is the caller's judgement); exit 2 with one line on stderr when the
 * arguments or the plan are invalid.
 */
import { readFile } from "node:fs/promises";
import { LabError } from "../../model/errors.ts";
import { parsePlan } from "./plan.ts";
import { errorMessage } from "./result.ts";
import { runPlan } from "./runner.ts";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => Promise<string>;
  readStdin: () => Promise<string>;
}

export const USAGE = `usage: prober --plan <file|-> [--concurrency N] [--deadline-ms N]
Runs the probes of a plan (JSON, version 1) and prints one JSON result per line.`;

interface CliArgs {
  plan: string;
  concurrency?: number;
  deadlineMs?: number;
}

/** Returns the exit code. */
export async function proberCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: CliArgs | "help";
  let plan: ReturnType<typeof parsePlan>;
  try {
    args = parseArgs(argv);
    if (args === "help") {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    plan = parsePlan(parseJson(await readPlanText(args.plan, io), args.plan));
  } catch (err) {
    const exit = err instanceof LabError ? err.exitCode : 2;
    io.stderr(`prober: ${errorMessage(err)}\n`);
    return exit;
  }
  const options: Parameters<typeof runPlan>[1] = {};
  if (args.concurrency !== undefined) options.concurrency = args.concurrency;
  if (args.deadlineMs !== undefined) options.deadlineMs = args.deadlineMs;
  for await (const result of runPlan(plan, options)) io.stdout(`${JSON.stringify(result)}\n`);
  return 0;
}

export function parseArgs(argv: readonly string[]): CliArgs | "help" {
  const args: Partial<CliArgs> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--help" || flag === "-h") return "help";
    const [name, inline] =
      flag.startsWith("--") && flag.includes("=") ? flag.split(/=(.*)/s, 2) : [flag, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new LabError(`${name} needs a value`, USAGE);
      return v;
    };
    if (name === "--plan") args.plan = value();
    else if (name === "--concurrency") args.concurrency = positiveInt(name, value());
    else if (name === "--deadline-ms") args.deadlineMs = positiveInt(name, value());
    else throw new LabError(`unknown argument ${JSON.stringify(flag)}; ${USAGE.split("\n")[0]}`);
  }
  if (args.plan === undefined) throw new LabError(`--plan is required; ${USAGE.split("\n")[0]}`);
  return args as CliArgs;
}

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new LabError(`${name} expects a positive integer, got "${text}"`);
  return n;
}

async function readPlanText(path: string, io: CliIo): Promise<string> {
  try {
    return path === "-" ? await io.readStdin() : await io.readFile(path);
  } catch (err) {
    throw new LabError(`cannot read the plan ${path === "-" ? "from stdin" : path}: ${errorMessage(err)}`);
  }
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new LabError(`the plan ${path === "-" ? "on stdin" : path} is not JSON: ${errorMessage(err)}`);
  }
}

/** The real process streams and files. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFile(path, "utf8"),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
  };
}
