import { EXIT } from "../../model/errors.ts";
import { interruptible } from "../interruptible.ts";
import { labCommand } from "../lab-command.ts";
import type { Io } from "../output.ts";

type Args = { lab: string; reveal?: boolean };

/** After 5 minutes NotReady (the default tolerations' 300 s) Kubernetes evicts a node's pods. */
const EVICTION_SECONDS = 300;

async function runFix(args: Args, io: Io): Promise<number> {
  const { fixLab } = await import("../../runtime/faults.ts");
  const steps = {
    stopping: `labs: stopping; run \`labs fix ${args.lab}\` again to finish`,
    interrupted: `labs: fix of ${args.lab} was interrupted; run \`labs fix ${args.lab}\` again`,
  };
  return interruptible(io, steps, async (signal) => {
    const r = await fixLab({
      lab: args.lab,
      reveal: Boolean(args.reveal),
      signal,
      onStep: (s) => io.err(`labs: ${s.does}`),
    });
    if (r.action === "nothing") {
      io.out(`${args.lab} is not broken: nothing to fix`);
      if (r.last)
        io.out(
          `the last fault fixed (${r.last.fixedAt}) was \`${r.last.id}\`: ${r.last.title}. What it did: ${r.last.does}`,
        );
      return EXIT.ok;
    }
    const f = r.fault!;
    if (f.mystery && !args.reveal) {
      io.out(
        `${args.lab} is fixed. The fault stays a mystery: \`labs fix ${args.lab} --reveal\` tells which it was.`,
      );
    } else {
      io.out(`${args.lab} is fixed: \`${f.id}\` (${f.title}) is undone (${f.undo}).`);
      if (f.mystery) io.out(`What it did: ${f.does}. ${f.observe}`);
    }
    if (f.layer === "node" && (r.brokenSeconds ?? 0) > EVICTION_SECONDS)
      io.out(
        `The node was out for more than 5 minutes: Kubernetes may have evicted its pods. \`labs up ${args.lab}\` recreates the probe pods; then \`labs verify ${args.lab}\`.`,
      );
    else io.out(`\`labs verify ${args.lab}\` should pass again.`);
    return EXIT.ok;
  });
}

export const fixCommand = labCommand({
  command: "fix <lab>",
  describe: "Undo the fault `labs break` put into a lab (safe to run twice, or after Ctrl-C during break)",
  options: {
    reveal: { type: "boolean", describe: "Also say which fault it was (for `labs break --mystery`)" },
  },
  examples: [
    ["labs fix kindnet-iptables", ""],
    ["labs fix flannel-iptables --reveal", "undo a mystery fault and name it"],
  ],
  run: runFix,
});
