/**
 * `labs verify`: runs a lab's probe plan against its running cluster and judges the results.
 *
 *   probes.plan.json (synth) + facts read with kubectl ─▶ resolvePlan ─▶ batches:
 *     one per probe client pod: `kubectl exec -i <pod> -c prober -- node /prober/prober.js --plan -`
 *       (the engine plan on stdin, one JSON result per line on stdout)
 *     the host's batch: in-process with the same engine (runPlanAll)
 *     node inspections: `docker exec <node> <command>`
 *   ─▶ judgeRun ─▶ verdicts (pass / fail / error / skipped) ─▶ the probe report (JSON) in
 *   <state>/results/
 *
 * A batch that cannot run (exec failed) turns each of its probes into an `error` result that
 * says why, so the report shows what could not be checked instead of silently dropping it.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compareWithFault } from "../faults/compare.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { EnginePlan, Probe } from "../probes/prober/plan.ts";
import { type ProbeResult, parseResultLines } from "../probes/prober/result.ts";
import { plannedTarget, runPlanAll } from "../probes/prober/runner.ts";
import { PROBES_PLAN_VERSION, type ProbesPlan } from "../probes/probes-plan.ts";
import { PROBER_COMMAND, PROBER_CONTAINER } from "../probes/stage/probe-clients.ts";
import type { FaultCheck } from "../probes/verdicts/fault-check.ts";
import { renderJson } from "../probes/verdicts/outputs/json.ts";
import { buildReport, type ProbeReport, reportPassed } from "../probes/verdicts/report.ts";
import { type Batch, type ClusterFacts, type ResolvedRun, resolvePlan } from "../probes/verdicts/resolver.ts";
import { type InspectionResult, judgeRun } from "../probes/verdicts/verdict.ts";
import { commandLogger } from "./command-log.ts";
import { dockerExec } from "./docker.ts";
import { currentFault } from "./fault-state.ts";
import { kindClusters } from "./kind.ts";
import { isPodReady, Kubectl, type KubeList, type NodeJson, type PodJson } from "./kubectl.ts";
import { Interrupted, lastLines } from "./process.ts";
import { fileStamp, LabState, stateRoot } from "./state.ts";
import { Toolchain } from "./toolchain.ts";

export interface VerifyOptions {
  lab: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Reuse a toolchain (and its command log) from `up`. */
  toolchain?: Toolchain;
  /** Probe batches run at once (client pods run in parallel). @default 8 */
  parallel?: number;
}

export interface VerifyOutcome {
  /** The probe report (lib/probes/verdicts/report.ts), as written to `file`. */
  report: ProbeReport;
  /** Every probe passed (skipped ones do not count against it). */
  passed: boolean;
  /** `12 pass, 0 fail, 0 error, 3 skipped` */
  summary: string;
  /** results/verify-<time>.json; results/latest.json is the same report. */
  file: string;
  /**
   * When the lab is broken on purpose (`labs break`): the verdicts against the fault's signature,
   * as `report.fault`, also written to results/fault-check.json.
   */
  fault?: FaultCheck;
}

export async function verifyLab(opts: VerifyOptions): Promise<VerifyOutcome> {
  const env = opts.env ?? process.env;
  const state = new LabState(stateRoot(env), opts.lab);
  const tc =
    opts.toolchain ?? new Toolchain({ env, signal: opts.signal, onCommand: commandLogger(state.logsDir) });
  await assertRunning(tc, state);
  const plan = readPlan(state);
  const kubectl = new Kubectl(tc, state.kubeconfig);
  const facts = await gatherClusterFacts(kubectl, state.readLabJson().network.podSubnet);
  const run = resolvePlan(plan, facts);
  const [results, inspections] = await Promise.all([
    runBatches(run, kubectl, opts.parallel ?? 8, opts.signal),
    runInspections(run, tc),
  ]);
  if (opts.signal?.aborted) throw new Interrupted();
  const report = buildReport(
    plan,
    judgeRun(plan, run, results, inspections, facts),
    new Date().toISOString(),
  );
  // On a lab broken on purpose the report carries the comparison with the fault's signature, so
  // `labs verify --json` and results/latest.json show it as the console does.
  const broken = currentFault(state);
  if (broken)
    report.fault = compareWithFault(
      report.verdicts,
      broken.signature,
      broken.crossings,
      broken.mystery ? undefined : broken.id,
    );
  mkdirSync(state.resultsDir, { recursive: true });
  const file = join(state.resultsDir, `verify-${fileStamp()}.json`);
  writeFileSync(file, renderJson(report));
  writeFileSync(join(state.resultsDir, "latest.json"), renderJson(report));
  const outcome: VerifyOutcome = {
    report,
    passed: reportPassed(report),
    summary: summaryText(report.summary),
    file,
  };
  if (report.fault) {
    outcome.fault = report.fault;
    writeFileSync(join(state.resultsDir, "fault-check.json"), `${JSON.stringify(report.fault, null, 2)}\n`);
  }
  return outcome;
}

export function summaryText(s: ProbeReport["summary"]): string {
  return `${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped`;
}

async function assertRunning(tc: Toolchain, state: LabState): Promise<void> {
  const marker = state.readMarker();
  const running = (await kindClusters(tc)).includes(state.clusterName);
  if (!running || !marker || !existsSync(state.kubeconfig)) {
    throw new LabError(
      `lab ${state.lab} is not running (no kind cluster ${state.clusterName} created by labs)`,
      `start it with \`labs up ${state.lab}\``,
      EXIT.usage,
    );
  }
}

function readPlan(state: LabState): ProbesPlan {
  const plan = state.readProbesPlan();
  if (!plan) {
    throw new LabError(
      `lab ${state.lab} has no probe plan at ${join(state.synthDir, "probes.plan.json")}`,
      `run \`labs up ${state.lab}\` with this version of labs (it writes the plan)`,
      EXIT.usage,
    );
  }
  if (plan.version !== PROBES_PLAN_VERSION) {
    throw new LabError(
      `the probe plan of ${state.lab} has version ${plan.version}; this labs reads version ${PROBES_PLAN_VERSION}`,
      `run \`labs up ${state.lab}\` to synthesize it again`,
      EXIT.usage,
    );
  }
  return plan;
}

interface ServiceJson {
  metadata: { name: string; namespace: string };
  spec?: {
    clusterIP?: string;
    ports?: { name?: string; port: number; nodePort?: number; protocol?: string }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

interface AddressedJson {
  metadata: { name: string; namespace: string };
  status?: {
    loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] };
    addresses?: { value: string }[];
  };
}

/** Nodes, pods, Services, Ingresses and Gateways as the resolver needs them. */
export async function gatherClusterFacts(k: Kubectl, podSubnet: string): Promise<ClusterFacts> {
  const list = async <T>(what: string, required: boolean) => {
    const got = await k.getJson<KubeList<T>>([what, "--all-namespaces"]);
    if (!got && required) {
      throw new LabError(
        `kubectl get ${what} failed: the cluster's API server did not answer`,
        "check `labs status`",
        EXIT.environment,
      );
    }
    return got?.items ?? [];
  };
  const [nodes, pods, services] = await Promise.all([
    list<NodeJson>("nodes", true),
    list<PodJson>("pods", true),
    list<ServiceJson>("services", true),
  ]);
  // Ingress and Gateway kinds may not exist in a lab: their absence is not an error.
  const ingresses = await list<AddressedJson>("ingresses.networking.k8s.io", false);
  const gateways = await list<AddressedJson>("gateways.gateway.networking.k8s.io", false);
  const addressesOf = (o: AddressedJson) => [
    ...(o.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? "").filter(Boolean),
    ...(o.status?.addresses ?? []).map((a) => a.value),
  ];
  return {
    podSubnet,
    nodes: nodes.map((n) => ({
      name: n.metadata.name,
      internalIp: n.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "",
    })),
    pods: pods.map((p) => ({
      name: p.metadata.name,
      namespace: p.metadata.namespace ?? "default",
      labels: p.metadata.labels ?? {},
      ...(p.status?.podIP ? { ip: p.status.podIP } : {}),
      ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
      ready: isPodReady(p),
    })),
    services: services.map((s) => ({
      name: s.metadata.name,
      namespace: s.metadata.namespace,
      ...(s.spec?.clusterIP ? { clusterIp: s.spec.clusterIP } : {}),
      loadBalancerIps: (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").filter(Boolean),
      ports: s.spec?.ports ?? [],
    })),
    ingresses: ingresses.map((o) => ({
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      addresses: addressesOf(o),
    })),
    gateways: gateways.map((o) => ({
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      addresses: addressesOf(o),
    })),
  };
}

/** Every batch's results; client batches run in parallel, a few at a time. */
async function runBatches(
  run: ResolvedRun,
  k: Kubectl,
  parallel: number,
  signal?: AbortSignal,
): Promise<ProbeResult[]> {
  const queue = [...run.batches];
  const results: ProbeResult[] = [];
  const worker = async () => {
    for (let batch = queue.shift(); batch; batch = queue.shift())
      results.push(...(await runBatch(batch, k, signal)));
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, queue.length)) }, worker));
  return results;
}

/** The plan's own deadline plus room for kubectl and pod start-up. */
function batchTimeoutMs(plan: EnginePlan): number {
  return (plan.deadlineMs ?? 300_000) + 60_000;
}

export async function runBatch(batch: Batch, k: Kubectl, signal?: AbortSignal): Promise<ProbeResult[]> {
  if ("host" in batch.source) return runPlanAll(batch.plan, { signal, source: { name: "host" } });
  const { client, namespace } = batch.source;
  const r = await k.exec(namespace, client, PROBER_COMMAND, {
    container: PROBER_CONTAINER,
    input: JSON.stringify(batch.plan),
    timeoutMs: batchTimeoutMs(batch.plan),
  });
  const { results } = parseResultLines(r.stdout);
  const seen = new Set(results.map((x) => x.id));
  const missing = batch.plan.probes.filter((p) => !seen.has(p.id));
  if (!missing.length) return results;
  const why = r.ok
    ? "the prober returned no result for it"
    : `kubectl exec into ${namespace}/${client} failed: ${lastLines(r.stderr || r.stdout) || `exit ${r.exitCode}`}`;
  return [...results, ...missing.map((p) => errorResult(p, client, namespace, why))];
}

function errorResult(probe: Probe, pod: string, namespace: string, error: string): ProbeResult {
  const planned = plannedTarget(probe);
  return {
    id: probe.id,
    kind: probe.kind,
    protocol: planned.protocol,
    source: { name: pod, namespace },
    target: planned.target,
    outcome: "error",
    startedAt: new Date().toISOString(),
    totalMs: 0,
    attempts: { count: 0, list: [] },
    error,
  };
}

async function runInspections(run: ResolvedRun, tc: Toolchain): Promise<InspectionResult[]> {
  return Promise.all(
    run.inspections.map(async (i): Promise<InspectionResult> => {
      const r = await dockerExec(tc, i.node, i.command);
      const noContainer = /No such container|is not running/i.test(r.stderr);
      return {
        id: i.id,
        node: i.node,
        exitCode: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
        ...(noContainer ? { error: lastLines(r.stderr) } : {}),
      };
    }),
  );
}
