import { EXIT, LabError } from "../../model/errors.ts";
import { interruptible } from "../interruptible.ts";
import { labCommand } from "../lab-command.ts";
import type { Io } from "../output.ts";

type Args = { lab: string; fault?: string; mystery?: boolean; labsDir?: string };

async function runBreak(args: Args, io: Io): Promise<number> {
  if (args.fault && args.mystery) throw new LabError("name a fault or pass --mystery, not both");
  if (!args.fault && !args.mystery)
    throw new LabError(
      "name the fault to put in, or pass --mystery",
      `\`labs faults ${args.lab}\` lists them`,
    );
  const { faultsOfLab } = await import("./faults.ts");
  const { breakLab } = await import("../../runtime/faults.ts");
  const { countsText } = await import("../../faults/render.ts");
  const { list } = await faultsOfLab(args.lab, args.labsDir);
  const undo = `\`labs fix ${args.lab}\` undoes what was done`;
  const steps = {
    stopping: `labs: stopping; ${undo}`,
    interrupted: `labs: break of ${args.lab} was interrupted; ${undo}`,
  };
  return interruptible(io, steps, async (signal) => {
    const outcome = await breakLab({
      lab: list.lab,
      faults: list,
      ...(args.fault ? { fault: args.fault } : {}),
      mystery: Boolean(args.mystery),
      signal,
      // A mystery stays one: its steps would give it away.
      ...(args.mystery ? {} : { onStep: (s) => io.err(`labs: ${s.does}`) }),
    });
    const f = outcome.fault;
    if (outcome.mystery) {
      io.out(
        `${list.lab} is broken by a mystery fault (one of ${list.faults.length}). Find it: \`labs verify ${list.lab}\` says where the probes point; then look on the nodes and in the cluster. \`labs fix ${list.lab} --reveal\` undoes it and tells you which it was.`,
      );
    } else {
      io.out(`${list.lab} is broken: ${f.title}.`);
      io.out(`  what it does: ${f.does}`);
      io.out(`  the probes: ${countsText(f)}`);
      io.out(`  try: \`labs verify ${list.lab}\`. ${f.observe}`);
      io.out(`  undo: \`labs fix ${list.lab}\` (${f.undo})`);
    }
    return EXIT.ok;
  });
}

export const breakCommand = labCommand({
  command: "break <lab> [fault]",
  describe: "Put one fault into a running lab (a break-fix exercise); `labs fix` undoes it",
  positionals: { fault: { type: "string", describe: "A fault id from `labs faults <lab>`" } },
  options: {
    mystery: {
      type: "boolean",
      describe: "Pick a fault at random and keep it hidden until `labs fix --reveal`",
    },
  },
  labsDir: true,
  examples: [
    ["labs break kindnet-iptables kube-proxy-rules-flushed", "then `labs verify kindnet-iptables`"],
    ["labs break flannel-iptables --mystery", "a workshop exercise: find it with the probes"],
  ],
  run: runBreak,
});
