import { EXIT } from "../../model/errors.ts";
import { defineCommand } from "../command.ts";
import { pathFlag } from "../flags.ts";
import type { Io } from "../output.ts";

interface ReportArgs {
  runs: string[];
  out: string;
  allowMixed?: boolean;
  force?: boolean;
}

async function report(args: ReportArgs, io: Io): Promise<number> {
  const { checkOutputDir } = await import("../../files/output.ts");
  // Before any run is read: writing into an input folder would rewrite that run.
  const out = checkOutputDir(pathFlag(args.out, "--out")!, { inputs: args.runs, force: args.force });
  const { loadRun, mergeRuns } = await import("../../report/merge.ts");
  const { writeRunDir } = await import("../../report/write.ts");
  const { hostFingerprint } = await import("../../report/host.ts");
  const { hostToolVersions } = await import("../../compare/compare-labs.ts");
  // A lab state folder (a CI job's upload) carries no fingerprint: it was made on this machine's job.
  // Asking docker, kind and kubectl for versions takes seconds: only for folders without results.json.
  let host: ReturnType<typeof hostFingerprint> | undefined;
  const { existsSync } = await import("node:fs");
  const { join } = await import("node:path");
  const stateDirs = args.runs.some(
    (dir) => !existsSync(join(dir, "results.json")) && !existsSync(join(dir, "run", "results.json")),
  );
  const tools = stateDirs ? await hostToolVersions() : {};
  const hostNow = () => {
    host ??= hostFingerprint(tools);
    return host;
  };
  const merged = mergeRuns(
    args.runs.map((dir) => loadRun(dir, hostNow)),
    { allowMixed: args.allowMixed },
  );
  writeRunDir(merged, out);
  const failed = merged.labs.filter(
    (l) => l.status !== "ok" || (l.probes && l.probes.summary.fail + l.probes.summary.error > 0),
  );
  io.out(
    `${out}: report.md, report.html, junit.xml and results.json for ${merged.labs.length} lab run${merged.labs.length === 1 ? "" : "s"}${
      merged.mixed?.length
        ? ` (mixed locks: ${merged.mixed.length} difference${merged.mixed.length === 1 ? "" : "s"} marked)`
        : ""
    }${failed.length ? `; not passing: ${failed.map((l) => l.lab).join(", ")}` : ""}`,
  );
  return EXIT.ok;
}

export const reportCommand = defineCommand({
  command: "report <runs..>",
  describe:
    "Merge run folders (labs compare output, CI artifacts) into one report: Markdown, HTML, JUnit, JSON",
  builder: (y) =>
    y
      .positional("runs", { type: "string", array: true, demandOption: true, describe: "Run folders" })
      .option("out", {
        type: "string",
        default: "labs-report",
        describe: "Folder to write the merged report to",
      })
      .option("allow-mixed", {
        type: "boolean",
        describe: "Merge runs whose locks disagree, and mark every difference in the report",
      })
      .option("force", { type: "boolean", describe: "Write --out even when it is one of the run folders" })
      .example("labs report runs/* --out report", "merge the runs of a CI matrix"),
  run: report,
});
