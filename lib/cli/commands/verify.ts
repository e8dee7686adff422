import { writeFileSync } from "node:fs";
import { writeError } from "../../files/output.ts";
import { EXIT } from "../../model/errors.ts";
import { useColor } from "../../model/style.ts";
import { pathFlag } from "../flags.ts";
import { interruptible } from "../interruptible.ts";
import { labCommand } from "../lab-command.ts";
import type { Io } from "../output.ts";

/** The report files are verify's own output, rewritten on every run (like `--md report.md` in the README). */
function writeReport(path: string, text: string, flag: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw writeError(path, e, flag);
  }
}

type Args = { lab: string; json?: boolean; junit?: string; md?: string };

async function runVerify(args: Args, io: Io): Promise<number> {
  const junit = pathFlag(args.junit, "--junit");
  const md = pathFlag(args.md, "--md");
  const { verifyLab } = await import("../../runtime/verify.ts");
  const steps = {
    stopping: `labs: stopping the probes of ${args.lab}…`,
    interrupted: `labs: verify of ${args.lab} was interrupted; run \`labs verify ${args.lab}\` again`,
  };
  return interruptible(io, steps, async (signal) => {
    const outcome = await verifyLab({ lab: args.lab, signal });
    const { report } = outcome;
    if (junit) {
      const { renderJunit } = await import("../../probes/verdicts/outputs/junit.ts");
      writeReport(junit, renderJunit(report), "--junit");
    }
    if (md) {
      const { renderMarkdown } = await import("../../probes/verdicts/outputs/markdown.ts");
      writeReport(md, renderMarkdown(report), "--md");
    }
    if (args.json) {
      const { renderJson } = await import("../../probes/verdicts/outputs/json.ts");
      io.out(renderJson(report));
      if (outcome.fault) io.err(`labs: broken on purpose: ${outcome.fault.summary}`);
    } else {
      const { renderReportConsole } = await import("../../probes/verdicts/outputs/console.ts");
      io.out(renderReportConsole(report, { color: useColor() }));
      io.out(`report: ${outcome.file}`);
      if (outcome.fault) {
        io.out(`broken on purpose: ${outcome.fault.summary}`);
        for (const s of outcome.fault.surprises.slice(0, 8))
          io.out(
            `  ${s.id}: ${s.verdict === "pass" ? "passed" : s.verdict}, but the fault ${s.expected === "passes" ? "leaves it alone" : "breaks it"}${s.why ? ` (${s.why})` : ""}`,
          );
      }
    }
    return outcome.passed ? EXIT.ok : EXIT.failed;
  });
}

export const verifyCommand = labCommand({
  command: "verify <lab>",
  describe: "Run the lab's probes on its running cluster; exit 0 only when every probe passes",
  options: {
    json: { type: "boolean", describe: "Print the probe report as JSON (versioned schema)" },
    junit: { type: "string", describe: "Also write JUnit XML to FILE (one testcase per probe)" },
    md: { type: "string", describe: "Also write a Markdown report to FILE" },
  },
  examples: [
    ["labs verify kindnet-iptables", "console table grouped by layer"],
    ["labs verify kindnet-iptables --junit probes.xml", "for CI"],
  ],
  run: runVerify,
});
