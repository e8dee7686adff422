/**
 * Cluster variables (ClusterVariable in lib/components/component.ts): values only the running
 * cluster knows, written `${NAME}` in the synthesized stage files. After `kind create cluster`
 * the runtime reads them and writes concrete copies of the stage files into the lab's state
 * folder; the stages are applied from there. The synthesized files are never changed (the lock
 * hashes them).
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import type { ClusterVariable } from "../components/component.ts";
import { placeholder } from "../components/host-paths.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { StagePlan } from "../model/lab-json.ts";
import type { Kubectl, KubeList } from "./kubectl.ts";

interface EndpointSliceJson {
  addressType?: string;
  endpoints?: { addresses?: string[] }[];
}

/**
 * The API server's advertised IP: the `kubernetes` EndpointSlice in `default` lists the address
 * every API server advertises (on kind, the control plane's IP on the `kind` network). It is the
 * same source Calico's own BPF bootstrap reads (tigera/operator pkg/controller/utils/bpf.go).
 */
export async function apiServerAddress(kubectl: Kubectl): Promise<string> {
  const list = await kubectl.getJson<KubeList<EndpointSliceJson>>(
    ["endpointslices", "--namespace", "default", "--selector=kubernetes.io/service-name=kubernetes"],
    60_000,
  );
  const addresses = (list?.items ?? [])
    .filter((s) => !s.addressType || s.addressType === "IPv4")
    .flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses ?? []))
    .filter((a) => isIP(a) === 4);
  if (!addresses.length) {
    throw new LabError(
      "could not read the API server's address from the kubernetes EndpointSlice in namespace default",
      "check that the cluster's API server answers (`kubectl get endpointslices -n default` with the lab's kubeconfig), then run `labs up` again",
      EXIT.failed,
    );
  }
  return addresses[0]!;
}

/** Reads every variable from the running cluster. */
export async function resolveClusterVariables(
  kubectl: Kubectl,
  variables: readonly ClusterVariable[],
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const v of variables) {
    if (v.source === "api-server-address") values[v.name] = await apiServerAddress(kubectl);
  }
  return values;
}

/** `text` with every `${NAME}` of `values` replaced. */
export function fillVariables(text: string, values: Record<string, string>): string {
  let out = text;
  for (const [name, value] of Object.entries(values)) out = out.split(placeholder(name)).join(value);
  return out;
}

/**
 * Writes the stage files as they are applied into `appliedDir`: each synthesized file with the
 * variables filled in. A declared variable left unfilled is a bug, named clearly.
 */
export function writeAppliedStages(
  synthDir: string,
  appliedDir: string,
  stages: readonly StagePlan[],
  variables: readonly ClusterVariable[],
  values: Record<string, string>,
): void {
  rmSync(appliedDir, { recursive: true, force: true });
  mkdirSync(appliedDir, { recursive: true });
  for (const stage of stages) {
    const from = join(synthDir, stage.file);
    const to = join(appliedDir, stage.file);
    if (!variables.length) {
      copyFileSync(from, to);
      continue;
    }
    const filled = fillVariables(readFileSync(from, "utf8"), values);
    const left = variables.find((v) => filled.includes(placeholder(v.name)));
    if (left)
      throw new LabError(
        `stage ${stage.name}: cluster variable ${left.name} has no value`,
        "synthesize the lab again (`labs up` does) and retry",
        EXIT.failed,
      );
    writeFileSync(to, filled);
  }
}
