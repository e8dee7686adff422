/**
 * `labs status`: the running labs — kind clusters named `labs-*` that carry labs' marker — with
 * their nodes, CNI, kube-proxy mode, north-south stack, host ports, age and kubeconfig. Also
 * names `labs-*` clusters labs did not create, and state left by a cluster that is gone.
 */
import { CLUSTER_PREFIX } from "../model/defaults.ts";
import type { HostPort, LabJson } from "../model/lab-json.ts";
import { HOST_WIDE_LABEL, listContainers, requireDocker } from "./docker.ts";
import { currentFault } from "./fault-state.ts";
import { runningLabs, usersOf } from "./host-wide.ts";
import { kindClusters } from "./kind.ts";
import { isNodeReady, Kubectl, type KubeList, type NodeJson } from "./kubectl.ts";
import { LabState, listLabStates, stateRoot } from "./state.ts";
import { Toolchain } from "./toolchain.ts";

export interface LabStatus {
  lab: string;
  cluster: string;
  /** Node names with readiness; undefined when the API server did not answer. */
  nodes?: { name: string; ready: boolean }[];
  cni?: string;
  proxyMode?: string;
  northSouth: string[];
  hostPorts: HostPort[];
  createdAt: string;
  ageSeconds: number;
  kubeconfig: string;
  /** `creating`: an interrupted `up` left it half made (`labs up` recreates it). */
  phase: "created" | "creating";
  /** Broken on purpose by `labs break` (the id is hidden for a mystery fault). */
  fault?: { id?: string; mystery: boolean; since: string; phase: "breaking" | "broken" };
}

export interface StatusReport {
  labs: LabStatus[];
  /** `labs-*` clusters without labs' marker: not labs' to manage. */
  foreign: string[];
  /** Labs whose state says a cluster was created but no cluster exists any more. */
  stale: string[];
  /**
   * Host-wide side containers labs started (cloud-provider-kind), with the running labs that use
   * them (their reference count) and the kind clusters they act on that are no lab's.
   */
  shared: { name: string; image: string; running: boolean; users: string[]; alsoActsOn: string[] }[];
}

export async function labsStatus(
  env: NodeJS.ProcessEnv = process.env,
  now = Date.now(),
): Promise<StatusReport> {
  const tc = new Toolchain({ env });
  await requireDocker(tc);
  const root = stateRoot(env);
  const clusters = await kindClusters(tc);
  const labs: LabStatus[] = [];
  const foreign: string[] = [];
  for (const cluster of clusters.filter((c) => c.startsWith(CLUSTER_PREFIX))) {
    const state = new LabState(root, cluster.slice(CLUSTER_PREFIX.length));
    const marker = state.readMarker();
    if (marker?.createdBy !== "labs" || marker.cluster !== cluster) {
      foreign.push(cluster);
      continue;
    }
    const labJson = state.readLabJson();
    const fault = currentFault(state);
    labs.push({
      lab: state.lab,
      cluster,
      nodes: await nodesOf(new Kubectl(tc, state.kubeconfig)),
      ...describe(labJson),
      createdAt: marker.createdAt,
      ageSeconds: Math.max(0, Math.round((now - Date.parse(marker.createdAt)) / 1000)),
      kubeconfig: state.kubeconfig,
      phase: marker.phase,
      ...(fault
        ? {
            fault: {
              ...(fault.mystery ? {} : { id: fault.id }),
              mystery: fault.mystery,
              since: fault.since,
              phase: fault.phase,
            },
          }
        : {}),
    });
  }
  const stale = listLabStates(root)
    .filter((s) => s.readMarker() && !clusters.includes(s.clusterName))
    .map((s) => s.lab);
  const running = runningLabs(root, clusters);
  const labsClusters = new Set(running.map((r) => r.cluster));
  const shared = (await listContainers(tc, [HOST_WIDE_LABEL], HOST_WIDE_LABEL)).map((c) => ({
    name: c.name,
    image: c.image,
    running: c.running,
    users: usersOf(c.labels[HOST_WIDE_LABEL] || c.name, running),
    alsoActsOn: c.running ? clusters.filter((k) => !labsClusters.has(k)) : [],
  }));
  return { labs, foreign, stale, shared };
}

async function nodesOf(k: Kubectl): Promise<LabStatus["nodes"]> {
  const r = await k.getJson<KubeList<NodeJson>>(["nodes", "--request-timeout=10s"], 20_000);
  return r?.items.map((n) => ({ name: n.metadata.name, ready: isNodeReady(n) }));
}

function describe(labJson: LabJson): Pick<LabStatus, "cni" | "proxyMode" | "northSouth" | "hostPorts"> {
  const of = (kind: string) => labJson.components.filter((c) => c.kind === kind);
  return {
    cni: of("cni")[0]?.title,
    proxyMode: of("proxy")[0]?.name,
    northSouth: [...of("loadBalancer"), ...of("ingress"), ...of("gateway")].map((c) => c.title),
    hostPorts: labJson.hostPorts,
  };
}

/** `3m`, `2h05m`, `4d3h`. */
export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
