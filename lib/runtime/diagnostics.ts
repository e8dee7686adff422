/**
 * The diagnostics bundle written when `labs up` fails: what failed, nodes, pods and events,
 * describe and logs of every pod that is not ready, the CNI's pod logs, and `kind export logs`.
 * Every part is best effort: a part that cannot be collected is noted in `errors.txt` and the
 * rest is still written. The cluster is left running for inspection.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabJson } from "../model/lab-json.ts";
import { exportLogs } from "./kind.ts";
import { isPodReady, type Kubectl, type KubeList, type PodJson } from "./kubectl.ts";
import { lastLines } from "./process.ts";
import { fileStamp, type LabState } from "./state.ts";
import type { Toolchain } from "./toolchain.ts";

export interface FailureRecord {
  lab: string;
  /** The task that failed, e.g. `stage:cni`. */
  task?: string;
  stage?: string;
  gate?: string;
  message: string;
  at: string;
}

export interface DiagnosticsInput {
  tc: Toolchain;
  kubectl: Kubectl;
  state: LabState;
  labJson?: LabJson;
  failure: FailureRecord;
  /** The cluster exists (a failure before `kind create` has no cluster to ask). */
  clusterExists: boolean;
}

/** Pods to describe and log at most: a broken CNI can leave every pod unready. */
const MAX_PODS = 25;

export async function writeDiagnostics(input: DiagnosticsInput): Promise<string> {
  const dir = join(input.state.diagnosticsDir, fileStamp());
  mkdirSync(join(dir, "pods"), { recursive: true });
  const errors: string[] = [];
  const put = (name: string, text: string) =>
    writeFileSync(join(dir, name), text.endsWith("\n") ? text : `${text}\n`);
  put("failure.json", JSON.stringify(input.failure, null, 2));

  if (input.clusterExists) {
    const k = input.kubectl;
    const capture = async (name: string, args: string[]) => {
      const r = await k.run(args, { timeoutMs: 60_000 });
      if (r.ok) put(name, r.stdout);
      else errors.push(`${name}: ${r.command}: ${lastLines(r.stderr)}`);
    };
    await capture("nodes.txt", ["get", "nodes", "--output", "wide"]);
    await capture("pods.txt", ["get", "pods", "--all-namespaces", "--output", "wide"]);
    await capture("events.txt", ["get", "events", "--all-namespaces", "--sort-by=.lastTimestamp"]);

    const pods = (await k.getJson<KubeList<PodJson>>(["pods", "--all-namespaces"]))?.items ?? [];
    const unready = pods.filter((p) => !isPodReady(p)).slice(0, MAX_PODS);
    for (const pod of unready) {
      const { name, namespace = "default" } = pod.metadata;
      await capture(`pods/${namespace}_${name}.describe.txt`, [
        "describe",
        "pod",
        "--namespace",
        namespace,
        name,
      ]);
      await capture(`pods/${namespace}_${name}.log`, logArgs(namespace, name));
      if (pod.status?.containerStatuses?.some((c) => (c.restartCount ?? 0) > 0)) {
        await capture(`pods/${namespace}_${name}.previous.log`, [...logArgs(namespace, name), "--previous"]);
      }
    }
    const cni = cniPods(pods, input.labJson);
    if (cni.length) mkdirSync(join(dir, "cni"), { recursive: true });
    for (const pod of cni) {
      const { name, namespace = "default" } = pod.metadata;
      await capture(`cni/${namespace}_${name}.log`, logArgs(namespace, name));
    }

    const kindLogs = await exportLogs(input.tc, input.state.clusterName, join(dir, "kind-logs"));
    if (!kindLogs.ok) errors.push(`kind export logs: ${lastLines(kindLogs.stderr)}`);
  } else {
    errors.push("no cluster: the failure came before or during `kind create cluster`");
  }
  put(
    "README.txt",
    [
      `labs diagnostics for ${input.failure.lab}`,
      `failed: ${input.failure.task ?? "?"}${input.failure.gate ? ` — ${input.failure.gate}` : ""}`,
      input.failure.message,
      "",
      "failure.json   what failed",
      "nodes.txt, pods.txt, events.txt   cluster state when it failed",
      "pods/          describe and logs of every pod that was not ready",
      "cni/           logs of the CNI's pods",
      "kind-logs/     `kind export logs`: kubelet, containerd and journal of every node",
      `commands: ${join(input.state.logsDir, "commands.log")}`,
    ].join("\n"),
  );
  if (errors.length) put("errors.txt", errors.join("\n"));
  return dir;
}

function logArgs(namespace: string, pod: string): string[] {
  return ["logs", "--namespace", namespace, pod, "--all-containers", "--tail=2000", "--timestamps"];
}

/** Pods of the workloads the CNI stage gates on (kindnet, kube-flannel-ds, calico-node, cilium…). */
export function cniPods(pods: PodJson[], labJson?: LabJson): PodJson[] {
  const workloads = (labJson?.stages ?? [])
    .filter((s) => s.name === "cni")
    .flatMap((s) => s.gates)
    .flatMap((g) => ("name" in g && "namespace" in g ? [{ namespace: g.namespace, name: g.name }] : []));
  return pods.filter((p) =>
    workloads.some(
      (w) =>
        p.metadata.namespace === w.namespace &&
        (p.metadata.ownerReferences?.some((o) => o.name === w.name) ||
          p.metadata.name.startsWith(`${w.name}-`)),
    ),
  );
}
