import { findLabs, loadCatalogue } from "../../catalogue.ts";
import { checkOutputFile, writeUserFile } from "../../files/output.ts";
import { EXIT } from "../../model/errors.ts";
import { useColor, yellow } from "../../model/style.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import { pathFlag } from "../flags.ts";
import type { Io } from "../output.ts";

interface GuideArgs {
  lab: string;
  out?: string;
  force?: boolean;
  labsDir?: string;
}

async function guide(args: GuideArgs, io: Io): Promise<number> {
  const out = pathFlag(args.out, "--out");
  const target = out && checkOutputFile(out, { force: args.force });
  const [entry] = await findLabs([args.lab], args.labsDir);
  const { sketchLab } = await import("../../guide/sketch.ts");
  const { renderGuide } = await import("../../guide/handout.ts");
  const { siblingsOf } = await import("../../guide/exercises.ts");
  const sketch = sketchLab(entry!.spec);
  const catalogue = (await loadCatalogue(args.labsDir)).map((e) => ({
    name: e.spec.name,
    cni: e.spec.cni.name,
    proxy: e.spec.kubeProxyMode,
  }));
  // The kubeconfig `labs up` writes for this lab on this machine (its state folder).
  const { LabState, stateRoot } = await import("../../runtime/state.ts");
  const { homedir } = await import("node:os");
  const text = renderGuide({
    ...sketch,
    siblings: siblingsOf(sketch.lab, catalogue),
    kubeconfig: new LabState(stateRoot(process.env), sketch.lab.spec.name).kubeconfig,
    home: process.env.HOME ?? homedir(),
  });
  for (const i of sketch.incomplete)
    io.err(
      `${yellow("labs: note:", useColor(process.stderr))} written without ${i.component}'s objects (${i.why}); \`labs prefetch ${args.lab}\` gives the full guide`,
    );
  if (!target) {
    io.out(text);
    return EXIT.ok;
  }
  writeUserFile(target, text, { force: args.force });
  io.out(`wrote ${out}`);
  return EXIT.ok;
}

export const guideCommand = defineCommand({
  command: "guide <lab>",
  describe: "Write a Markdown workshop handout: layers, a Mermaid diagram of the paths, probes, exercises",
  builder: (y) =>
    y
      .positional("lab", { type: "string", demandOption: true })
      .option("out", {
        type: "string",
        describe: "Write to this file instead of the terminal (never over an existing one)",
      })
      .option("force", { type: "boolean", describe: "Replace the --out file if it exists" })
      .options(labsDirOption)
      .example("labs guide flannel-iptables --out flannel.md", "a handout for a workshop"),
  run: guide,
});
