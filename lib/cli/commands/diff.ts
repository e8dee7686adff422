import { findLabs } from "../../catalogue.ts";
import { EXIT, LabError } from "../../model/errors.ts";
import type { LabSpec } from "../../model/lab-spec.ts";
import { useColor } from "../../model/style.ts";
import { type ArtifactFlags, artifactOptions, prepareArtifacts } from "../artifacts.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import { type Io, printJsonOrText } from "../output.ts";

interface DiffArgs extends ArtifactFlags {
  labA: string;
  labB: string;
  json?: boolean;
  labsDir?: string;
}

async function diff(args: DiffArgs, io: Io): Promise<number> {
  if (args.labA === args.labB)
    throw new LabError(`both sides are ${args.labA}: nothing to compare`, "name two different labs");
  const [a, b] = await findLabs([args.labA, args.labB], args.labsDir);
  const { synthLab } = await import("../../synth/synth.ts");
  const { diffLabs } = await import("../../diff/lab-diff.ts");
  const synth = async (spec: LabSpec) => {
    const prepared = await prepareArtifacts(spec, args, io);
    return synthLab(spec, {
      readArtifact: prepared.readArtifact,
      readRenderedChart: prepared.readRenderedChart,
    });
  };
  await printJsonOrText(io, args.json, diffLabs(await synth(a!.spec), await synth(b!.spec)), async (d) => {
    const { renderDiffText } = await import("../../diff/render-diff.ts");
    return renderDiffText(d, { color: useColor() });
  });
  return EXIT.ok;
}

export const diffCommand = defineCommand({
  command: "diff <labA> <labB>",
  describe:
    "What changes from one lab to another: spec, capabilities, objects (field by field), images, expected probe outcomes",
  builder: (y) =>
    artifactOptions(
      y
        .positional("labA", { type: "string", demandOption: true, describe: "The lab to compare from" })
        .positional("labB", { type: "string", demandOption: true, describe: "The lab to compare to" })
        .option("json", { type: "boolean", describe: "Print the diff as JSON" })
        .options(labsDirOption),
    )
      .example("labs diff kindnet-iptables kindnet-nftables", "what changes with the proxy mode")
      .example("labs diff flannel-iptables cilium-kpr", "a new CNI and no kube-proxy"),
  run: diff,
});
