import { EXIT, LabError } from "../../model/errors.ts";
import { defineCommand } from "../command.ts";
import { type Io, reportError } from "../output.ts";

type Args = { labs?: string[]; all?: boolean };

async function runDown(args: Args, io: Io): Promise<number> {
  const { down, labClusters } = await import("../../runtime/down.ts");
  const names = [...new Set(args.labs ?? [])];
  if (args.all && names.length) throw new LabError("give lab names or --all, not both");
  if (!args.all && !names.length)
    throw new LabError("name a lab, or pass --all", "`labs status` lists the running labs");
  let labs = names;
  if (args.all) {
    const found = await labClusters();
    for (const c of found.foreign) io.err(`labs: leaving ${c} alone: labs did not create it`);
    labs = found.labs;
    if (!labs.length) io.out("no labs are running");
  }
  let code: number = EXIT.ok;
  for (const lab of labs) {
    try {
      const r = await down(lab);
      const side = r.sideContainers.length ? ` and ${r.sideContainers.join(", ")}` : "";
      for (const k of r.sharedKept ?? [])
        io.out(
          `${lab}: left ${k.name} running: ${k.users.join(", ")} still use${k.users.length === 1 ? "s" : ""} it`,
        );
      io.out(
        r.action === "deleted"
          ? `${lab}: deleted ${r.cluster}${side}`
          : `${lab}: no cluster was running; state cleaned up${side}`,
      );
    } catch (e) {
      const c = reportError(e, io);
      if (code === EXIT.ok) code = c;
    }
  }
  return code;
}

export const downCommand = defineCommand({
  command: "down [labs..]",
  describe: "Delete lab clusters that labs created (and their side containers); keeps the cache",
  builder: (y) =>
    y
      .positional("labs", { type: "string", array: true, describe: "Lab names" })
      .option("all", { type: "boolean", describe: "Every running lab labs created" })
      .example("labs down kindnet-iptables", "")
      .example("labs down --all", "never touches clusters labs did not create"),
  run: runDown,
});
