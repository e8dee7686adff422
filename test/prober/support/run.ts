import type { EnginePlan, Probe } from "../../../lib/probes/prober/plan.ts";
import type { ProbeResult } from "../../../lib/probes/prober/result.ts";
import { type RunOptions, runPlanAll } from "../../../lib/probes/prober/runner.ts";

/** Runs one probe through the real runner, as the host does. */
export async function probeOnce(probe: Probe, options: RunOptions = {}): Promise<ProbeResult> {
  const [result] = await runPlanAll(plan(probe), { source: { name: "test" }, ...options });
  return result!;
}

export function plan(...probes: Probe[]): EnginePlan {
  return { version: 1, probes };
}
