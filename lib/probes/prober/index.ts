/** The prober as a library, run in-process on the host (the probe pods run its bundle: stage/prober-bundle.ts). */
export type { RunOptions } from "./runner.ts";
export { runPlan, runPlanAll, runProbe } from "./runner.ts";
