/**
 * The doctor's judgement: pure functions from gathered facts to checks, each ok / warn / fail
 * with the fix in one line. Tested with made-up facts; the gatherer (facts.ts) is separate.
 */

import { checkPoolInNetwork } from "../../components/address-pool.ts";
import { overlaps, parseCidr } from "../../model/cidr.ts";
import { DOCKER_KIND_NETWORK, KIND_VERSION } from "../../model/defaults.ts";
import { hostWideConflicts, usersOf } from "../host-wide.ts";
import { formatPort } from "../ports.ts";
import { KUBECTL_VERSION } from "../tool-pins.ts";
import type { DoctorFacts, ToolFact } from "./facts.ts";
import { bpfState, featureState, type KernelFeature } from "./kernel.ts";

export type CheckStatus = "ok" | "warn" | "fail";

export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export const INOTIFY_MIN = { maxUserWatches: 524_288, maxUserInstances: 512 } as const;
const GiB = 1024 ** 3;

const ok = (id: string, title: string, detail: string): DoctorCheck => ({ id, title, status: "ok", detail });
const warn = (id: string, title: string, detail: string, fix?: string): DoctorCheck => ({
  id,
  title,
  status: "warn",
  detail,
  fix,
});
const fail = (id: string, title: string, detail: string, fix?: string): DoctorCheck => ({
  id,
  title,
  status: "fail",
  detail,
  fix,
});

export function doctorChecks(f: DoctorFacts): DoctorCheck[] {
  return [
    dockerCheck(f),
    ...memoryCheck(f),
    toolCheck("kind", f.tools.kind, KIND_VERSION, true),
    kubectlCheck(f),
    helmCheck(f),
    ...inotifyCheck(f),
    ...portChecks(f),
    ...networkChecks(f),
    ...kernelChecks(f),
    ...cgroupCheck(f),
    ...hostWideCheck(f),
  ];
}

/** The worst status: what the exit code follows. */
export function overall(checks: DoctorCheck[]): CheckStatus {
  if (checks.some((c) => c.status === "fail")) return "fail";
  return checks.some((c) => c.status === "warn") ? "warn" : "ok";
}

function dockerCheck(f: DoctorFacts): DoctorCheck {
  const t = "Docker";
  const d = f.docker;
  if (d.state === "missing")
    return fail(
      "docker",
      t,
      "the docker command is not installed",
      "install Docker Engine or Docker Desktop: https://docs.docker.com/get-docker/",
    );
  if (d.state === "unreachable")
    return fail(
      "docker",
      t,
      `the daemon is not reachable: ${d.detail}`,
      d.permissionDenied
        ? "add yourself to the docker group: sudo usermod -aG docker $USER (then log in again)"
        : "start Docker (Linux: sudo systemctl start docker; macOS: open Docker Desktop)",
    );
  const i = d.info;
  return ok(
    "docker",
    t,
    `engine ${i.serverVersion}${i.operatingSystem ? ` (${i.operatingSystem})` : ""}, ${i.cpus} CPUs`,
  );
}

function memoryCheck(f: DoctorFacts): DoctorCheck[] {
  if (f.docker.state !== "ok") return [];
  const t = "Docker memory";
  const mem = f.docker.info.memTotalBytes;
  const nodes = f.lab?.nodes ?? 3;
  // A kind node with a CNI and the lab's apps settles around 0.7–1 GiB; leave room for the host.
  const want = Math.max(4, nodes + 2) * GiB;
  const text = `${(mem / GiB).toFixed(1)} GiB for ${nodes} node${nodes === 1 ? "" : "s"}`;
  const fix =
    "give Docker more memory (Docker Desktop: Settings → Resources → Memory), or use a lab with fewer workers";
  if (mem > 0 && mem < 2 * GiB) return [fail("docker-memory", t, text, fix)];
  if (mem > 0 && mem < want)
    return [warn("docker-memory", t, `${text}; about ${want / GiB} GiB is comfortable`, fix)];
  return [ok("docker-memory", t, text)];
}

function toolCheck(name: "kind" | "kubectl", fact: ToolFact, pinned: string, exact: boolean): DoctorCheck {
  if (fact.error)
    return fail(name, name, fact.error, `unset LABS_${name.toUpperCase()} or point it at a ${name} binary`);
  if (!fact.found)
    return fail(
      name,
      name,
      "not installed",
      `run \`labs doctor --install\` to install the pinned ${name} ${pinned} (sha256-verified) into the labs cache`,
    );
  const where = `${fact.found.path}${fact.found.source === "labs-cache" ? " (installed by labs)" : ""}`;
  if (!fact.version)
    return warn(name, name, `${where}: could not read its version`, `run \`${fact.found.path} version\``);
  if (exact && fact.version !== pinned)
    return warn(
      name,
      name,
      `${fact.version} at ${where}; labs is tested with ${pinned}`,
      `install ${name} ${pinned}, or \`labs doctor --install\` (installs into the labs cache)`,
    );
  return ok(name, name, `${fact.version} at ${where}`);
}

function kubectlCheck(f: DoctorFacts): DoctorCheck {
  const base = toolCheck("kubectl", f.tools.kubectl, KUBECTL_VERSION, false);
  const v = f.tools.kubectl.version;
  if (base.status !== "ok" || !v || !f.lab) return base;
  const minor = Number(/^v\d+\.(\d+)/.exec(v)?.[1]);
  // kubectl supports one minor version of skew either way.
  if (Number.isFinite(minor) && Math.abs(minor - f.lab.kubeMinor) > 1)
    return warn(
      "kubectl",
      "kubectl",
      `${v} is more than one minor version from the lab's Kubernetes ${f.lab.kubernetes}`,
      `use kubectl ${KUBECTL_VERSION} (\`labs doctor --install\` puts it in the labs cache; set LABS_KUBECTL to it)`,
    );
  return base;
}

function helmCheck(f: DoctorFacts): DoctorCheck {
  const h = f.tools.helm;
  const needed = f.lab?.helm;
  if (h.error) return fail("helm", "helm", h.error, "unset LABS_HELM or point it at a helm binary");
  if (h.found) return ok("helm", "helm", `${h.version ?? "unknown version"} at ${h.found.path}`);
  if (needed)
    return fail(
      "helm",
      "helm",
      `not installed, and ${f.lab!.name} renders a Helm chart`,
      "install helm: https://helm.sh/docs/intro/install/ (or set LABS_HELM)",
    );
  if (f.lab) return ok("helm", "helm", `not installed; ${f.lab.name} does not need it`);
  return warn(
    "helm",
    "helm",
    "not installed: labs with Helm charts (Cilium, Envoy Gateway) need it",
    "install helm: https://helm.sh/docs/intro/install/",
  );
}

function inotifyCheck(f: DoctorFacts): DoctorCheck[] {
  const t = "inotify limits";
  if (!f.inotify) return [ok("inotify", t, "not applicable on this host (Docker runs in a VM)")];
  const { maxUserWatches: w, maxUserInstances: i } = f.inotify;
  if (w === undefined || i === undefined) return [warn("inotify", t, "cannot read /proc/sys/fs/inotify")];
  const low = [
    w < INOTIFY_MIN.maxUserWatches ? `max_user_watches ${w} < ${INOTIFY_MIN.maxUserWatches}` : "",
    i < INOTIFY_MIN.maxUserInstances ? `max_user_instances ${i} < ${INOTIFY_MIN.maxUserInstances}` : "",
  ].filter(Boolean);
  if (!low.length) return [ok("inotify", t, `max_user_watches ${w}, max_user_instances ${i}`)];
  return [
    warn(
      "inotify",
      t,
      `${low.join(", ")}: multi-node clusters fail with "too many open files"`,
      `sudo sysctl fs.inotify.max_user_watches=${INOTIFY_MIN.maxUserWatches} fs.inotify.max_user_instances=${INOTIFY_MIN.maxUserInstances} (persist it in /etc/sysctl.d/99-kind.conf)`,
    ),
  ];
}

function portChecks(f: DoctorFacts): DoctorCheck[] {
  if (!f.lab) return [];
  if (!f.ports.length) return [ok("ports", "host ports", `${f.lab.name} maps no host ports`)];
  return f.ports.map((p) => {
    const id = `port-${p.port.hostPort}`;
    const t = `host port ${formatPort(p.port)}`;
    if (p.labHolding)
      return fail(
        id,
        t,
        `mapped by the running lab ${p.labHolding}`,
        `\`labs down ${p.labHolding}\`, or give one of the labs other host ports`,
      );
    if (p.ownCluster) return ok(id, t, `mapped by ${f.lab!.name}'s running cluster`);
    const b = p.bind;
    if (!b || b.state === "free") return ok(id, t, "free");
    if (b.state === "in-use")
      return fail(
        id,
        t,
        "in use by another program",
        `free it (\`ss -lntup | grep :${p.port.hostPort}\` shows who holds it) or change the lab's host ports`,
      );
    if (b.state === "bad-address")
      return fail(
        id,
        t,
        b.detail,
        "set the lab's listenAddress to an address of this host (127.0.0.1 by default)",
      );
    return warn(id, t, b.detail);
  });
}

function networkChecks(f: DoctorFacts): DoctorCheck[] {
  if (!f.lab) return [];
  const t = "kind network vs the lab's addresses";
  const net = f.kindNetwork;
  const exists = net?.exists && net.subnets.length > 0;
  const subnets = exists ? net!.subnets : [DOCKER_KIND_NETWORK];
  const source = exists
    ? `the kind network (${subnets.join(", ")})`
    : `kind's usual network ${DOCKER_KIND_NETWORK} (not created yet)`;
  const out: DoctorCheck[] = [];
  const clashes: string[] = [];
  for (const [what, text] of [
    ["pod subnet", f.lab.podSubnet],
    ["service subnet", f.lab.serviceSubnet],
  ] as const) {
    for (const part of text.split(",")) {
      const cidr = parseCidr(part.trim());
      for (const s of subnets) {
        const net4 = parseCidr(s);
        if (cidr && net4 && cidr.family === net4.family && overlaps(cidr, net4))
          clashes.push(`${what} ${part.trim()} overlaps ${s}`);
      }
    }
  }
  if (clashes.length) {
    const check = exists ? fail : warn;
    out.push(
      check(
        "network-cidrs",
        t,
        `${clashes.join("; ")}: traffic to those addresses would go to the wrong place`,
        "choose other podSubnet/serviceSubnet values for the lab",
      ),
    );
  } else
    out.push(
      ok(
        "network-cidrs",
        t,
        `pods ${f.lab.podSubnet} and services ${f.lab.serviceSubnet} are clear of ${source}`,
      ),
    );
  // A route of this host inside the pod or service network: pods cannot reach those addresses
  // (the nodes route them into the cluster). The kind network is compared above.
  for (const route of f.routes ?? []) {
    const dest = parseCidr(route.destination);
    if (!dest || subnets.includes(route.destination)) continue;
    for (const [what, text] of [
      ["pod subnet", f.lab.podSubnet],
      ["service subnet", f.lab.serviceSubnet],
    ] as const) {
      const hit = text
        .split(",")
        .map((p) => p.trim())
        .find((p) => {
          const c = parseCidr(p);
          return c && c.family === dest.family && overlaps(c, dest);
        });
      if (hit)
        out.push(
          warn(
            `route-${route.destination}`,
            "this host's routes vs the lab's addresses",
            `${what} ${hit} overlaps this host's route to ${route.destination} (${route.device}): pods cannot reach addresses there`,
            `choose another ${what === "pod subnet" ? "podSubnet" : "serviceSubnet"} for the lab, clear of ${route.destination}`,
          ),
        );
    }
  }
  for (const addressPool of f.lab.addressPools) {
    const pool = checkPoolInNetwork(addressPool, subnets);
    if (pool.ok)
      out.push(ok("lb-pool", "load balancer pool", `${addressPool.range} lies inside ${pool.subnet}`));
    // Before kind made its network, the usual subnet is only a guess: a warning, not a failure.
    else out.push((exists ? fail : warn)("lb-pool", "load balancer pool", pool.problem, pool.fix));
  }
  return out;
}

function kernelChecks(f: DoctorFacts): DoctorCheck[] {
  if (!f.lab) return [];
  if (!f.kernel)
    return [ok("kernel", "kernel", "not checked on this host: the nodes run in Docker's VM kernel")];
  const out: DoctorCheck[] = [];
  const k = f.kernel;
  const feature = (
    id: string,
    title: string,
    feat: KernelFeature,
    why: string,
    load: string,
  ): DoctorCheck => {
    const state = featureState(k, feat);
    if (state === "loaded" || state === "builtin") return ok(id, title, `${feat.module} is ${state}`);
    if (state === "loadable")
      return warn(
        id,
        title,
        `${feat.module} is available but not loaded; ${why} loads it on demand`,
        `if it does not: ${load}`,
      );
    if (state === "absent")
      return fail(
        id,
        title,
        `kernel ${k.release} has no ${feat.module} (${k.configSource ?? "config"}: ${feat.config} not set)`,
        `use a kernel with ${feat.config}, or a lab with another mode`,
      );
    return warn(
      id,
      title,
      `cannot tell whether ${feat.module} is available (no /proc/modules or kernel config)`,
      load,
    );
  };
  for (const need of f.lab.kernel) {
    if (need.kind === "kernel-module") {
      out.push(
        feature(need.id, need.title, { module: need.module, config: need.config }, need.loadedBy, need.load),
      );
      continue;
    }
    const b = bpfState(k);
    const t = "kernel: eBPF";
    if (b.state === "ok") out.push(ok(need.id, t, "bpf() syscall, JIT and /sys/fs/bpf are present"));
    else if (b.state === "absent" && b.missing.some((m) => m.startsWith("CONFIG_")))
      out.push(
        fail(
          "kernel-bpf",
          t,
          `missing: ${b.missing.join(", ")}`,
          "use a kernel built with BPF support, or a lab without an eBPF dataplane",
        ),
      );
    else
      out.push(
        warn(
          "kernel-bpf",
          t,
          b.missing.length ? `missing: ${b.missing.join(", ")}` : "cannot read the kernel config",
          "mount it: sudo mount -t bpf bpf /sys/fs/bpf (the CNI mounts it inside the nodes when it can)",
        ),
      );
  }
  return out;
}

function cgroupCheck(f: DoctorFacts): DoctorCheck[] {
  const t = "cgroup v2";
  const v2 = f.cgroup.engine !== undefined ? f.cgroup.engine === "2" : f.cgroup.hostV2;
  const src = f.cgroup.engine !== undefined ? "Docker reports" : "this host mounts";
  if (v2 === undefined) return [ok("cgroup", t, "not checked on this host")];
  if (v2) return [ok("cgroup", t, `${src} cgroup v2`)];
  const needs = f.lab ? f.lab.kubeMinor >= 35 : true;
  const detail = `${src} cgroup v1`;
  const fix =
    "boot with cgroup v2 (kernel parameter systemd.unified_cgroup_hierarchy=1), or use a lab with a node image before 1.35";
  if (needs && f.lab)
    return [
      fail(
        "cgroup",
        t,
        `${detail}: the kubelet of Kubernetes ${f.lab.kubernetes} (≥ 1.35) refuses cgroup v1`,
        fix,
      ),
    ];
  if (needs)
    return [warn("cgroup", t, `${detail}: node images from Kubernetes 1.35 on refuse cgroup v1`, fix)];
  return [ok("cgroup", t, `${detail}; fine for Kubernetes ${f.lab!.kubernetes}`)];
}

/**
 * What the lab shares the Docker host with: a host-wide side container (cloud-provider-kind)
 * acts on every kind cluster, so the lab runs only beside clusters that may be acted on.
 */
function hostWideCheck(f: DoctorFacts): DoctorCheck[] {
  if (!f.lab || !f.host) return [];
  const t = "other kind clusters on this host";
  if (f.host.clustersError)
    return [
      warn(
        "host-wide",
        t,
        `kind could not list the clusters (${f.host.clustersError}), so what shares this host is unknown`,
        "run `kind get clusters` to see why",
      ),
    ];
  const conflicts = hostWideConflicts({
    me: { lab: f.lab.name, cluster: f.lab.cluster, hostWide: f.lab.hostWide },
    clusters: f.host.clusters,
    running: f.host.running,
    containers: f.host.containers,
  });
  if (conflicts.length)
    return [
      fail("host-wide", t, conflicts.map((c) => c.detail).join("; "), conflicts.map((c) => c.fix).join("; ")),
    ];
  const shared = f.lab.hostWide.map((c) => {
    const users = usersOf(c.name, f.host!.running, f.lab!.name);
    return users.length ? `${c.name} is shared with ${users.join(", ")}` : `${c.name} will serve this lab`;
  });
  return [ok("host-wide", t, shared.join("; ") || "nothing of this lab acts beyond its own cluster")];
}
