import type { LabFaultList } from "../../faults/catalogue.ts";
import { useColor, yellow } from "../../model/style.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import type { Io } from "../output.ts";

/**
 * A lab's faults, from its spec and its probe plan: the plan its running cluster was built from
 * when there is one (its checks are the ones `labs verify` runs), else the plan synth would write.
 */
export async function faultsOfLab(
  name: string,
  labsDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ list: LabFaultList; incomplete: { component: string; why: string }[]; kubeconfig: string }> {
  const { findLabs } = await import("../../catalogue.ts");
  const { sketchLab } = await import("../../guide/sketch.ts");
  const { labFaults } = await import("../../faults/catalogue.ts");
  const { LabState, stateRoot } = await import("../../runtime/state.ts");
  const [entry] = await findLabs([name], labsDir);
  const sketch = sketchLab(entry!.spec);
  const state = new LabState(stateRoot(env), entry!.spec.name);
  const running = state.readProbesPlan();
  const plan = running?.version === sketch.plan.version ? running : sketch.plan;
  return {
    list: labFaults(sketch.lab, plan, sketch.probeLab),
    incomplete: sketch.incomplete,
    kubeconfig: state.kubeconfig,
  };
}

async function faults(args: { lab: string; json?: boolean; labsDir?: string }, io: Io): Promise<number> {
  const { list, incomplete, kubeconfig } = await faultsOfLab(args.lab, args.labsDir);
  const { renderFaultsConsole, renderFaultsJson } = await import("../../faults/render.ts");
  const { labKubectl } = await import("../../guide/kubectl.ts");
  const { homedir } = await import("node:os");
  const kubectl = labKubectl(kubeconfig, process.env.HOME ?? homedir());
  io.out(args.json ? renderFaultsJson(list, kubectl) : renderFaultsConsole(list, kubectl));
  for (const i of incomplete)
    io.err(
      `${yellow("labs: note:", useColor(process.stderr))} planned without ${i.component}'s objects (${i.why}); \`labs prefetch ${args.lab}\` gives the full list`,
    );
  return 0;
}

export const faultsCommand = defineCommand({
  command: "faults <lab>",
  describe: "List the faults `labs break` can put into a lab, by layer, each with what the probes will show",
  builder: (y) =>
    y
      .positional("lab", { type: "string", demandOption: true })
      .option("json", {
        type: "boolean",
        describe:
          "Print JSON: each fault's commands and signature, and the faults this lab cannot have, with the reason",
      })
      .options(labsDirOption)
      .example("labs faults kindnet-iptables", "what can be broken, and which probes will notice")
      .example("labs faults cilium-kpr --json", "also why there is no kube-proxy fault"),
  run: faults,
});
