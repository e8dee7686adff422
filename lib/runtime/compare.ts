/**
 * `labs compare`: for each lab, up → verify → performance sample → down (unless `keep`), one
 * after another, or `parallel` at once when the host has the memory for it. Every lab's run is
 * read back from its state folder (lib/report/collect.ts) and the run folder gets results.json,
 * raw logs per lab, report.md, report.html and junit.xml.
 *
 * Performance sample, the same on every lab: HTTP latency through ClusterIP and NodePort (from
 * a probe pod), Ingress, Gateway and LoadBalancer (from the host) with the engine's latency
 * probe at one request count and concurrency; pod-to-pod TCP throughput on one node and across
 * nodes with iperf3; the dataplane's size on the first node.
 */
import { cpSync, existsSync, writeFileSync } from "node:fs";
import { freemem } from "node:os";
import { join } from "node:path";
import { resolveLab, sideContainersOf } from "../components/resolve.ts";
import { makeDir } from "../files/make-dir.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { LabSpec } from "../model/lab-spec.ts";
import type { EnginePlan, HttpRequestSpec, Probe } from "../probes/prober/plan.ts";
import type { ProbesPlan } from "../probes/probes-plan.ts";
import { type Batch, resolvePlan } from "../probes/verdicts/resolver.ts";
import { collectLabRun, PERFORMANCE_FILE, type PerformanceFile } from "../report/collect.ts";
import { hostFingerprint } from "../report/host.ts";
import {
  type DataplaneSize,
  type LabRun,
  type LatencyPath,
  type LatencySample,
  type Performance,
  RUN_KIND,
  RUN_VERSION,
  type RunResults,
  type ThroughputSample,
} from "../report/run-results.ts";
import { writeRunDir } from "../report/write.ts";
import { commandLogger } from "./command-log.ts";
import { dockerExec, probeDocker, requireDocker } from "./docker.ts";
import { down } from "./down.ts";
import { kindVersion } from "./kind.ts";
import { Kubectl, kubectlVersion } from "./kubectl.ts";
import { LabState, readJson, stateRoot } from "./state.ts";
import { Toolchain } from "./toolchain.ts";
import { type UpOptions, up } from "./up.ts";
import { gatherClusterFacts, runBatch, verifyLab } from "./verify.ts";

/** One request count and concurrency for every path of every lab: numbers stay comparable. */
export const LATENCY_SAMPLE = { requests: 500, concurrency: 10 } as const;
/**
 * iperf3 for throughput. Pinned by tag; the digest Docker resolves is recorded with every
 * sample (verify it with `docker buildx imagetools inspect` when changing the tag).
 */
export const IPERF3_IMAGE = "docker.io/networkstatic/iperf3:3.17.1";
export const IPERF3_SECONDS = 5;
/** Rough memory one kind node of a lab needs, for --parallel. */
const NODE_MEMORY_BYTES = 1.5 * 1024 ** 3;

export interface CompareOptions {
  specs: LabSpec[];
  out: string;
  parallel?: number;
  keep?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Progress lines for people. */
  onLine?: (line: string) => void;
  /** Passed to `up` (tests shorten polls). */
  upOptions?: Partial<UpOptions>;
  /** Skip the performance sample (tests of the orchestration alone). */
  performance?: boolean;
  /** Free memory, for tests of the parallel decision. @default os.freemem() */
  freeMemoryBytes?: number;
}

/** How many labs run at once: what was asked, lowered until their nodes fit in free memory. */
export function parallelism(
  requested: number,
  specs: Pick<LabSpec, "nodes">[],
  freeBytes: number,
): { parallel: number; note?: string } {
  if (requested <= 1) return { parallel: 1 };
  const nodes = specs.map((s) => s.nodes.controlPlanes + s.nodes.workers).sort((a, b) => b - a);
  let n = Math.min(requested, specs.length);
  while (n > 1 && nodes.slice(0, n).reduce((t, x) => t + x, 0) * NODE_MEMORY_BYTES > freeBytes) n--;
  if (n === Math.min(requested, specs.length)) return { parallel: n };
  const gib = (freeBytes / 1024 ** 3).toFixed(1);
  return {
    parallel: n,
    note: `--parallel ${requested} lowered to ${n}: ${gib} GiB free, about ${(NODE_MEMORY_BYTES / 1024 ** 3).toFixed(1)} GiB per kind node`,
  };
}

/** docker, kind and kubectl versions on this host ("absent" when a tool is not there). */
export async function hostToolVersions(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const tc = new Toolchain({ env });
  const docker = await probeDocker(tc).catch(() => undefined);
  const safe = async (f: () => Promise<string | undefined>) => (await f().catch(() => undefined)) ?? "absent";
  const labs = (
    JSON.parse(
      (await import("node:fs")).readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as { version: string }
  ).version;
  return {
    docker: docker?.state === "ok" ? docker.info.serverVersion : "absent",
    kind: tc.locate("kind") ? await safe(() => kindVersion(tc)) : "absent",
    kubectl: tc.locate("kubectl") ? await safe(() => kubectlVersion(tc)) : "absent",
    labs,
  };
}

/** Which catalogue probe's first resolved check stands for each latency path. */
const PATH_PROBES: [LatencyPath, string][] = [
  ["ClusterIP", "pod-to-cluster-ip"],
  ["NodePort", "nodeport-own-node"],
  ["Ingress", "ingress-paths"],
  ["Gateway", "gateway-routes"],
  ["LoadBalancer", "host-loadbalancer"],
];

/** The HTTP request a resolved engine probe makes, reusable as a latency target. */
function httpTarget(p: Probe): HttpRequestSpec | undefined {
  if (p.kind === "http") {
    const { kind: _k, id: _i, expect: _e, retryWindowMs: _r, timeoutMs: _t, ...request } = p;
    return request;
  }
  if (p.kind === "coverage") return p.request;
  return undefined;
}

export function latencyPlans(
  batches: Batch[],
  sample = LATENCY_SAMPLE,
): { path: LatencyPath; batch: Batch }[] {
  const out: { path: LatencyPath; batch: Batch }[] = [];
  for (const [path, probe] of PATH_PROBES) {
    for (const b of batches) {
      const p = b.plan.probes.find((x) => x.id === probe || x.id.startsWith(`${probe}/`));
      const target = p && httpTarget(p);
      if (!target) continue;
      const plan: EnginePlan = {
        version: 1,
        probes: [{ id: `latency/${path}`, kind: "latency", ...sample, target: { kind: "http", ...target } }],
      };
      out.push({ path, batch: { source: b.source, plan } });
      break;
    }
  }
  return out;
}

/** The dataplane measure for a lab's service proxy, and the node command that counts it. */
export function dataplaneCommand(
  serviceProxy: string,
  cni: string,
): Pick<DataplaneSize, "measure" | "command"> | undefined {
  if (/iptables/.test(serviceProxy))
    return { measure: "iptables-rules", command: ["sh", "-c", "iptables-save | grep -c '^-A'"] };
  if (/nftables/.test(serviceProxy))
    return {
      measure: "nftables-elements",
      command: ["sh", "-c", "nft list table ip kube-proxy | grep -oE ' : (goto|jump) ' | wc -l"],
    };
  if (/ipvs/.test(serviceProxy))
    return { measure: "ipvs-services", command: ["sh", "-c", "grep -cE '^(TCP|UDP)' /proc/net/ip_vs"] };
  if (cni === "cilium")
    return {
      measure: "bpf-map-entries",
      command: [
        "sh",
        "-c",
        "bpftool map dump pinned /sys/fs/bpf/tc/globals/cilium_lb4_services_v2 2>/dev/null | grep -c key",
      ],
    };
  return undefined;
}

interface LabJsonLite {
  nodes: { controlPlanes: number; workers: number };
  network: { podSubnet: string };
  capabilities: Record<string, { value: unknown }>;
  components: { kind: string; name: string }[];
}

async function measure(
  state: LabState,
  tc: Toolchain,
  signal?: AbortSignal,
): Promise<{ performance: Performance; dataplane: DataplaneSize[] }> {
  const notes: string[] = [];
  const labJson = readJson<LabJsonLite>(join(state.synthDir, "lab.json"));
  const plan = readJson<ProbesPlan>(join(state.synthDir, "probes.plan.json"));
  const kubectl = new Kubectl(tc, state.kubeconfig);
  const facts = await gatherClusterFacts(kubectl, labJson?.network.podSubnet ?? "");
  const latency: LatencySample[] = [];
  if (plan) {
    for (const { path, batch } of latencyPlans(resolvePlan(plan, facts).batches)) {
      const [r] = await runBatch(batch, kubectl, signal).catch(() => []);
      const s = r?.latency;
      const target =
        batch.plan.probes[0]!.kind === "latency"
          ? ((batch.plan.probes[0] as { target: { url?: string } }).target.url ?? "")
          : "";
      if (!s || s.ok === 0) {
        notes.push(
          `no ${path} latency: ${r?.error ?? r?.detail ?? r?.outcome ?? "the probe returned nothing"}`,
        );
        continue;
      }
      latency.push({
        path,
        target,
        requests: s.requests,
        concurrency: s.concurrency,
        ok: s.ok,
        errors: s.errors,
        p50Ms: s.p50Ms,
        p90Ms: s.p90Ms,
        p99Ms: s.p99Ms,
      });
    }
  }
  const throughput = await iperf(kubectl, tc, facts, notes);
  const dataplane: DataplaneSize[] = [];
  const node = facts.nodes[0]?.name;
  const how =
    labJson &&
    dataplaneCommand(
      String(labJson.capabilities["serviceProxy"]?.value ?? ""),
      labJson.components.find((c) => c.kind === "cni")?.name ?? "",
    );
  if (node && how) {
    const r = await dockerExec(tc, node, how.command);
    const count = Number.parseInt(r.stdout.trim(), 10);
    if (r.ok && Number.isFinite(count)) dataplane.push({ node, ...how, count });
    else
      notes.push(
        `no dataplane size: \`${how.command.join(" ")}\` on ${node} said ${r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`}`,
      );
  } else notes.push("no dataplane size: no counting command for this service proxy");
  return { performance: { latency, throughput, notes }, dataplane };
}

/** Two iperf3 clients against one server pod: from a pod on its node and from another node. */
async function iperf(
  kubectl: Kubectl,
  tc: Toolchain,
  facts: Awaited<ReturnType<typeof gatherClusterFacts>>,
  notes: string[],
): Promise<ThroughputSample[]> {
  const nodes = facts.nodes.map((n) => n.name);
  const serverNode = nodes[1] ?? nodes[0];
  if (!serverNode) return [];
  const ns = "labs-perf";
  const pod = (name: string, node: string, args: string[]) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: { app: "labs-iperf3" } },
    spec: {
      nodeName: node,
      restartPolicy: "Never",
      tolerations: [
        { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
      ],
      containers: [{ name: "iperf3", image: IPERF3_IMAGE, imagePullPolicy: "IfNotPresent", args }],
    },
  });
  const out: ThroughputSample[] = [];
  try {
    const apply = async (o: unknown) => kubectl.run(["apply", "-f", "-"], { input: JSON.stringify(o) });
    await apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    await apply(pod("iperf3-server", serverNode, ["-s"]));
    const ready = await kubectl.run(
      ["-n", ns, "wait", "--for=condition=Ready", "pod/iperf3-server", "--timeout=180s"],
      { timeoutMs: 200_000 },
    );
    if (!ready.ok) throw new Error(`the iperf3 server pod did not become ready (${ready.stderr.trim()})`);
    const ip = (
      await kubectl.run(["-n", ns, "get", "pod", "iperf3-server", "-o", "jsonpath={.status.podIP}"])
    ).stdout.trim();
    const image =
      (
        await tc.run("docker", ["image", "inspect", "--format", "{{index .RepoDigests 0}}", IPERF3_IMAGE])
      ).stdout.trim() || IPERF3_IMAGE;
    for (const [path, node] of [
      ["same-node", serverNode],
      ["cross-node", nodes.find((n) => n !== serverNode)],
    ] as const) {
      if (!node) {
        notes.push(`no ${path} throughput: the lab has one node`);
        continue;
      }
      const name = `iperf3-${path}`;
      await apply(pod(name, node, ["-c", ip, "-t", String(IPERF3_SECONDS), "-J"]));
      await kubectl.run(
        ["-n", ns, "wait", "--for=jsonpath={.status.phase}=Succeeded", `pod/${name}`, "--timeout=120s"],
        { timeoutMs: 130_000 },
      );
      const logs = await kubectl.run(["-n", ns, "logs", name]);
      try {
        const bps = (JSON.parse(logs.stdout) as { end: { sum_received: { bits_per_second: number } } }).end
          .sum_received.bits_per_second;
        out.push({ path, mbps: Math.round(bps / 1e6), seconds: IPERF3_SECONDS, image });
      } catch {
        notes.push(`no ${path} throughput: iperf3 printed no JSON result`);
      }
    }
  } catch (e) {
    notes.push(`no throughput: ${(e as Error).message}`);
  } finally {
    await kubectl
      .run(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"])
      .catch(() => undefined);
  }
  return out;
}

async function runOne(spec: LabSpec, o: CompareOptions, host: LabRun["host"]): Promise<LabRun> {
  const env = o.env ?? process.env;
  const say = o.onLine ?? (() => {});
  const state = new LabState(stateRoot(env), spec.name).ensure();
  const extra: PerformanceFile = { status: "ok" };
  let clusterUp = false;
  try {
    say(`${spec.name}: up`);
    await up({ spec, env, signal: o.signal, verify: false, ...o.upOptions });
    clusterUp = true;
    say(`${spec.name}: verify`);
    const v = await verifyLab({ lab: spec.name, env, signal: o.signal });
    say(`${spec.name}: ${v.summary}`);
    if (o.performance !== false) {
      say(`${spec.name}: performance sample`);
      const tc = new Toolchain({ env, signal: o.signal, onCommand: commandLogger(state.logsDir) });
      Object.assign(extra, await measure(state, tc, o.signal));
    }
  } catch (e) {
    extra.status = clusterUp ? "error" : "failed";
    extra.error = (e as Error).message.split("\n")[0];
    say(`${spec.name}: ${extra.status}: ${extra.error}`);
  }
  writeFileSync(join(state.dir, PERFORMANCE_FILE), `${JSON.stringify(extra, null, 2)}\n`);
  if (!o.keep) {
    say(`${spec.name}: down`);
    await down(spec.name, { env }).catch((e: Error) => say(`${spec.name}: down failed: ${e.message}`));
  }
  const run = collectLabRun(state.dir, host, spec.name);
  const logs = join(o.out, "logs", spec.name);
  makeDir(logs);
  for (const part of [
    "logs",
    "timings.json",
    "results",
    "diagnostics",
    PERFORMANCE_FILE,
    "synth/lab.lock.json",
  ]) {
    const from = join(state.dir, part);
    if (existsSync(from)) cpSync(from, join(logs, part), { recursive: true });
  }
  return { ...run, logs: `logs/${spec.name}` };
}

/**
 * Which labs may run at the same time, as groups of indexes into `specs`, in the order they
 * first appear. A host-wide side container (cloud-provider-kind) acts on every kind cluster on the
 * host, so a lab that runs one shares the host only with labs that run the same one with the
 * same arguments (host-wide.ts); labs without one share it with each other.
 */
export function hostGroups(specs: readonly LabSpec[]): number[][] {
  const keyOf = (spec: LabSpec) =>
    JSON.stringify(
      sideContainersOf(resolveLab(spec))
        .filter((c) => c.hostWide)
        .map((c) => [c.name, c.image, c.args]),
    );
  const groups = new Map<string, number[]>();
  specs.forEach((s, i) => {
    const key = keyOf(s);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return [...groups.values()];
}

export async function compareLabs(o: CompareOptions): Promise<{ results: RunResults; files: string[] }> {
  if (!o.specs.length) throw new LabError("no labs to compare", "name labs, or pass --all", EXIT.usage);
  // Without Docker every lab would "fail" one after another: that is the environment, say so
  // once, before anything runs (exit 3, not 1).
  await requireDocker(new Toolchain({ env: o.env ?? process.env, signal: o.signal }));
  const { parallel, note } = parallelism(o.parallel ?? 1, o.specs, o.freeMemoryBytes ?? freemem());
  if (note) o.onLine?.(note);
  const host = hostFingerprint(await hostToolVersions(o.env));
  const runs: LabRun[] = new Array(o.specs.length);
  const groups = hostGroups(o.specs);
  if (parallel > 1 && groups.length > 1)
    o.onLine?.(
      `labs that cannot share the Docker host run in ${groups.length} groups, one group after the other: ${groups.map((g) => g.map((i) => o.specs[i]!.name).join(" + ")).join(", then ")}`,
    );
  for (const group of groups) {
    let next = 0;
    const worker = async () => {
      while (next < group.length) {
        const i = group[next++]!;
        if (o.signal?.aborted) return;
        runs[i] = await runOne(o.specs[i]!, o, host);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, group.length) }, worker));
  }
  const results: RunResults = {
    kind: RUN_KIND,
    version: RUN_VERSION,
    createdAt: new Date().toISOString(),
    labs: runs.filter(Boolean),
  };
  return { results, files: writeRunDir(results, o.out) };
}
