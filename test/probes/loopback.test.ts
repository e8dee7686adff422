/**
 * End to end on loopback: the kindnet-iptables plan (a few of its checks) resolved against fake
 * cluster facts whose addresses are real local servers on 127.0.5.x, run through the prober
 * engine, judged, and rendered in all four outputs. The denied target drops SYNs (a listener whose
 * accept queue is full, in a stopped process: what kindnet does with a denied packet), one target
 * "leaks" on purpose (a policy that should block lets the request through) and one client is
 * missing, so fail and error are exercised on real results.
 */
import * as http from "node:http";
import { DOMParser } from "@xmldom/xmldom";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { sketchPlan } from "../../lib/cli/commands/probes.ts";
import { runPlanAll } from "../../lib/probes/prober/index.ts";
import type { ProbeResult } from "../../lib/probes/prober/result.ts";
import type { ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { renderReportConsole } from "../../lib/probes/verdicts/outputs/console.ts";
import { PROBE_REPORT_SCHEMA, renderJson } from "../../lib/probes/verdicts/outputs/json.ts";
import { renderJunit } from "../../lib/probes/verdicts/outputs/junit.ts";
import { renderMarkdown } from "../../lib/probes/verdicts/outputs/markdown.ts";
import { buildReport, type ProbeReport } from "../../lib/probes/verdicts/report.ts";
import { type ClusterFacts, resolvePlan } from "../../lib/probes/verdicts/resolver.ts";
import { judgeRun, type Verdict } from "../../lib/probes/verdicts/verdict.ts";
import { type Blackhole, startStalledListener } from "../prober/support/blackhole.ts";
import { fakeFacts } from "./fake-facts.ts";
import { upstreamReader } from "./support.ts";

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.info("loopback e2e skipped: it binds port 80 on 127.0.5.x, which needs root");

/** agnhost netexec's answers that the probes use. */
function netexec(names: string[]): http.RequestListener {
  let next = 0;
  return (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/hostname") res.end(names[next++ % names.length]);
    else if (path === "/clientip") res.end(`${req.socket.remoteAddress}:${req.socket.remotePort}`);
    else res.end("NOW: 2026");
  };
}

const servers: http.Server[] = [];
async function listen(host: string, port: number, handler: http.RequestListener): Promise<void> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
}

const CHOSEN = [
  "pod-to-node/worker",
  "pod-to-pod-same-node",
  "pod-to-pod-cross-node/probe-worker",
  "pod-to-cluster-ip/demo/echo/probe-control-plane",
  "pod-to-cluster-ip/demo/echo/probe-worker2",
  "endpoint-coverage/demo/echo",
  "netpol-ingress/probe-control-plane/netpol-open",
  "netpol-ingress/probe-control-plane/netpol-deny",
  "netpol-ingress/probe-control-plane/netpol-allow",
  "dataplane-inspection/kube-proxy-mode/control-plane",
];

let report: ProbeReport;
let drop: Blackhole | undefined;
const verdict = (id: string): Verdict => report.verdicts.find((v) => v.id === id)!;

describe.skipIf(!isRoot)("probes end to end on loopback", () => {
  beforeAll(async () => {
    const [entry] = await findLabs(["kindnet-iptables"]);
    const full = (await sketchPlan(entry!.spec, upstreamReader())).plan;
    const plan: ProbesPlan = { ...full, checks: full.checks.filter((c) => CHOSEN.includes(c.id)) };
    expect(plan.checks.map((c) => c.id).sort()).toEqual([...CHOSEN].sort());

    const ips: Record<string, string> = {
      "probe-control-plane": "127.0.0.1",
      "probe-peer": "127.0.5.2",
      "probe-worker": "127.0.5.3",
      "netpol-open": "127.0.5.4",
      "netpol-deny": "127.0.5.5", // SYNs dropped, as kindnet drops a denied packet
      "netpol-allow": "127.0.5.6", // listens: the policy "leaks"
    };
    const base = fakeFacts(plan, { ip: (name, i) => ips[name] ?? `127.0.6.${i + 1}` });
    const facts: ClusterFacts = {
      ...base,
      nodes: base.nodes.map((n, i) => ({ ...n, internalIp: `127.0.7.${i + 1}` })),
      pods: base.pods.filter((p) => p.name !== "probe-worker2"),
      services: base.services.map((s) => (s.name === "echo" ? { ...s, clusterIp: "127.0.5.10" } : s)),
    };
    await listen("127.0.5.2", 8080, netexec(["probe-peer"]));
    await listen("127.0.5.3", 8080, netexec(["probe-worker"]));
    await listen("127.0.5.4", 8080, netexec(["netpol-open"]));
    await listen("127.0.5.6", 8080, netexec(["netpol-allow"]));
    await listen("127.0.5.10", 80, netexec(["echo-7d9-a", "echo-7d9-b"]));
    await listen("127.0.7.2", 10250, netexec(["kubelet"]));
    drop = await startStalledListener("127.0.5.5", 8080);

    const run = resolvePlan(plan, facts);
    const results: ProbeResult[] = [];
    for (const batch of run.batches) {
      const name = "client" in batch.source ? batch.source.client : "host";
      results.push(...(await runPlanAll(batch.plan, { source: { name } })));
    }
    const inspections = run.inspections.map((i) => ({
      id: i.id,
      node: i.node,
      exitCode: 0,
      stdout: "iptables",
    }));
    report = buildReport(plan, judgeRun(plan, run, results, inspections, facts));
  }, 60_000);

  afterAll(async () => {
    await drop?.close();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it("passes what works, with evidence", () => {
    expect(verdict("pod-to-pod-same-node")).toMatchObject({
      verdict: "pass",
      observed: { details: expect.arrayContaining(["answered by probe-peer"]) },
    });
    expect(verdict("pod-to-pod-cross-node/probe-worker").verdict).toBe("pass");
    expect(verdict("pod-to-node/worker").verdict).toBe("pass");
    // The server saw the client's own address: no SNAT inside the cluster.
    const clusterIp = verdict("pod-to-cluster-ip/demo/echo/probe-control-plane");
    expect(clusterIp.verdict).toBe("pass");
    expect(clusterIp.evidence).toMatchObject({ clientIp: "127.0.0.1", target: { resolved: "127.0.5.10" } });
    expect(verdict("endpoint-coverage/demo/echo")).toMatchObject({ verdict: "pass" });
    expect(verdict("netpol-ingress/probe-control-plane/netpol-open").verdict).toBe("pass");
    expect(verdict("dataplane-inspection/kube-proxy-mode/control-plane").verdict).toBe("pass");
  });

  it("passes a confirmed block and fails a leak, showing both sides", () => {
    const deny = verdict("netpol-ingress/probe-control-plane/netpol-deny");
    expect(deny).toMatchObject({
      verdict: "pass",
      message: expect.stringContaining("dropped: no handshake before the timeout on all 2 attempts"),
    });
    const leak = verdict("netpol-ingress/probe-control-plane/netpol-allow");
    expect(leak.verdict).toBe("fail");
    expect(leak.expected).toMatchObject({
      outcome: "blocked",
      reason: expect.stringContaining("allow-labelled-client"),
    });
    expect(leak.observed).toMatchObject({
      outcome: "connected",
      details: expect.arrayContaining(["answered by netpol-allow"]),
    });
  });

  it("reports a missing client as an error and inapplicable probes as skipped", () => {
    expect(verdict("pod-to-cluster-ip/demo/echo/probe-worker2")).toMatchObject({
      verdict: "error",
      message: "the probe could not run: probe client pod labs-probes/probe-worker2 is missing",
    });
    expect(verdict("ingress-paths")).toMatchObject({
      verdict: "skipped",
      message: "no Ingress controller in this lab",
    });
    expect(report.summary).toMatchObject({ pass: 8, fail: 1, error: 1, total: report.verdicts.length });
    expect(report.summary.skipped).toBe(report.verdicts.filter((v) => v.verdict === "skipped").length);
  });

  it("renders JSON that matches its documented schema", () => {
    const parsed = JSON.parse(renderJson(report));
    const validate = new Ajv2020({ strict: true, validateFormats: false }).compile(PROBE_REPORT_SCHEMA);
    expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
    expect(parsed).toMatchObject({ kind: "labs-probe-report", version: 2, lab: "kindnet-iptables" });
    const broken = { ...parsed, verdicts: [{ ...parsed.verdicts[0], verdict: "maybe" }] };
    expect(validate(broken)).toBe(false);
  });

  it("renders JUnit XML with one testcase per check and failure, error and skipped elements", () => {
    const xml = renderJunit(report);
    const doc = new DOMParser().parseFromString(xml, "text/xml");
    const root = doc.documentElement!;
    expect(root.nodeName).toBe("testsuites");
    const cases = Array.from(doc.getElementsByTagName("testcase"));
    expect(cases.length).toBe(report.verdicts.length);
    const named = (id: string) => cases.find((c) => c.getAttribute("name") === id)!;
    const failure = named("netpol-ingress/probe-control-plane/netpol-allow").getElementsByTagName(
      "failure",
    )[0]!;
    expect(failure.getAttribute("message")).toContain("expected blocked");
    expect(failure.textContent).toContain("observed: connected");
    expect(named("pod-to-cluster-ip/demo/echo/probe-worker2").getElementsByTagName("error").length).toBe(1);
    expect(named("ingress-paths").getElementsByTagName("skipped")[0]!.getAttribute("message")).toBe(
      "no Ingress controller in this lab",
    );
    expect(Number(root.getAttribute("failures"))).toBe(1);
    expect(Number(root.getAttribute("errors"))).toBe(1);
    const suites = Array.from(doc.getElementsByTagName("testsuite"));
    expect(suites.reduce((n, s) => n + Number(s.getAttribute("tests")), 0)).toBe(cases.length);
  });

  it("renders a console table grouped by layer and Markdown tables", () => {
    const text = renderReportConsole(report, { color: false });
    expect(text).not.toContain("\u001b[");
    const layers = [
      "Node network",
      "Pod network",
      "Service network",
      "NetworkPolicy",
      "Dataplane (on the nodes)",
    ];
    const at = layers.map((l) => text.indexOf(`\n${l}\n`));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toMatch(/FAIL {2}probe-control-plane → netpol-allow\.labs-netpol/);
    expect(text).toContain("8 passed, 1 failed, 1 errors");
    expect(renderReportConsole(report, { color: true })).toContain("\u001b[31mFAIL\u001b[39m");

    const md = renderMarkdown(report);
    expect(md).toContain("# Probes: kindnet-iptables");
    expect(md).toContain("## NetworkPolicy");
    expect(md).toMatch(
      /\| ❌ fail \| probe-control-plane → netpol-allow\.labs-netpol .* \| blocked: dropped: no handshake before the timeout \| connected: .*answered by netpol-allow/,
    );
    for (const line of md.split("\n").filter((l) => l.startsWith("| ")))
      expect(line.split(/(?<!\\)\|/).length).toBe(7);
  });
});
