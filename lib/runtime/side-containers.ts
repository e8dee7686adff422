/**
 * Containers a lab runs next to its cluster (cloud-provider-kind), as lab.json lists them. `up`
 * starts each one before the stage it names (`startBefore`), or once every stage is applied; a
 * running one with the same image and arguments is left alone, anything else is replaced.
 * A host-wide one (SideContainer.hostWide, see host-wide.ts) is shared by the labs that use it:
 * `up` keeps the running instance, `down` stops it only with its last lab. `down` removes the
 * lab's own containers, then what those containers created for the lab's cluster, never what
 * they created for another cluster. A same-named container that is not labs' is never touched.
 */
import { STOP_GRACE_SECONDS, sideContainerStopCommands } from "../components/lb/side-container-commands.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { SideContainer } from "../model/lab-json.ts";
import {
  CLUSTER_LABEL,
  type ContainerState,
  containerState,
  containersLabelled,
  type DockerInfo,
  HOST_WIDE_LABEL,
  LAB_LABEL,
  listContainers,
  removeContainer,
  sideContainerRunArgs,
} from "./docker.ts";
import { lastLines } from "./process.ts";
import type { Toolchain } from "./toolchain.ts";

export type SideContainerAction = "started" | "kept" | "replaced" | "shared";

/**
 * Docker Desktop (macOS, Windows, or Linux with its VM) and any engine on a non-Linux host run
 * containers in a VM: the host cannot route to container IPs there.
 */
export function dockerInVm(
  info: Pick<DockerInfo, "operatingSystem">,
  platform: NodeJS.Platform = process.platform,
): boolean {
  return platform !== "linux" || /docker desktop/i.test(info.operatingSystem ?? "");
}

/** The container as this machine runs it: VM-only arguments added when Docker runs in a VM. */
export function sideContainerFor(side: SideContainer, inVm: boolean): SideContainer {
  return inVm && side.argsIfDockerInVm?.length
    ? { ...side, args: [...side.args, ...side.argsIfDockerInVm] }
    : side;
}

const runsAs = (current: ContainerState | undefined, side: SideContainer) =>
  Boolean(current?.running) &&
  current!.image === side.image &&
  current!.args.join("\u0000") === side.args.join("\u0000");

/** True when the container is labs' for this side container: the lab's own, or labs' host-wide one. */
function isOurs(current: ContainerState, side: SideContainer, lab: string): boolean {
  return side.hostWide ? current.labels[HOST_WIDE_LABEL] === side.name : current.labels[LAB_LABEL] === lab;
}

export async function ensureSideContainers(
  tc: Toolchain,
  containers: SideContainer[],
  lab: string,
  cluster: string,
): Promise<Record<string, SideContainerAction>> {
  const done: Record<string, SideContainerAction> = {};
  for (const side of containers) {
    const current = await containerState(tc, side.name);
    if (current && !isOurs(current, side, lab)) {
      throw new LabError(
        `a container named ${side.name} exists and does not belong to ${side.hostWide ? "labs" : `lab ${lab}`}`,
        `remove or rename it (\`docker rm -f ${side.name}\`) if you do not need it`,
        EXIT.environment,
      );
    }
    if (runsAs(current, side) && (side.hostWide || current!.labels[CLUSTER_LABEL] === cluster)) {
      done[side.name] = side.hostWide ? "shared" : "kept";
      continue;
    }
    // A host-wide one with other arguments has no other user here: up's doctor refused the lab otherwise.
    if (current) await removeContainer(tc, side.name);
    const r = await tc.run("docker", sideContainerRunArgs(side, lab, cluster), { timeoutMs: 10 * 60_000 });
    if (!r.ok) {
      // Another lab started the shared one a moment ago (`labs compare --parallel`).
      if (
        side.hostWide &&
        /already in use/i.test(r.stderr) &&
        runsAs(await containerState(tc, side.name), side)
      ) {
        done[side.name] = "shared";
        continue;
      }
      throw new LabError(
        `could not start side container ${side.name} (${side.image}): ${lastLines(r.stderr)}`,
        "check that the image can be pulled and the Docker socket can be mounted",
        EXIT.failed,
      );
    }
    done[side.name] = current ? "replaced" : "started";
  }
  return done;
}

export interface SideContainersStopped {
  /** Containers removed. */
  removed: string[];
  /** Host-wide containers left running for other labs, with those labs. */
  kept: { name: string; users: string[] }[];
}

/**
 * Before `kind delete cluster`: stops the lab's side containers, and each host-wide one no other
 * running lab uses (`usersOf` names those). SIGTERM lets cloud-provider-kind delete the load
 * balancers it made while their cluster still answers; but its cleanup deletes every container
 * it ever labelled, for any cluster, so where it made some for another cluster (a kind cluster
 * that appeared after it started) it is removed without SIGTERM and those are left alone.
 */
export async function stopSideContainers(
  tc: Toolchain,
  lab: string,
  cluster: string,
  declared: readonly SideContainer[],
  usersOf: (name: string) => string[],
): Promise<SideContainersStopped> {
  const out: SideContainersStopped = { removed: [], kept: [] };
  for (const side of declared) {
    const current = await containerState(tc, side.name);
    if (!current || !isOurs(current, side, lab)) continue;
    if (side.hostWide) {
      const users = usersOf(side.name);
      if (users.length) {
        out.kept.push({ name: side.name, users });
        continue;
      }
    }
    const key = side.createsContainersLabelled;
    const made = key ? await listContainers(tc, [key], key) : [];
    const cleanup = made.every((c) => c.labels[key!] === cluster);
    for (const step of sideContainerStopCommands(side, cleanup)) {
      const timeoutMs = step.argv[1] === "stop" ? (STOP_GRACE_SECONDS + 30) * 1000 : 60_000;
      const r = await tc.run("docker", step.argv.slice(1), { timeoutMs });
      if (step.argv[1] === "rm" && r.ok) out.removed.push(side.name);
    }
  }
  return out;
}

/**
 * After `kind delete cluster`: removes what is left labelled with the lab, then what its side
 * containers made for the lab's cluster (`<key>=<cluster>` only). Returns the names removed.
 */
export async function sweepSideContainers(
  tc: Toolchain,
  lab: string,
  cluster: string,
  declared: readonly SideContainer[] = [],
): Promise<string[]> {
  const removed: string[] = [];
  const remove = async (names: string[]) => {
    for (const name of names) if ((await removeContainer(tc, name)).ok) removed.push(name);
  };
  await remove(await containersLabelled(tc, LAB_LABEL, lab));
  for (const key of new Set(
    declared.map((s) => s.createsContainersLabelled).filter((k): k is string => !!k),
  )) {
    await remove(await containersLabelled(tc, key, cluster));
  }
  return removed;
}
