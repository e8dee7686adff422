import { readFile } from "node:fs/promises";
import { LabError } from "../../model/errors.ts";
import { defineCommand } from "../command.ts";
import { wholeNumber } from "../flags.ts";
import type { Io } from "../output.ts";

/**
 * `labs prober --plan FILE`: runs an engine plan on this host and prints one JSON result per
 * line. It is the prober's own entry point (the one client pods run from the bundle), so a plan
 * can be checked against local servers exactly as a pod would run it.
 *
 * Two JSON files are called plans, and they are not the same thing:
 * - the lab's probe plan, `probes.plan.json` (`labs synth`, `labs probes --json`): every check
 *   of a lab with its expectation and reason, aimed at Services and pods by name. `labs verify`
 *   reads it, looks up the running cluster's addresses, and turns it into
 * - engine plans (lib/probes/prober/plan.ts, `{ "version": 1, "probes": [...] }`): concrete hosts and
 *   ports, one plan per probe client pod. This is what the prober runs.
 */

const EXAMPLE_PLAN = {
  version: 1,
  probes: [
    { id: "web-tcp", kind: "tcp", host: "127.0.0.1", port: 8080, expect: "reachable" },
    { id: "web-http", kind: "http", url: "http://127.0.0.1:8080/", expect: "reachable" },
    { id: "closed-port", kind: "tcp", host: "127.0.0.1", port: 9, expect: "blocked" },
    { id: "dns-localhost", kind: "dns", name: "localhost", resolver: "lookup" },
  ],
};

/** An engine plan to start from: `labs prober --example > plan.json`. */
export const examplePlanText = () => `${JSON.stringify(EXAMPLE_PLAN, null, 2)}\n`;

const HOW_TO_GET_ONE =
  "`labs prober --example > plan.json` writes an engine plan to start from (format: lib/probes/prober/plan.ts)";

/**
 * The lab's probe plan given where an engine plan belongs: say which file is which, instead of
 * the engine validator's "probes[0].kind: required (and 32 more)".
 */
export function labPlanMistake(text: string, source: string): LabError | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // the prober itself says it is not JSON
  }
  const v = value as { lab?: unknown; checks?: unknown; clients?: unknown } | null;
  if (!v || typeof v !== "object" || typeof v.lab !== "string" || !Array.isArray(v.checks)) return undefined;
  return new LabError(
    `${source} is lab ${JSON.stringify(v.lab)}'s probe plan (probes.plan.json, from labs synth), which \`labs verify ${v.lab}\` runs against the cluster; labs prober runs an engine plan ({ "version": 1, "probes": [{ "id", "kind", "host", "port", … }] })`,
    HOW_TO_GET_ONE,
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function prober(
  args: { plan?: string; concurrency?: number; deadlineMs?: number; example?: boolean },
  io: Io,
): Promise<number> {
  if (args.example) {
    io.out(examplePlanText().trimEnd());
    return 0;
  }
  // The engine accepts any positive count, but a pool of 1e9 workers is a typo, not a plan.
  const concurrency = wholeNumber(args.concurrency, "--concurrency", { min: 1, max: 4096, unit: "probes" });
  const deadlineMs = wholeNumber(args.deadlineMs, "--deadline-ms", { min: 1, max: 86_400_000, unit: "ms" });
  if (args.plan === undefined || args.plan === "")
    throw new LabError("--plan needs a plan file, or - for stdin", HOW_TO_GET_ONE);
  const plan = args.plan;
  const { proberCli } = await import("../../probes/prober/cli.ts");
  const argv = ["--plan", plan];
  if (concurrency !== undefined) argv.push("--concurrency", String(concurrency));
  if (deadlineMs !== undefined) argv.push("--deadline-ms", String(deadlineMs));
  // Read once here: a missing file gets labs' own message with the way to get a plan, and the
  // lab's probe plan is told apart before the engine's validator sees it.
  const source = plan === "-" ? "the plan on stdin" : plan;
  let text: string;
  try {
    text = plan === "-" ? await readStdin() : await readFile(plan, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LabError(
      `cannot read the engine plan ${source}: ${code ?? (e as Error).message}`,
      HOW_TO_GET_ONE,
    );
  }
  const mistake = labPlanMistake(text, source);
  if (mistake) throw mistake;
  return proberCli(argv, {
    stdout: (line) => io.out(line.replace(/\n$/, "")),
    stderr: (line) => io.err(line.replace(/\n$/, "")),
    readFile: async () => text,
    readStdin: async () => text,
  });
}

export const proberCommand = defineCommand({
  command: "prober",
  describe:
    "Run an engine plan (JSON, version 1: concrete hosts and ports) on this host; print one JSON result per line",
  builder: (y) =>
    y
      .option("plan", {
        type: "string",
        describe: "Engine plan file, or - for stdin (not probes.plan.json: that is the lab's plan)",
      })
      .option("example", { type: "boolean", describe: "Print an engine plan to start from" })
      .option("concurrency", { type: "number", describe: "Probes in flight at once (1-4096)" })
      .option("deadline-ms", { type: "number", describe: "Deadline for the whole plan, in ms" })
      .example("labs prober --example > plan.json", "an engine plan against 127.0.0.1 to edit")
      .example("labs prober --plan plan.json", "the same entry point the probe client pods run")
      .example("labs prober --plan - < plan.json", "the plan on stdin"),
  run: prober,
});
