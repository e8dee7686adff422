import { totalmem } from "node:os";
import { EXIT, LabError } from "../../model/errors.ts";
import { nodeMemoryFindings } from "../../model/node-memory.ts";
import { type ArtifactFlags, artifactOptions } from "../artifacts.ts";
import { defineCommand, labsOrAll } from "../command.ts";
import { forLab, type Io, reportError } from "../output.ts";
import { selectLabs } from "./select.ts";

async function lint(
  args: ArtifactFlags & { labs?: string[]; all?: boolean; labsDir?: string; notes?: boolean },
  io: Io,
): Promise<number> {
  const entries = await selectLabs(args);
  const { synthLab } = await import("../../synth/synth.ts");
  const { formatIssue } = await import("../../validate/issue.ts");
  const { prepareArtifacts } = await import("../artifacts.ts");
  let failed = false;
  let environment: number | undefined;
  for (const { spec } of entries) {
    let prepared: Awaited<ReturnType<typeof prepareArtifacts>>;
    try {
      prepared = await prepareArtifacts(spec, args, io);
    } catch (e) {
      // A lab whose upstream files or helm are missing must not hide the others' results (as
      // prefetch --all carries on): say why, lint the rest, and exit with the worst code.
      if (!(e instanceof LabError) || entries.length === 1) throw e;
      const code = reportError(forLab(spec.name, e), io);
      environment = Math.max(environment ?? 0, code);
      continue;
    }
    const { readArtifact, readRenderedChart, recorded } = prepared;
    const result = await synthLab(spec, { readArtifact, readRenderedChart, recorded, allowErrors: true });
    const shown = result.issues.filter((i) => args.notes || i.level !== "note");
    for (const i of shown) io.out(`${spec.name}: ${formatIssue(i)}`);
    const count = (level: string) => result.issues.filter((i) => i.level === level).length;
    const errors = count("error");
    failed ||= errors > 0;
    const findings = [...result.lab.findings, ...nodeMemoryFindings(spec.nodes, totalmem())];
    for (const f of findings) io.out(`${spec.name}: warning: [spec] ${f.path}: ${f.message}`);
    io.out(
      `${spec.name}: ${result.objects.length} objects, ${result.schema.checked} schema-checked, ${result.schema.notChecked.length} kinds not schema-checked; ${errors} errors, ${count("warning") + findings.length} warnings`,
    );
  }
  if (environment !== undefined) return environment;
  return failed ? EXIT.failed : EXIT.ok;
}

export const lintCommand = defineCommand({
  command: "lint [labs..]",
  describe: "Synthesize, validate every object against its schema, and check cross-references",
  builder: (y) =>
    artifactOptions(labsOrAll(y))
      .option("notes", { type: "boolean", describe: "Also list kinds that are not schema-checked" })
      .example("labs lint kindnet-nftables", "exit code 1 when any object is invalid")
      .example("labs lint --all", ""),
  run: lint,
});
