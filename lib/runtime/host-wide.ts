/**
 * Host-wide side containers (SideContainer.hostWide): one instance serves every kind cluster on
 * the Docker host, so it is shared, never duplicated. cloud-provider-kind v0.11.1 is one: it
 * manages every kind cluster it finds and its shutdown deletes every load balancer it made, for
 * any cluster (pkg/controller/controller.go Run and cleanup).
 *
 * Its users are counted, not stored: the running labs (labs' marker and a kind cluster) whose
 * lab.json declares it. What must not run beside it is refused with a clear message:
 *   - a kind cluster labs did not create (the user's own): it would manage it too;
 *   - a running lab that does not use it: it would manage that cluster too (and fight MetalLB);
 *   - a lab that needs it with other arguments than the running labs that share it;
 *   - another cloud-provider-kind container, not labs': two instances fight.
 */
import type { SideContainer } from "../model/lab-json.ts";
import { listLabStates } from "./state.ts";

/** A lab whose cluster runs, with the host-wide containers it declares. */
export interface RunningLab {
  lab: string;
  cluster: string;
  hostWide: SideContainer[];
}

/** A container that looks like a host-wide one (same image), with labs' label when labs started it. */
export interface HostWideContainer {
  name: string;
  image: string;
  running: boolean;
  /** The value of io.labs.host-wide: the name labs gave it; "" when labs did not start it. */
  labsName: string;
}

export interface HostWideConflict {
  detail: string;
  fix: string;
}

/** The labs whose clusters run (labs' marker and a kind cluster of that name). */
export function runningLabs(stateRoot: string, clusters: readonly string[]): RunningLab[] {
  return listLabStates(stateRoot)
    .filter((s) => clusters.includes(s.clusterName) && s.readMarker()?.createdBy === "labs")
    .map((s) => ({
      lab: s.lab,
      cluster: s.clusterName,
      hostWide: s.readLabJson().sideContainers.filter((c) => c.hostWide),
    }));
}

/** The running labs other than `lab` that use the host-wide container `name`. */
export function usersOf(name: string, running: readonly RunningLab[], except?: string): string[] {
  return running.filter((r) => r.lab !== except && r.hostWide.some((c) => c.name === name)).map((r) => r.lab);
}

const sameRun = (a: SideContainer, b: SideContainer) =>
  a.image === b.image && a.args.join("\u0000") === b.args.join("\u0000");

const list = (xs: readonly string[]) => xs.join(", ");

/**
 * What keeps `me` from running beside what runs on this Docker host. Pure: `clusters` are every
 * kind cluster, `running` every running lab (me included or not), `containers` the containers
 * with a host-wide image.
 */
export function hostWideConflicts(args: {
  me: { lab: string; cluster: string; hostWide: readonly SideContainer[] };
  clusters: readonly string[];
  running: readonly RunningLab[];
  containers: readonly HostWideContainer[];
}): HostWideConflict[] {
  const { me } = args;
  const others = args.running.filter((r) => r.lab !== me.lab);
  const labsClusters = new Set([me.cluster, ...others.map((r) => r.cluster)]);
  const foreign = args.clusters.filter((c) => !labsClusters.has(c));
  const out: HostWideConflict[] = [];
  for (const side of me.hostWide) {
    const what = `${side.name} (${side.hostWide!.why})`;
    if (foreign.length)
      out.push({
        detail: `${what} would also act on the kind cluster${foreign.length > 1 ? "s" : ""} ${list(foreign)}, which labs did not create`,
        fix: `delete ${foreign.length > 1 ? "them" : "it"} if you can (\`kind delete cluster --name ${foreign[0]}\`), or run this lab where no other kind cluster runs`,
      });
    const without = others.filter((r) => !r.hostWide.some((c) => c.name === side.name));
    if (without.length)
      out.push({
        detail: `${what} would also act on the cluster of the running lab${without.length > 1 ? "s" : ""} ${list(without.map((r) => r.lab))}, which does not use it`,
        fix: `\`labs down ${without[0]!.lab}\` first (\`labs compare\` runs such labs one after the other)`,
      });
    const differing = others.filter((r) => r.hostWide.some((c) => c.name === side.name && !sameRun(c, side)));
    if (differing.length) {
      const theirs = differing[0]!.hostWide.find((c) => c.name === side.name)!;
      out.push({
        detail: `${side.name} runs for ${list(differing.map((r) => r.lab))} with ${theirs.args.join(" ") || "no arguments"}; this lab needs ${side.args.join(" ") || "no arguments"}, and one instance serves every cluster`,
        fix: `\`labs down ${differing[0]!.lab}\` first (\`labs compare\` runs such labs one after the other)`,
      });
    }
    const strangers = args.containers.filter(
      (c) => c.running && c.labsName === "" && c.image.split(":")[0] === side.image.split(":")[0],
    );
    if (strangers.length)
      out.push({
        detail: `another ${side.image.split("/").pop()!.split(":")[0]} runs on this host (container ${list(strangers.map((c) => c.name))}), not started by labs: two instances fight over every cluster's load balancers`,
        fix: `stop it (\`docker stop ${strangers[0]!.name}\`) while labs runs this lab, or run the lab on another host`,
      });
  }
  // A lab without the container, while labs' shared one runs for others: it would manage this lab too.
  const mine = new Set(me.hostWide.map((c) => c.name));
  const shared = new Map<string, string[]>();
  for (const r of others)
    for (const c of r.hostWide)
      if (!mine.has(c.name)) shared.set(c.name, [...(shared.get(c.name) ?? []), r.lab]);
  for (const [name, users] of shared)
    out.push({
      detail: `${name}, which runs for ${list(users)}, acts on every kind cluster on this host: it would act on this lab's cluster too`,
      fix: `\`labs down ${users.join(" ")}\` first (\`labs compare\` runs such labs one after the other)`,
    });
  return out;
}
