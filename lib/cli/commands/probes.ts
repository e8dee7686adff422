import type { ArtifactReader } from "../../components/component.ts";
import type { LabSpec } from "../../model/lab-spec.ts";
import { useColor } from "../../model/style.ts";
import type { ProbesPlan } from "../../probes/probes-plan.ts";
import { labCommand, labSpec, noteIncomplete } from "../lab-command.ts";
import { type Io, printJsonOrText } from "../output.ts";

export interface SketchedPlan {
  plan: ProbesPlan;
  /** Components whose build needed upstream files that were not at hand; their objects are missing. */
  incomplete: { component: string; why: string }[];
}

/**
 * The probe plan of a lab without a cluster, and without requiring its upstream files (see
 * lib/guide/sketch.ts, which `labs guide` and `labs explain` use too).
 */
export async function sketchPlan(spec: LabSpec, readArtifact?: ArtifactReader): Promise<SketchedPlan> {
  const { sketchLab } = await import("../../guide/sketch.ts");
  const { plan, incomplete } = sketchLab(spec, readArtifact);
  return { plan, incomplete };
}

async function probes(args: { lab: string; json?: boolean; labsDir?: string }, io: Io): Promise<number> {
  const { plan, incomplete } = await sketchPlan(await labSpec(args.lab, args.labsDir));
  await printJsonOrText(io, args.json, plan, async (p) => {
    const { renderPlanConsole } = await import("../../probes/verdicts/outputs/console.ts");
    return renderPlanConsole(p, { color: useColor() });
  });
  noteIncomplete(io, plan.lab, incomplete, { how: "planned", what: "plan" });
  return 0;
}

export const probesCommand = labCommand({
  command: "probes <lab>",
  describe: "Print a lab's probe plan: every check, what it expects and why (no cluster needed)",
  options: { json: { type: "boolean", describe: "Print the plan as JSON (probes.plan.json)" } },
  labsDir: true,
  examples: [
    ["labs probes flannel-iptables", "what will be checked, and why NetworkPolicy probes expect 'allowed'"],
  ],
  run: probes,
});
