import { checkOutputFile } from "../../files/output.ts";
import { LabError } from "../../model/errors.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import { pathFlag } from "../flags.ts";
import { type Io, printOrWrite } from "../output.ts";
import { selectLabs } from "./select.ts";

interface CiArgs {
  provider: string;
  labs?: string[];
  all?: boolean;
  out: string;
  stdout?: boolean;
  force?: boolean;
  labsDir?: string;
}

async function ci(args: CiArgs, io: Io): Promise<number> {
  if (args.provider !== "github")
    throw new LabError(
      `unknown CI "${args.provider}": labs writes GitHub Actions workflows`,
      "labs ci github",
    );
  const out = args.stdout ? undefined : checkOutputFile(pathFlag(args.out, "--out")!, { force: args.force });
  const labs = args.labs?.flatMap((l) => l.split(",")).filter(Boolean);
  const entries = await selectLabs({ labs, all: args.all, labsDir: args.labsDir });
  const { renderGithubWorkflow } = await import("../../report/github-workflow.ts");
  const text = renderGithubWorkflow({ labs: entries.map((e) => e.spec.name) });
  const jobs = `${entries.length} lab job${entries.length === 1 ? "" : "s"}`;
  return printOrWrite(io, text, out, {
    force: args.force,
    wrote: `wrote ${out}: ${jobs} and a combined report`,
  });
}

export const ciCommand = defineCommand({
  command: "ci <provider>",
  describe:
    "Write a CI workflow: one job per lab in a matrix, then one job that merges every run into a report",
  builder: (y) =>
    y
      .positional("provider", { type: "string", demandOption: true, choices: ["github"], describe: "github" })
      .option("labs", {
        type: "string",
        array: true,
        describe: "Labs to run (names, comma-separated or repeated)",
      })
      .option("all", { type: "boolean", describe: "Every lab in the catalogue" })
      .option("out", {
        type: "string",
        default: ".github/workflows/labs-matrix.yml",
        describe: "Where to write the workflow (never over an existing file)",
      })
      .option("force", { type: "boolean", describe: "Replace the --out file if it exists" })
      .option("stdout", { type: "boolean", describe: "Print the workflow instead of writing it" })
      .options(labsDirOption)
      .example("labs ci github --all", "writes .github/workflows/labs-matrix.yml")
      .example("labs ci github --labs flannel-iptables,cilium-kpr", ""),
  run: ci,
});
