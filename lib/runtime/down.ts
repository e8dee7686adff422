/**
 * `labs down`: deletes only clusters labs created, named `labs-<lab>` AND recorded by the marker
 * in the lab's state folder (with the control plane labs created, when known). A kind cluster
 * that merely has the name is refused with a clear message. The lab's side containers go with
 * it (stopped before the cluster is deleted, so they can clean up while it answers; what they
 * made for its cluster swept after); a host-wide one stays while another running lab uses it.
 * The artifact cache, verify results, timings and diagnostics stay.
 */
import { rmSync } from "node:fs";
import { CLUSTER_PREFIX } from "../model/defaults.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { commandLogger } from "./command-log.ts";
import { requireDocker } from "./docker.ts";
import { runningLabs, usersOf } from "./host-wide.ts";
import { deleteCluster, kindClusters } from "./kind.ts";
import { assertOwnCluster } from "./ownership.ts";
import { lastLines } from "./process.ts";
import { stopSideContainers, sweepSideContainers } from "./side-containers.ts";
import { LabState, stateRoot } from "./state.ts";
import { Toolchain } from "./toolchain.ts";

export interface DownOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export interface DownResult {
  lab: string;
  cluster: string;
  /** deleted: the cluster was removed; absent: there was none (state cleaned up). */
  action: "deleted" | "absent";
  sideContainers: string[];
  /** Host-wide side containers left running for other labs, with those labs. */
  sharedKept?: { name: string; users: string[] }[];
}

export async function down(lab: string, opts: DownOptions = {}): Promise<DownResult> {
  const env = opts.env ?? process.env;
  const state = new LabState(stateRoot(env), lab);
  const tc = new Toolchain({ env, signal: opts.signal, onCommand: commandLogger(state.logsDir) });
  await requireDocker(tc);
  const clusters = await kindClusters(tc);
  const marker = state.readMarker();
  const exists = clusters.includes(state.clusterName);
  if (exists) await assertOwnCluster(tc, state, marker);
  if (!exists && !marker) {
    throw new LabError(
      `lab ${lab} is not running: there is no kind cluster ${state.clusterName}`,
      "`labs status` lists the running labs",
      EXIT.usage,
    );
  }
  const declared = state.readLabJson().sideContainers;
  const others = runningLabs(state.root, clusters);
  const stopped = await stopSideContainers(tc, lab, state.clusterName, declared, (name) =>
    usersOf(name, others, lab),
  );
  if (exists) {
    const r = await deleteCluster(tc, state.clusterName, state.kubeconfig);
    if (!r.ok) {
      throw new LabError(
        `kind delete cluster ${state.clusterName} failed: ${lastLines(r.stderr)}`,
        "retry, or check `docker ps` for the node containers",
        EXIT.environment,
      );
    }
  }
  const swept = await sweepSideContainers(tc, lab, state.clusterName, declared);
  state.removeMarker();
  rmSync(state.kubeconfig, { force: true });
  return {
    lab,
    cluster: state.clusterName,
    action: exists ? "deleted" : "absent",
    sideContainers: [...stopped.removed, ...swept],
    ...(stopped.kept.length ? { sharedKept: stopped.kept } : {}),
  };
}

/** Labs whose clusters labs created and that still run; `labs-*` clusters without a marker are foreign. */
export async function labClusters(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ labs: string[]; foreign: string[] }> {
  const tc = new Toolchain({ env });
  await requireDocker(tc);
  const root = stateRoot(env);
  const labs: string[] = [];
  const foreign: string[] = [];
  for (const cluster of await kindClusters(tc)) {
    if (!cluster.startsWith(CLUSTER_PREFIX)) continue;
    const lab = cluster.slice(CLUSTER_PREFIX.length);
    const marker = new LabState(root, lab).readMarker();
    if (marker?.createdBy === "labs" && marker.cluster === cluster) labs.push(lab);
    else foreign.push(cluster);
  }
  return { labs, foreign };
}
