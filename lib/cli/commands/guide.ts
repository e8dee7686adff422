import { writeFileSync } from "node:fs";
import { findLabs, loadCatalogue } from "../../catalogue.ts";
import { EXIT, LabError } from "../../model/errors.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import type { Io } from "../output.ts";
import { useColor, yellow } from "../style.ts";

interface GuideArgs {
  lab: string;
  out?: string;
  labsDir?: string;
}

async function guide(args: GuideArgs, io: Io): Promise<number> {
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
  if (!args.out) {
    io.out(text);
    return EXIT.ok;
  }
  try {
    writeFileSync(args.out, text);
  } catch (e) {
    throw new LabError(
      `cannot write ${args.out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      "choose a writable path with --out",
      EXIT.environment,
    );
  }
  io.out(`wrote ${args.out}`);
  return EXIT.ok;
}

export const guideCommand = defineCommand({
  command: "guide <lab>",
  describe: "Write a Markdown workshop handout: layers, a Mermaid diagram of the paths, probes, exercises",
  builder: (y) =>
    y
      .positional("lab", { type: "string", demandOption: true })
      .option("out", { type: "string", describe: "Write to this file instead of the terminal" })
      .options(labsDirOption)
      .example("labs guide flannel-iptables --out flannel.md", "a handout for a workshop"),
  run: guide,
});
