import { findLabs } from "../../catalogue.ts";
import type { ArtifactReader } from "../../components/component.ts";
import type { LabSpec } from "../../model/lab-spec.ts";
import { useColor, yellow } from "../../model/style.ts";
import type { ProbesPlan } from "../../probes/probes-plan.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import type { Io } from "../output.ts";

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
  const [entry] = await findLabs([args.lab], args.labsDir);
  const { plan, incomplete } = await sketchPlan(entry!.spec);
  if (args.json) {
    io.out(JSON.stringify(plan, null, 2));
  } else {
    const { renderPlanConsole } = await import("../../probes/verdicts/outputs/console.ts");
    io.out(renderPlanConsole(plan, { color: useColor() }));
  }
  for (const i of incomplete) {
    io.err(
      `${yellow("labs: note:", useColor(process.stderr))} planned without ${i.component}'s objects (${i.why}); \`labs prefetch ${plan.lab}\` gives the full plan`,
    );
  }
  return 0;
}

export const probesCommand = defineCommand({
  command: "probes <lab>",
  describe: "Print a lab's probe plan: every check, what it expects and why (no cluster needed)",
  builder: (y) =>
    y
      .positional("lab", { type: "string", demandOption: true })
      .option("json", { type: "boolean", describe: "Print the plan as JSON (probes.plan.json)" })
      .options(labsDirOption)
      .example(
        "labs probes flannel-iptables",
        "what will be checked, and why NetworkPolicy probes expect 'allowed'",
      ),
  run: probes,
});
