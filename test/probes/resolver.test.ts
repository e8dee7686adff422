import { beforeAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { sketchPlan } from "../../lib/cli/commands/probes.ts";
import { checkPlan, type Probe } from "../../lib/probes/prober/plan.ts";
import type { PlannedCheck, ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { type ClusterFacts, resolvePlan, SAMPLE_SENTINEL } from "../../lib/probes/verdicts/resolver.ts";
import { fakeFacts } from "./fake-facts.ts";
import { upstreamReader } from "./support.ts";

let plan: ProbesPlan;
let facts: ClusterFacts;
beforeAll(async () => {
  const [entry] = await findLabs(["kindnet-iptables"]);
  plan = (await sketchPlan(entry!.spec, upstreamReader())).plan;
  facts = fakeFacts(plan);
});

const podIp = (name: string) => facts.pods.find((p) => p.name === name)!.ip!;

function probeOf(run: ReturnType<typeof resolvePlan>, id: string): { probe: Probe; source: string } {
  for (const b of run.batches) {
    const probe = b.plan.probes.find((p) => p.id === id);
    if (probe) return { probe, source: "client" in b.source ? b.source.client : "host" };
  }
  throw new Error(`no probe ${id}`);
}

describe("symbolic plan → concrete engine plans", () => {
  it("makes one valid engine plan per client pod and one for the host", () => {
    const run = resolvePlan(plan, facts);
    const sources = run.batches.map((b) => ("client" in b.source ? b.source.client : "host")).sort();
    expect(sources).toEqual([
      "host",
      "probe-control-plane",
      "probe-egress",
      "probe-peer",
      "probe-worker",
      "probe-worker2",
    ]);
    for (const b of run.batches) expect(checkPlan(b.plan)).toEqual([]);
    expect(run.checks.filter((c) => c.problem)).toEqual([]);
    const engineProbes = run.batches.reduce((n, b) => n + b.plan.probes.length, 0);
    expect(engineProbes + run.inspections.length).toBe(plan.checks.length);
  });

  it("resolves pods by node relative to the client, Services to their ClusterIP, node ports to node IPs", () => {
    const run = resolvePlan(plan, facts);
    expect(probeOf(run, "pod-to-pod-same-node").probe).toMatchObject({
      kind: "http",
      url: `http://${podIp("probe-peer")}:8080/hostname`,
      expect: "reachable",
    });
    expect(probeOf(run, "pod-to-pod-cross-node/probe-worker2").probe).toMatchObject({
      url: `http://${podIp("probe-worker2")}:8080/hostname`,
    });
    expect(probeOf(run, "pod-to-cluster-ip/demo/echo/probe-worker")).toEqual({
      source: "probe-worker",
      probe: expect.objectContaining({ url: "http://10.96.10.10:80/clientip" }),
    });
    expect(probeOf(run, "nodeport-other-node/demo/echo-nodeport").probe).toMatchObject({
      url: "http://172.18.0.3:30080/hostname",
    });
    expect(probeOf(run, "host-nodeport/demo/echo-nodeport")).toEqual({
      source: "host",
      probe: expect.objectContaining({ url: "http://127.0.0.1:30080/hostname" }),
    });
    expect(probeOf(run, "pod-to-node/worker2").probe).toMatchObject({
      kind: "tcp",
      host: "172.18.0.4",
      port: 10250,
    });
  });

  it("fills expectations with runtime facts", () => {
    const run = resolvePlan(plan, facts);
    const byId = (id: string) => run.checks.find((c) => c.check.id === id)!;
    expect(byId("pod-to-cluster-ip/demo/echo/probe-worker").expect.clientIp).toMatchObject({
      equals: podIp("probe-worker"),
    });
    expect(byId("headless-service/demo/echo-headless").expect.answers).toEqual([
      podIp("echo-7d9-a"),
      podIp("echo-7d9-b"),
    ]);
    expect(byId("endpoint-coverage/demo/echo").expect.coverage).toEqual(["echo-7d9-a", "echo-7d9-b"]);
    expect(probeOf(run, "endpoint-coverage/demo/echo").probe).toMatchObject({
      kind: "coverage",
      backends: ["echo-7d9-a", "echo-7d9-b"],
    });
    expect(byId("hairpin").expect.backends).toEqual(["probe-control-plane"]);
    expect(byId("dns-under-egress-deny/probe-egress").expect.answers).toEqual(["10.96.0.1"]);
  });

  it("sets the engine's flake discipline from the expectation", () => {
    const run = resolvePlan(plan, facts);
    expect(probeOf(run, "netpol-ingress/probe-worker/netpol-deny").probe).toHaveProperty("expect", "blocked");
    expect(probeOf(run, "netpol-ingress/probe-peer/netpol-allow").probe).toHaveProperty(
      "expect",
      "reachable",
    );
    expect(probeOf(run, "service-short-name/other-namespace/echo").probe).toHaveProperty("expect", "blocked");
    for (const b of run.batches) expect(b.plan.defaults).toEqual({ timeoutMs: 2000, retryWindowMs: 5000 });
  });

  it("reports what cannot be resolved as a problem of that check only", () => {
    const missingClient = { ...facts, pods: facts.pods.filter((p) => p.name !== "probe-worker2") };
    const run = resolvePlan(plan, missingClient);
    const broken = run.checks.filter((c) => c.problem);
    expect(new Set(broken.map((c) => c.problem))).toEqual(
      new Set([
        "probe client pod labs-probes/probe-worker2 is missing",
        "no ready pod labs-probes/probe-worker2",
      ]),
    );
    expect(broken.every((c) => c.source === "probe-worker2" || c.check.id.includes("probe-worker2"))).toBe(
      true,
    );
    expect(run.batches.some((b) => "client" in b.source && b.source.client === "probe-worker2")).toBe(false);

    const notReady = {
      ...facts,
      pods: facts.pods.map((p) => (p.name === "probe-peer" ? { ...p, ready: false } : p)),
    };
    expect(
      resolvePlan(plan, notReady).checks.find((c) => c.check.id === "netpol-ingress/probe-peer/netpol-open")!
        .problem,
    ).toBe("probe client pod labs-probes/probe-peer is not ready");
    const noService = { ...facts, services: facts.services.filter((s) => s.name !== "echo") };
    expect(
      resolvePlan(plan, noService).checks.find((c) => c.check.id === "endpoint-coverage/demo/echo")!.problem,
    ).toBe("Service demo/echo does not exist in the cluster");
  });
});

describe("runtime-dependent expectations", () => {
  const lb: PlannedCheck = {
    id: "lb",
    probe: "host-loadbalancer",
    from: { host: true },
    action: {
      kind: "http",
      to: { address: { loadBalancerIp: { namespace: "demo", service: "echo-lb" } }, port: 80 },
      path: "/hostname",
    },
    expect: { outcome: "reachable", reason: "has an external IP" },
    describes: "host → echo-lb",
  };
  const local = (node: string): PlannedCheck => ({
    id: `local-${node}`,
    probe: "nodeport-other-node",
    from: { client: "probe-control-plane" },
    action: {
      kind: "http",
      to: {
        address: { nodeIp: "other", node },
        port: { nodePort: { namespace: "demo", service: "echo-nodeport", port: "http" } },
      },
      path: "/hostname",
    },
    expect: {
      outcome: "reachable",
      reason: "externalTrafficPolicy Local",
      localEndpointsOnly: { namespace: "demo", selector: { app: "echo" } },
      backendIn: { namespace: "demo", selector: { app: "echo" } },
    },
    describes: "local",
  });
  const only = (checks: PlannedCheck[]): ProbesPlan => ({ ...plan, checks });

  it("needs a LoadBalancer IP, and uses the first one", () => {
    expect(resolvePlan(only([lb]), facts).checks[0]!.problem).toBe(
      "Service demo/echo-lb does not exist in the cluster",
    );
    const echoLb = (loadBalancerIps: string[]) => ({
      ...facts,
      services: [
        ...facts.services,
        {
          name: "echo-lb",
          namespace: "demo",
          clusterIp: "10.96.10.12",
          loadBalancerIps,
          ports: [{ name: "http", port: 80 }],
        },
      ],
    });
    expect(resolvePlan(only([lb]), echoLb([])).checks[0]!.problem).toBe(
      "Service demo/echo-lb has no LoadBalancer IP (still pending?)",
    );
    const run = resolvePlan(only([lb]), echoLb(["172.18.255.200", "172.18.255.201"]));
    expect(run.batches[0]!.plan.probes[0]).toMatchObject({ url: "http://172.18.255.200:80/hostname" });
  });

  it("expects a Local-policy node port to answer only on nodes that run a backend", () => {
    const c = plan.clusterName;
    const run = resolvePlan(only([local(`${c}-worker`), local(`${c}-control-plane`)]), facts);
    const [worker, controlPlane] = run.checks;
    expect(worker!.expect).toMatchObject({ outcome: "reachable", backends: ["echo-7d9-a"] });
    expect(controlPlane!.expect.outcome).toBe("blocked");
    expect(controlPlane!.expect.reason).toContain(`no pod of the Service runs on ${c}-control-plane`);
    expect(
      run.batches[0]!.plan.probes.map((p) => [p.kind === "http" && p.url, "expect" in p && p.expect]),
    ).toEqual([
      ["http://172.18.0.3:30080/hostname", "reachable"],
      ["http://172.18.0.2:30080/hostname", "blocked"],
    ]);
  });

  it("runs a traffic split as a sample of exactly N requests", () => {
    const split: PlannedCheck = {
      id: "split",
      probe: "gateway-split",
      from: { host: true },
      action: {
        kind: "coverage",
        to: { address: { ip: "127.0.0.1" }, port: 8080 },
        path: "/hostname",
        sample: 500,
      },
      expect: {
        outcome: "reachable",
        reason: "80/20",
        split: {
          tolerance: 5,
          shares: [{ label: "echo", percent: 80, pods: { namespace: "demo", selector: { app: "echo" } } }],
        },
      },
      describes: "split",
    };
    const run = resolvePlan(only([split]), facts);
    expect(run.batches[0]!.plan.probes[0]).toMatchObject({
      kind: "coverage",
      backends: [SAMPLE_SENTINEL],
      maxRequests: 500,
    });
    expect(run.checks[0]!.expect.split).toEqual({
      requests: 500,
      tolerance: 5,
      shares: [{ label: "echo", percent: 80, backends: ["echo-7d9-a", "echo-7d9-b"] }],
    });
  });
});
