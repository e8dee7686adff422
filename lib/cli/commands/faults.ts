import type { LabFaultList } from "../../faults/catalogue.ts";
import { labCommand, labSpec, noteIncomplete } from "../lab-command.ts";
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
  const { sketchLab } = await import("../../guide/sketch.ts");
  const { labFaults } = await import("../../faults/catalogue.ts");
  const { LabState, stateRoot } = await import("../../runtime/state.ts");
  const spec = await labSpec(name, labsDir);
  const sketch = sketchLab(spec);
  const state = new LabState(stateRoot(env), spec.name);
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
  noteIncomplete(io, args.lab, incomplete, { how: "planned", what: "list" });
  return 0;
}

export const faultsCommand = labCommand({
  command: "faults <lab>",
  describe: "List the faults `labs break` can put into a lab, by layer, each with what the probes will show",
  options: {
    json: {
      type: "boolean",
      describe:
        "Print JSON: each fault's commands and signature, and the faults this lab cannot have, with the reason",
    },
  },
  labsDir: true,
  examples: [
    ["labs faults kindnet-iptables", "what can be broken, and which probes will notice"],
    ["labs faults cilium-kpr --json", "also why there is no kube-proxy fault"],
  ],
  run: faults,
});
