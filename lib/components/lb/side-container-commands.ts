import type { SideContainer } from "../component.ts";

/**
 * The exact docker commands that start and stop a side container (cloud-provider-kind), as plain
 * argv arrays the runtime runs in order. Pure: the runtime supplies what only it can know (the
 * lab, the cluster, whether Docker runs in a VM) and reports failures of steps not marked
 * `mayFail`.
 */

/** Labels on every container labs starts for one lab, so `labs down` finds exactly its own. */
export const LAB_LABEL = "io.labs.lab";
export const CLUSTER_LABEL = "io.labs.cluster";
/** Label on a host-wide container labs starts (valued with its name): it belongs to no one lab. */
export const HOST_WIDE_LABEL = "io.labs.host-wide";

/** Seconds `docker stop` waits after SIGTERM before it kills. */
export const STOP_GRACE_SECONDS = 30;

export interface DockerCommand {
  argv: string[];
  /** Why the command runs, for logs. */
  why: string;
  /** A failure is expected sometimes (nothing to remove) and must not stop the sequence. */
  mayFail?: boolean;
}

export interface SideContainerContext {
  lab: string;
  cluster: string;
  /** Docker Desktop on macOS/Windows or WSL2: containers' IPs are not routable from the host. */
  dockerInVm: boolean;
}

/**
 * `docker run` for the side container, labelled with its lab and cluster, or, when it is
 * host-wide, as labs' shared container (no lab's `labs down` removes it by its lab label).
 */
export function sideContainerRunArgv(side: SideContainer, ctx: SideContainerContext): string[] {
  const argv = ["docker", "run", "--detach", "--name", side.name, "--network", side.network];
  if (side.hostWide) argv.push("--label", `${HOST_WIDE_LABEL}=${side.name}`);
  else argv.push("--label", `${LAB_LABEL}=${ctx.lab}`, "--label", `${CLUSTER_LABEL}=${ctx.cluster}`);
  argv.push("--restart", "unless-stopped");
  if (side.dockerSocket) argv.push("--volume", "/var/run/docker.sock:/var/run/docker.sock");
  argv.push(side.image, ...side.args);
  if (ctx.dockerInVm) argv.push(...(side.argsIfDockerInVm ?? []));
  return argv;
}

/** `labs up`: drop a stale container of the same name (an earlier run that crashed), then start. */
export function sideContainerStartCommands(side: SideContainer, ctx: SideContainerContext): DockerCommand[] {
  return [
    {
      argv: ["docker", "rm", "--force", side.name],
      why: `remove a stale ${side.name} left by an earlier run`,
      mayFail: true,
    },
    { argv: sideContainerRunArgv(side, ctx), why: `start ${side.name} next to ${ctx.cluster}` },
  ];
}

/**
 * `labs down` stops a side container before `kind delete cluster` (lib/runtime/down.ts). With
 * `cleanup` (the default) SIGTERM comes first, so cloud-provider-kind deletes the load-balancer
 * containers it created while their cluster still answers, then the container is removed.
 * Without it (`docker rm -f` alone, SIGKILL) nothing it made is touched: labs uses that when
 * the container also made containers for other clusters, which its own cleanup would delete
 * too. Either way the runtime then removes what is left for the lab's cluster, by label.
 */
export function sideContainerStopCommands(side: SideContainer, cleanup = true): DockerCommand[] {
  return [
    ...(cleanup
      ? [
          {
            argv: ["docker", "stop", "--time", String(STOP_GRACE_SECONDS), side.name],
            why: `stop ${side.name} with SIGTERM so it cleans up what it created`,
            mayFail: true,
          },
        ]
      : []),
    { argv: ["docker", "rm", "--force", side.name], why: `remove ${side.name}`, mayFail: true },
  ];
}

/**
 * Lists containers the side container created for this cluster and left behind (it was killed,
 * or crashed). Prints one container id per line; pass them to `removeContainersCommand`.
 */
export function leftoverContainersCommand(side: SideContainer, cluster: string): DockerCommand | undefined {
  if (!side.createsContainersLabelled) return undefined;
  return {
    argv: [
      "docker",
      "ps",
      "--all",
      "--quiet",
      "--filter",
      `label=${side.createsContainersLabelled}=${cluster}`,
    ],
    why: `find containers ${side.name} created for ${cluster}`,
  };
}

export function removeContainersCommand(ids: readonly string[]): DockerCommand | undefined {
  const clean = ids.map((i) => i.trim()).filter(Boolean);
  if (clean.length === 0) return undefined;
  return { argv: ["docker", "rm", "--force", ...clean], why: "remove containers left behind", mayFail: true };
}
