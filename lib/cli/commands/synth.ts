import { join, relative, resolve } from "node:path";
import { EXIT } from "../../model/errors.ts";
import { type ArtifactFlags, artifactOptions } from "../artifacts.ts";
import { defineCommand, labsOrAll } from "../command.ts";
import { pathFlag } from "../flags.ts";
import type { Io } from "../output.ts";
import { selectLabs } from "./select.ts";

async function synth(
  args: ArtifactFlags & { labs?: string[]; all?: boolean; out: string; labsDir?: string },
  io: Io,
): Promise<number> {
  const out = resolve(pathFlag(args.out, "--out")!);
  const entries = await selectLabs(args);
  const { synthLab, writeSynth } = await import("../../synth/synth.ts");
  const { prepareArtifacts } = await import("../artifacts.ts");
  for (const { spec } of entries) {
    const { readArtifact, readRenderedChart, recorded } = await prepareArtifacts(spec, args, io);
    const result = await synthLab(spec, { readArtifact, readRenderedChart, recorded });
    const dir = join(out, spec.name);
    writeSynth(result, dir);
    const warnings = result.issues.filter((i) => i.level === "warning").length;
    io.out(
      `${spec.name}: ${result.files.size} files in ${dir.startsWith(process.cwd()) ? relative(process.cwd(), dir) : dir}${warnings ? ` (${warnings} warnings: labs lint ${spec.name})` : ""}`,
    );
  }
  return EXIT.ok;
}

export const synthCommand = defineCommand({
  command: "synth [labs..]",
  describe: "Write kind.yaml, one manifest per stage, lab.json and lab.lock.json",
  builder: (y) =>
    artifactOptions(labsOrAll(y))
      .option("out", {
        type: "string",
        default: "dist",
        describe: "Output directory; each lab gets <out>/<lab>/",
      })
      .example("labs synth kindnet-iptables", "writes dist/kindnet-iptables/")
      .example("labs synth --all --out /tmp/labs", ""),
  run: synth,
});
