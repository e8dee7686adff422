import { labsDir } from "../../catalogue.ts";
import { EXIT } from "../../model/errors.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import { wholeNumber } from "../flags.ts";
import type { Io } from "../output.ts";

interface NewArgs {
  name: string;
  cni: string;
  cniOption?: string[];
  proxy: string;
  northSouth?: string[];
  apps?: string[];
  workers?: number;
  description?: string;
  labsDir?: string;
}

async function newLab(args: NewArgs, io: Io): Promise<number> {
  // The same bounds as the LabSpec's nodes.workers, said in terms of the flag.
  const workers = wholeNumber(args.workers, "--workers", { min: 0, max: 9, unit: "worker nodes" });
  const { parseOptionPairs, writeNewLab } = await import("../../guide/new-lab.ts");
  const { file } = await writeNewLab(
    {
      name: args.name,
      cni: args.cni,
      cniOptions: parseOptionPairs(args.cniOption ?? [], "--cni-option"),
      proxy: args.proxy,
      northSouth: args.northSouth,
      apps: args.apps?.flatMap((a) => a.split(",")).filter(Boolean),
      workers,
      description: args.description,
    },
    labsDir(args.labsDir),
  );
  io.out(`wrote ${file}\nnext: labs show ${args.name} · labs probes ${args.name} · labs up ${args.name}`);
  return EXIT.ok;
}

export const newCommand = defineCommand({
  command: "new <name>",
  describe: "Write a new lab file from the template, checked before it is written (never overwrites)",
  builder: (y) =>
    y
      .positional("name", {
        type: "string",
        demandOption: true,
        describe: "Lab name: lowercase, digits and '-'",
      })
      .option("cni", {
        type: "string",
        default: "kindnet",
        describe: "CNI: kindnet, flannel, calico, cilium",
      })
      .option("cni-option", {
        type: "string",
        array: true,
        describe: "A CNI option as key=value, e.g. backend=host-gw (repeatable)",
      })
      .option("proxy", {
        type: "string",
        default: "iptables",
        describe: "kube-proxy mode: iptables, ipvs, nftables, none",
      })
      .option("north-south", {
        type: "string",
        array: true,
        describe: "ingress=NAME, gateway=NAME, lb=NAME (comma-separated or repeated), or none",
      })
      .option("apps", { type: "string", array: true, describe: "Apps (default: echo)" })
      .option("workers", { type: "number", describe: "Worker nodes (default 2)" })
      .option("description", { type: "string", describe: "One sentence: what the lab shows" })
      .options(labsDirOption)
      .example("labs new calico-ipvs --cni calico --proxy ipvs", "")
      .example(
        "labs new flannel-hostgw --cni flannel --cni-option backend=host-gw --north-south ingress=ingress-nginx,lb=metallb",
        "",
      ),
  run: newLab,
});
