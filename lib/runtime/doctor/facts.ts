/**
 * Gathers what `labs doctor` judges: Docker, the tools and their versions, inotify limits, the
 * kernel, cgroups, the `kind` network and the lab's host ports. Gathering only reads (files,
 * `docker info`, `--version`s) and tries to bind ports; the judging is pure (checks.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import type { HostPort } from "../../model/lab-json.ts";
import {
  type DockerProbe,
  HOST_WIDE_LABEL,
  kindNetworkSubnets,
  listContainers,
  probeDocker,
} from "../docker.ts";
import { type HostWideContainer, type RunningLab, runningLabs } from "../host-wide.ts";
import { kindClusters, kindVersion } from "../kind.ts";
import { kubectlVersion } from "../kubectl.ts";
import { type BindResult, clashesWithLabs, tryBind } from "../ports.ts";
import { messageUnlessInterrupted } from "../process.ts";
import { LabState, listLabStates } from "../state.ts";
import type { LocatedTool, Toolchain } from "../toolchain.ts";
import { type KernelFacts, readKernelFacts } from "./kernel.ts";
import type { LabNeeds } from "./lab-needs.ts";

export interface ToolFact {
  found?: LocatedTool;
  version?: string;
  /** LABS_<TOOL> pointed at nothing, and similar. */
  error?: string;
}

export interface PortFact {
  port: HostPort;
  /** Another running lab maps it. */
  labHolding?: string;
  /** This lab's own running cluster maps it (not a problem). */
  ownCluster?: boolean;
  bind?: BindResult;
}

export interface DoctorFacts {
  platform: NodeJS.Platform;
  docker: DockerProbe;
  tools: Record<"kind" | "kubectl" | "helm", ToolFact>;
  /** Linux only: /proc/sys/fs/inotify. */
  inotify?: { maxUserWatches?: number; maxUserInstances?: number };
  /** Linux only: this host's IPv4 routes (not the default one), from /proc/net/route. */
  routes?: HostRoute[];
  /** Undefined when Docker could not be asked. */
  kindNetwork?: { exists: boolean; subnets: string[] };
  /** Linux only. */
  kernel?: KernelFacts;
  /** cgroup v2: what the Docker engine reports, else what this host mounts. */
  cgroup: { engine?: string; hostV2?: boolean };
  lab?: LabNeeds;
  ports: PortFact[];
  /** What shares the Docker host with a lab: kind clusters, running labs, host-wide containers. */
  host?: {
    clusters: string[];
    /** Why the clusters could not be listed: then `clusters` is empty without meaning none. */
    clustersError?: string;
    running: RunningLab[];
    containers: HostWideContainer[];
  };
}

export interface GatherOptions {
  /** The state root, to find the host ports of running labs. */
  stateRoot: string;
  /**
   * Read the host's kernel, inotify and cgroup files. @default on Linux when the Docker engine is
   * this machine's (DOCKER_HOST unset or a unix socket): a remote engine's nodes run on its kernel.
   */
  readHost?: boolean;
}

export async function gatherFacts(
  tc: Toolchain,
  lab: LabNeeds | undefined,
  opts: GatherOptions,
): Promise<DoctorFacts> {
  const platform = process.platform;
  const readHost = opts.readHost ?? (platform === "linux" && engineIsLocal(tc.env));
  const docker = await probeDocker(tc);
  const tools = {
    kind: await toolFact(tc, "kind", () => kindVersion(tc)),
    kubectl: await toolFact(tc, "kubectl", () => kubectlVersion(tc)),
    helm: await toolFact(tc, "helm", () => helmVersionOf(tc)),
  };
  let kindNetwork: DoctorFacts["kindNetwork"];
  let clusters: string[] = [];
  let clustersError: string | undefined;
  if (docker.state === "ok") {
    const subnets = await kindNetworkSubnets(tc);
    kindNetwork = { exists: subnets !== undefined, subnets: subnets ?? [] };
    if (tools.kind.found) {
      try {
        clusters = await kindClusters(tc);
      } catch (e) {
        clustersError = messageUnlessInterrupted(e);
      }
    }
  }
  return {
    platform,
    docker,
    tools,
    kindNetwork,
    inotify: readHost ? readInotify() : undefined,
    routes: readHost ? readRoutes() : undefined,
    kernel: readHost ? readKernelFacts() : undefined,
    cgroup: {
      engine: docker.state === "ok" ? docker.info.cgroupVersion : undefined,
      hostV2: readHost ? existsSync("/sys/fs/cgroup/cgroup.controllers") : undefined,
    },
    lab,
    ports: lab ? await portFacts(lab, clusters, opts.stateRoot) : [],
    host:
      docker.state === "ok" && tools.kind.found
        ? { ...(await hostFacts(tc, clusters, opts.stateRoot)), clustersError }
        : undefined,
  };
}

/** Kind clusters, running labs and every container labs started host-wide or of such an image. */
async function hostFacts(
  tc: Toolchain,
  clusters: string[],
  root: string,
): Promise<NonNullable<DoctorFacts["host"]>> {
  const containers = (await listContainers(tc, [HOST_WIDE_LABEL])).map((c) => ({
    name: c.name,
    image: c.image,
    running: c.running,
    labsName: c.labels[HOST_WIDE_LABEL] ?? "",
  }));
  return { clusters, running: runningLabs(root, clusters), containers };
}

/** The Docker engine runs on this machine, as far as the environment tells (docker contexts aside). */
export function engineIsLocal(env: NodeJS.ProcessEnv): boolean {
  const host = env.DOCKER_HOST;
  return !host || host.startsWith("unix://");
}

async function toolFact(
  tc: Toolchain,
  name: "kind" | "kubectl" | "helm",
  version: () => Promise<string | undefined>,
): Promise<ToolFact> {
  try {
    const found = tc.locate(name);
    if (!found) return {};
    return { found, version: await version() };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function helmVersionOf(tc: Toolchain): Promise<string | undefined> {
  const r = await tc.run("helm", ["version", "--template", "{{.Version}}"], { timeoutMs: 20_000 });
  return r.ok ? r.stdout.trim() : undefined;
}

export interface HostRoute {
  /** e.g. `192.168.1.0/24` */
  destination: string;
  device: string;
}

/**
 * IPv4 routes of this host: /proc/net/route gives destination and mask as little-endian hex.
 * The default route (0.0.0.0/0) is left out: it overlaps everything and says nothing.
 * Undefined when the file cannot be read (no Linux procfs): then there are no host routes to hold
 * the lab's subnets against, and the overlap check has nothing to say.
 */
export function readRoutes(file = "/proc/net/route"): HostRoute[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const ip = (hex: string) => {
    const n = Number.parseInt(hex, 16);
    return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join(".");
  };
  const prefix = (hex: string) => Number.parseInt(hex, 16).toString(2).replace(/0/g, "").length;
  return text
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && /^[0-9A-F]{8}$/i.test(f[1]!) && /^[0-9A-F]{8}$/i.test(f[7]!))
    .map((f) => ({ destination: `${ip(f[1]!)}/${prefix(f[7]!)}`, device: f[0]! }))
    .filter((r) => !r.destination.endsWith("/0"));
}

export function readInotify(dir = "/proc/sys/fs/inotify"): DoctorFacts["inotify"] {
  const num = (file: string) => {
    try {
      const n = Number(readFileSync(`${dir}/${file}`, "utf8").trim());
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined; // unreadable: the inotify check warns that it cannot read the limits
    }
  };
  return { maxUserWatches: num("max_user_watches"), maxUserInstances: num("max_user_instances") };
}

async function portFacts(lab: LabNeeds, clusters: string[], root: string): Promise<PortFact[]> {
  const own = new LabState(root, lab.name);
  const ownRunning = clusters.includes(own.clusterName) && own.readMarker() !== undefined;
  const others = listLabStates(root)
    .filter((s) => s.lab !== lab.name && clusters.includes(s.clusterName) && s.readMarker())
    .map((s) => ({ lab: s.lab, hostPorts: s.readLabJson().hostPorts }));
  const out: PortFact[] = [];
  for (const port of lab.hostPorts) {
    const holder = clashesWithLabs([port], others)[0]?.lab;
    if (holder) out.push({ port, labHolding: holder });
    else if (ownRunning) out.push({ port, ownCluster: true });
    else out.push({ port, bind: await tryBind(port.listenAddress, port.hostPort, port.protocol) });
  }
  return out;
}
