import { EXIT } from "../../model/errors.ts";
import { defineCommand, labsOrAll } from "../command.ts";
import { pathFlag, wholeNumber } from "../flags.ts";
import { interruptible } from "../interruptible.ts";
import type { Io } from "../output.ts";
import { selectLabs } from "./select.ts";

interface CompareArgs {
  labs?: string[];
  all?: boolean;
  out: string;
  parallel?: number;
  keep?: boolean;
  force?: boolean;
  labsDir?: string;
}

async function compare(args: CompareArgs, io: Io): Promise<number> {
  const parallel = wholeNumber(args.parallel, "--parallel", { min: 1, max: 16, unit: "labs at once" });
  const { checkOutputDir } = await import("../../files/output.ts");
  // Checked before the first lab comes up, not after an hour of runs.
  const out = checkOutputDir(pathFlag(args.out, "--out")!, { marker: "results.json", force: args.force });
  const entries = await selectLabs(args);
  const { compareLabs } = await import("../../compare/compare-labs.ts");
  const steps = { stopping: "labs: stopping the comparison after the current step…" };
  return interruptible(io, steps, async (signal) => {
    const { results } = await compareLabs({
      specs: entries.map((e) => e.spec),
      out,
      parallel,
      keep: args.keep,
      signal,
      onLine: (l) => io.err(`labs: ${l}`),
    });
    const bad = results.labs.filter(
      (l) => l.status !== "ok" || (l.probes && l.probes.summary.fail + l.probes.summary.error > 0),
    );
    io.out(
      `${out}: report.html, report.md, junit.xml, results.json and logs/ for ${results.labs.length} labs`,
    );
    return bad.length ? EXIT.failed : EXIT.ok;
  });
}

export const compareCommand = defineCommand({
  command: "compare [labs..]",
  describe:
    "Bring labs up one after another, verify, sample performance, tear down; write one comparison report",
  builder: (y) =>
    labsOrAll(y)
      .option("out", { type: "string", default: "labs-compare", describe: "Run folder to write" })
      .option("parallel", { type: "number", describe: "Labs at once, when free memory allows (default 1)" })
      .option("keep", { type: "boolean", describe: "Leave the clusters running afterwards" })
      .option("force", { type: "boolean", describe: "Write into --out even if it holds an earlier run" })
      .example("labs compare flannel-iptables cilium-kpr", "same apps, same probes, one report")
      .example("labs compare --all --out runs/today", ""),
  run: compare,
});
