import type { LabSpec } from "../../model/lab-spec.ts";
import { table } from "../../model/style.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import type { Io } from "../output.ts";

/** One row of `labs list`: read straight from the specs, without loading any component. */
export function summarize(spec: LabSpec) {
  // Every lab maps echo's NodePort to the host; that is all a lab without these has.
  const ns = [
    spec.northSouth.ingress && `ingress:${spec.northSouth.ingress.name}`,
    spec.northSouth.gateway && `gateway:${spec.northSouth.gateway.name}`,
    spec.loadBalancer && `lb:${spec.loadBalancer.name}`,
  ]
    .filter(Boolean)
    .join(", ");
  return {
    name: spec.name,
    cni: spec.cni.name,
    kubeProxyMode: spec.kubeProxyMode,
    northSouth: ns || "nodeport only",
    nodes: `${spec.nodes.controlPlanes}+${spec.nodes.workers}`,
    description: spec.description,
  };
}

async function list(args: { json?: boolean; labsDir?: string }, io: Io): Promise<number> {
  const { loadCatalogue } = await import("../../catalogue.ts");
  const labs = (await loadCatalogue(args.labsDir)).map((e) => summarize(e.spec));
  if (args.json) {
    io.out(JSON.stringify(labs, null, 2));
    return 0;
  }
  io.out(
    table(
      ["NAME", "CNI", "PROXY", "NORTH-SOUTH", "NODES", "DESCRIPTION"],
      labs.map((l) => [l.name, l.cni, l.kubeProxyMode, l.northSouth, l.nodes, l.description]),
    ),
  );
  return 0;
}

export const listCommand = defineCommand({
  command: "list",
  describe: "List the labs in the catalogue",
  builder: (y) =>
    y
      .option("json", { type: "boolean", describe: "Print JSON" })
      .options(labsDirOption)
      .example("labs list", "name, CNI, proxy mode, north-south and description of every lab")
      .example("labs list --json", ""),
  run: list,
});
