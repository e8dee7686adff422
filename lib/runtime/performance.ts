/**
 * The performance sample `labs compare` takes of every lab, the same on every lab: HTTP latency
 * through ClusterIP and NodePort (from a probe pod), Ingress, Gateway and LoadBalancer (from the
 * host) with the engine's latency probe at one request count and concurrency; pod-to-pod TCP
 * throughput on one node and across nodes with iperf3; the dataplane's size on the first node.
 */
import type { EnginePlan, HttpRequestSpec, Probe } from "../probes/prober/plan.ts";
import { type Batch, resolvePlan } from "../probes/verdicts/resolver.ts";
import {
  type DataplaneSize,
  type LatencyPath,
  type LatencySample,
  latencySample,
  type Performance,
  type ThroughputSample,
} from "../report/run-results.ts";
import { dockerExec } from "./docker.ts";
import { Kubectl } from "./kubectl.ts";
import { lastLines, messageUnlessInterrupted } from "./process.ts";
import type { LabState } from "./state.ts";
import type { Toolchain } from "./toolchain.ts";
import { gatherClusterFacts, runBatch } from "./verify.ts";

/** One request count and concurrency for every path of every lab: numbers stay comparable. */
export const LATENCY_SAMPLE = { requests: 500, concurrency: 10 } as const;
/**
 * iperf3 for throughput. Pinned by tag; the digest Docker resolves is recorded with every
 * sample (verify it with `docker buildx imagetools inspect` when changing the tag).
 */
export const IPERF3_IMAGE = "docker.io/networkstatic/iperf3:3.17.1";
export const IPERF3_SECONDS = 5;

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

/**
 * The performance sample of a lab that is up: latency per path, iperf3 throughput, and the
 * dataplane's size on the first node, counted as the lab's components say (lab.json's
 * `serviceDataplane.size`). What could not be measured is a note, never a number.
 */
export async function measurePerformance(
  state: LabState,
  tc: Toolchain,
  signal?: AbortSignal,
): Promise<{ performance: Performance; dataplane: DataplaneSize[] }> {
  const notes: string[] = [];
  const labJson = state.readLabJson();
  const plan = state.readProbesPlan();
  const kubectl = new Kubectl(tc, state.kubeconfig);
  const facts = await gatherClusterFacts(kubectl, labJson.network.podSubnet);
  const latency: LatencySample[] = [];
  if (plan) {
    for (const { path, batch } of latencyPlans(resolvePlan(plan, facts).batches)) {
      let r: Awaited<ReturnType<typeof runBatch>>[number] | undefined;
      try {
        [r] = await runBatch(batch, kubectl, signal);
      } catch (e) {
        notes.push(`no ${path} latency: ${messageUnlessInterrupted(e)}`);
        continue;
      }
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
      latency.push(latencySample(path, target, s));
    }
  }
  const throughput = await iperf(kubectl, tc, facts, notes);
  const dataplane: DataplaneSize[] = [];
  const node = facts.nodes[0]?.name;
  const how = labJson.serviceDataplane?.size;
  if (node && how) {
    const r = await dockerExec(tc, node, how.command);
    const count = Number.parseInt(r.stdout.trim(), 10);
    if (r.ok && Number.isFinite(count)) dataplane.push({ node, ...how, count });
    else
      notes.push(
        `no dataplane size: \`${how.command.join(" ")}\` on ${node} said ${r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`}`,
      );
  } else notes.push("no dataplane size: no component of this lab says how to count its Services on a node");
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
    notes.push(`no throughput: ${messageUnlessInterrupted(e)}`);
  } finally {
    const deleted = await kubectl.run(["delete", "namespace", ns, "--ignore-not-found", "--wait=false"]);
    if (!deleted.ok) notes.push(`namespace ${ns} was not deleted: ${lastLines(deleted.stderr)}`);
  }
  return out;
}
