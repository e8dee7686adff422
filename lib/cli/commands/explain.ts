import { EXIT } from "../../model/errors.ts";
import { bold, dim, useColor } from "../../model/style.ts";
import { wholeNumber } from "../flags.ts";
import { labCommand, labSpec } from "../lab-command.ts";
import type { Io } from "../output.ts";

async function explain(args: { lab: string; width?: number; labsDir?: string }, io: Io): Promise<number> {
  // The drawing needs room for a node box and its labels; a 0 or NaN width drew nothing useful.
  const width = wholeNumber(args.width, "--width", { min: 40, max: 1000, unit: "columns" });
  const { sketchLab } = await import("../../guide/sketch.ts");
  const { pathModel } = await import("../../guide/paths.ts");
  const { renderTextArt } = await import("../../guide/text-art.ts");
  const { lab, plan } = sketchLab(await labSpec(args.lab, args.labsDir));
  const color = useColor();
  io.out(
    renderTextArt(pathModel(lab, plan), {
      width: width ?? process.stdout.columns ?? 100,
      bold: (t) => bold(t, color),
      dim: (t) => dim(t, color),
    }),
  );
  return EXIT.ok;
}

export const explainCommand = labCommand({
  command: "explain <lab>",
  describe: "Draw a lab's traffic paths in the terminal: where packets go and who rewrites them",
  options: { width: { type: "number", describe: "Columns to fit (default: the terminal's)" } },
  labsDir: true,
  examples: [["labs explain cilium-kpr", ""]],
  run: explain,
});
