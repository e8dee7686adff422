import { loadCatalogue } from "../../catalogue.ts";
import { checkOutputFile } from "../../files/output.ts";
import { pathFlag } from "../flags.ts";
import { labCommand, labSpec, noteIncomplete } from "../lab-command.ts";
import { type Io, printOrWrite } from "../output.ts";

interface GuideArgs {
  lab: string;
  out?: string;
  force?: boolean;
  labsDir?: string;
}

async function guide(args: GuideArgs, io: Io): Promise<number> {
  const out = pathFlag(args.out, "--out");
  const target = out && checkOutputFile(out, { force: args.force });
  const spec = await labSpec(args.lab, args.labsDir);
  const { sketchLab } = await import("../../guide/sketch.ts");
  const { renderGuide } = await import("../../guide/handout.ts");
  const { siblingsOf } = await import("../../guide/exercises.ts");
  const sketch = sketchLab(spec);
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
  noteIncomplete(io, args.lab, sketch.incomplete, { how: "written", what: "guide" });
  return printOrWrite(io, text, target || undefined, { force: args.force, wrote: `wrote ${out}` });
}

export const guideCommand = labCommand({
  command: "guide <lab>",
  describe: "Write a Markdown workshop handout: layers, a Mermaid diagram of the paths, probes, exercises",
  options: {
    out: {
      type: "string",
      describe: "Write to this file instead of the terminal (never over an existing one)",
    },
    force: { type: "boolean", describe: "Replace the --out file if it exists" },
  },
  labsDir: true,
  examples: [["labs guide flannel-iptables --out flannel.md", "a handout for a workshop"]],
  run: guide,
});
