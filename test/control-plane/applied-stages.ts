/**
 * Where the runtime applies a lab's stage files from, as `labs up` prepares them.
 *
 * Issue #10 (branch i10, not yet on main when this was written) adds cluster variables: after
 * `kind create cluster`, `labs up` reads values only the cluster knows (the API server's address
 * for calico-ebpf) and writes filled-in copies of the stage files into the state folder's
 * `applied/`, then applies from there (lib/runtime/cluster-variables.ts, `stageDir` in
 * StageOptions). Before that change the stages are applied from `synth/` (`synthDir`). This module
 * does what `labs up` does on either side of the change, through the runtime's own functions when
 * they exist, so the harness runs before and after #10 is merged.
 * TODO: once #10 is on main, import resolveClusterVariables and writeAppliedStages statically
 * and drop the fallback.
 */
import type { Kubectl } from "../../lib/runtime/kubectl.ts";
import type { LabJson, LabState } from "../../lib/runtime/state.ts";

interface ClusterVariablesModule {
  resolveClusterVariables(kubectl: Kubectl, variables: unknown[]): Promise<Record<string, string>>;
  writeAppliedStages(
    synthDir: string,
    appliedDir: string,
    stages: LabJson["stages"],
    variables: unknown[],
    values: Record<string, string>,
  ): void;
}

/** Not a literal, so the type checker does not require the module before #10 adds it. */
const CLUSTER_VARIABLES = "../../lib/runtime/cluster-variables.ts";

/**
 * Fills the lab's cluster variables and writes the stage files as `labs up` applies them;
 * returns the folder to apply from and the values filled in.
 */
export async function prepareAppliedStages(
  kubectl: Kubectl,
  state: LabState,
  labJson: LabJson,
): Promise<{ dir: string; values: Record<string, string> }> {
  const runtime = (await import(/* @vite-ignore */ CLUSTER_VARIABLES).catch(() => undefined)) as
    | ClusterVariablesModule
    | undefined;
  const appliedDir = (state as LabState & { appliedDir?: string }).appliedDir;
  if (!runtime || !appliedDir) return { dir: state.synthDir, values: {} };
  const variables = (labJson as LabJson & { clusterVariables?: unknown[] }).clusterVariables ?? [];
  const values = variables.length ? await runtime.resolveClusterVariables(kubectl, variables) : {};
  runtime.writeAppliedStages(state.synthDir, appliedDir, labJson.stages, variables, values);
  return { dir: appliedDir, values };
}

/** The stage options naming that folder under both the old (`synthDir`) and new (`stageDir`) name. */
export function stageDirOptions(dir: string): { synthDir: string; stageDir: string } {
  return { synthDir: dir, stageDir: dir };
}
