/**
 * Records the report fixtures (test/fixtures/runs/<run>/) from REAL prober runs on this machine.
 *
 *   npx tsx scripts/record-fixtures.ts
 *
 * No cluster can run here, so each lab is emulated on loopback, shaped by the lab's own
 * synthesized objects: every pod gets a 127.0.x.y address with an agnhost-netexec-like server
 * (/hostname, /clientip, /echo, /header, UDP hostname), every Service a TCP proxy on its
 * ClusterIP (and NodePort on each node address, LoadBalancer address, host port), Ingress
 * objects an HTTP router on the host's port 80. Then the lab's real probe plan is resolved
 * with the real resolver, run by the real prober engine, judged by the real verdict code, and
 * written by the real report writers. NetworkPolicy, in a lab whose CNI enforces it, is emulated
 * the way that CNI denies a packet: nftables rules that drop the SYN (set per batch, for the
 * client that runs it); without nft (not root) the denied targets just do not listen, and the
 * verdicts say so. What the emulation does not provide fails for real: cluster DNS names do not
 * resolve, node inspections cannot run (no kind node). Performance numbers are real
 * measurements of the loopback paths (latency with the engine's latency probe, throughput with
 * iperf3 when installed). The script re-runs itself in a fresh network namespace when it can,
 * so no lookup or packet leaves the machine.
 */
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findLabs } from "../lib/catalogue.ts";
import { prepareArtifacts } from "../lib/cli/artifacts.ts";
import type { K8sObject } from "../lib/model/k8s-object.ts";
import { runPlanAll } from "../lib/probes/prober/index.ts";
import type { ProbeResult } from "../lib/probes/prober/result.ts";
import type { ProbesPlan } from "../lib/probes/probes-plan.ts";
import { buildReport } from "../lib/probes/verdicts/report.ts";
import { type ClusterFacts, resolvePlan } from "../lib/probes/verdicts/resolver.ts";
import { type InspectionResult, judgeRun } from "../lib/probes/verdicts/verdict.ts";
import { hostFingerprint } from "../lib/report/host.ts";
import {
  type LabRun,
  type LatencyPath,
  type LatencySample,
  latencySample,
  RUN_KIND,
  RUN_VERSION,
  type RunResults,
  type StageTiming,
  type ThroughputSample,
} from "../lib/report/run-results.ts";
import { writeRunDir } from "../lib/report/write.ts";
import { type SynthOutput, synthLab } from "../lib/synth/synth.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = join(ROOT, "test/fixtures/runs");
const SHARED = join(ROOT, "../shared/upstream");
const RUNS: Record<string, string[]> = {
  "loopback-two-cnis": ["kindnet-iptables", "flannel-iptables"],
  "loopback-nftables": ["kindnet-nftables"],
};
const LATENCY = { requests: 300, concurrency: 8 };

// ---- a fresh network namespace: only loopback, nothing leaves the machine ----
if (!process.env.LABS_RECORD_INNER) {
  const unshare = spawnSync("unshare", ["--net", "true"]);
  if (unshare.status === 0) {
    const r = spawnSync(
      "unshare",
      [
        "--net",
        "sh",
        "-c",
        'ip link set lo up && exec "$0" "$@"',
        process.execPath,
        ...process.execArgv,
        fileURLToPath(import.meta.url),
      ],
      { stdio: "inherit", env: { ...process.env, LABS_RECORD_INNER: "1" } },
    );
    process.exit(r.status ?? 1);
  }
  console.log(
    "record-fixtures: no network namespace here (unshare --net failed); recording on the host's loopback",
  );
}

// ---- the netexec-like pod server ----
type Closer = () => Promise<void>;
const closers: Closer[] = [];

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
    closers.push(() => new Promise((r) => server.close(() => r())));
  });
}

/** With `override` (agnhost's --http-override), every request is served as that path. */
function netexec(name: string, override?: string) {
  return http.createServer((req, res) => {
    const url = new URL(override ?? req.url ?? "/", "http://x");
    const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const body =
      url.pathname === "/hostname"
        ? name
        : url.pathname === "/clientip"
          ? remote
          : url.pathname === "/echo"
            ? (url.searchParams.get("msg") ?? "")
            : url.pathname === "/header"
              ? String(req.headers[(url.searchParams.get("key") ?? "").toLowerCase()] ?? "")
              : url.pathname === "/readyz"
                ? "ok"
                : `NOW: ${new Date().toISOString()}`;
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(body);
  });
}

async function udpEcho(name: string, host: string, port: number): Promise<void> {
  const sock = dgram.createSocket("udp4");
  sock.on("message", (msg, from) => {
    const text = msg.toString().trim();
    const reply =
      text === "hostname"
        ? name
        : text.startsWith("echo ")
          ? text.slice(5)
          : text === "clientip"
            ? `${from.address}:${from.port}`
            : "";
    sock.send(reply, from.port, from.address);
  });
  await new Promise<void>((r) => sock.bind(port, host, () => r()));
  closers.push(() => new Promise((r) => sock.close(() => r())));
}

// ---- the emulated cluster ----
interface Pod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  node: string;
  ports: { name?: string; port: number; protocol: string }[];
  /** agnhost's --http-override, from the container's args. */
  override?: string;
}
interface Backend {
  ip: string;
  port: number;
  node: string;
}

class Emulation {
  readonly pods: Pod[] = [];
  readonly facts: ClusterFacts;
  /** Sequential batches: the pod whose probes run now, whose address a ClusterIP keeps as source. */
  current?: string;
  /** nftables is usable here (root, in the recording's own network namespace). */
  readonly nft = spawnSync("nft", ["list", "tables"]).status === 0;
  private next = new Map<string, number>();

  constructor(
    readonly lab: string,
    readonly nodes: string[],
    readonly enforcesPolicy: boolean,
  ) {
    this.facts = {
      nodes: nodes.map((n, i) => ({ name: n, internalIp: `127.0.1.${i + 1}` })),
      pods: [],
      services: [],
      ingresses: [],
      gateways: [],
      podSubnet: "127.0.2.0/23",
    };
  }

  private ip(prefix: string): string {
    const n = (this.next.get(prefix) ?? 0) + 1;
    this.next.set(prefix, n);
    return `${prefix}.${n}`;
  }

  nodeIp(node: string): string {
    return this.facts.nodes.find((n) => n.name === node)!.internalIp;
  }

  addPod(p: Omit<Pod, "ip">, app: boolean): Pod {
    const pod = { ...p, ip: this.ip(app ? "127.0.3" : "127.0.2") };
    this.pods.push(pod);
    this.facts.pods.push({
      name: pod.name,
      namespace: pod.namespace,
      labels: pod.labels,
      ip: pod.ip,
      node: pod.node,
      ready: true,
    });
    return pod;
  }

  /** The kubelet's port on every node, as pods reach it on the node network. */
  async startNodes(): Promise<void> {
    for (const n of this.facts.nodes)
      await listen(
        net.createServer((s) => s.end()),
        n.internalIp,
        10250,
      );
  }

  async startPods(): Promise<void> {
    for (const pod of this.pods) {
      // A default-deny target: in a lab whose CNI enforces policy nothing answers there.
      // A default-deny target without nft to drop its SYNs: nothing answers there.
      if (this.enforcesPolicy && !this.nft && pod.labels["labs.dev/netpol-target"] === "deny") continue;
      for (const port of pod.ports) {
        if (port.protocol === "UDP") await udpEcho(pod.name, pod.ip, port.port);
        else await listen(netexec(pod.name, pod.override), pod.ip, port.port);
      }
    }
  }

  backends(
    namespace: string,
    selector: Record<string, string>,
    targetPort: number | string | undefined,
  ): Backend[] {
    return this.pods
      .filter(
        (p) => p.namespace === namespace && Object.entries(selector).every(([k, v]) => p.labels[k] === v),
      )
      .flatMap((p) => {
        const port =
          typeof targetPort === "string"
            ? p.ports.find((x) => x.name === targetPort)?.port
            : (targetPort ?? p.ports[0]?.port);
        return port ? [{ ip: p.ip, port, node: p.node }] : [];
      });
  }

  /**
   * The lab's NetworkPolicies as its CNI enforces them, for the client whose batch runs now: the
   * SYN of a denied connection is dropped (kindnet, Calico and Cilium all drop). Targets: deny
   * drops everyone, allow drops clients without the allow label; the egress-restricted client
   * may open no connection but DNS.
   */
  policyFor(client: string | undefined): void {
    if (!this.nft) return;
    spawnSync("nft", ["delete", "table", "ip", "labs_policy"]);
    if (!this.enforcesPolicy) return;
    const pod = this.pods.find((p) => p.name === client);
    const target = (role: string) => this.pods.find((p) => p.labels["labs.dev/netpol-target"] === role)?.ip;
    const syn = "tcp flags & (syn | ack) == syn";
    const rules = [`ip daddr ${target("deny")} ${syn} drop`];
    if (pod?.labels["labs.dev/netpol-client"] !== "allowed")
      rules.push(`ip daddr ${target("allow")} ${syn} drop`);
    if (pod?.labels["labs.dev/netpol-egress"] === "dns-only") rules.push(`tcp dport != 53 ${syn} drop`);
    const table = `table ip labs_policy {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ${rules.join("\n  ")}\n }\n}\n`;
    const r = spawnSync("nft", ["-f", "-"], { input: table, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`nft: ${r.stderr}`);
  }

  sourceOfClient(): string | undefined {
    return this.pods.find((p) => p.name === this.current)?.ip;
  }

  async tcpProxy(
    host: string,
    port: number,
    backends: () => Backend[],
    source: () => string | undefined,
  ): Promise<void> {
    const server = net.createServer((client) => {
      const list = backends();
      const b = list[Math.floor(Math.random() * list.length)];
      if (!b) return client.destroy();
      const local = source();
      const upstream = net.connect({ host: b.ip, port: b.port, ...(local ? { localAddress: local } : {}) });
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", end);
      upstream.on("error", end);
    });
    await listen(server, host, port);
  }

  async startServices(objects: K8sObject[]): Promise<void> {
    for (const svc of objects.filter((o) => o.kind === "Service" && o.apiVersion === "v1")) {
      const ns = svc.metadata?.namespace ?? "default";
      const spec = svc.spec ?? {};
      const selector = spec.selector as Record<string, string> | undefined;
      const headless = spec.clusterIP === "None";
      const clusterIp = headless || spec.type === "ExternalName" ? undefined : this.ip("127.0.4");
      const lbIp = spec.type === "LoadBalancer" ? this.ip("127.0.5") : undefined;
      const ports = (spec.ports ?? []) as {
        name?: string;
        port: number;
        targetPort?: number | string;
        nodePort?: number;
        protocol?: string;
      }[];
      this.facts.services.push({
        name: svc.metadata?.name ?? "",
        namespace: ns,
        ...(clusterIp ? { clusterIp } : {}),
        ...(lbIp ? { loadBalancerIps: [lbIp] } : {}),
        ports: ports.map((p) => ({
          name: p.name,
          port: p.port,
          nodePort: p.nodePort,
          protocol: p.protocol ?? "TCP",
        })),
      });
      if (!selector || !clusterIp) continue;
      const local = spec.externalTrafficPolicy === "Local";
      for (const p of ports.filter((x) => (x.protocol ?? "TCP") === "TCP")) {
        const all = () => this.backends(ns, selector, p.targetPort);
        // ClusterIP: DNAT only, the backend sees the client pod.
        await this.tcpProxy(clusterIp, p.port, all, () => this.sourceOfClient());
        if (p.nodePort)
          for (const node of this.nodes) {
            const nodeIp = this.nodeIp(node);
            await this.tcpProxy(
              nodeIp,
              p.nodePort,
              () => (local ? all().filter((b) => b.node === node) : all()),
              () => (local ? this.sourceOfClient() : nodeIp),
            );
          }
        if (lbIp)
          await this.tcpProxy(lbIp, p.port, all, () => (local ? undefined : this.nodeIp(this.nodes[0]!)));
      }
    }
  }

  /** Docker's port mapping of a host port to a node's port. */
  async hostPort(hostPort: number, node: string, nodePort: number): Promise<void> {
    const nodeIp = this.nodeIp(node);
    await this.tcpProxy(
      "127.0.0.1",
      hostPort,
      () => [{ ip: nodeIp, port: nodePort, node }],
      () => "127.0.0.1",
    );
  }

  /** An Ingress controller: host and path rules of the lab's Ingress objects, 404 otherwise. */
  async startIngress(objects: K8sObject[], hostPort: number): Promise<boolean> {
    const ingresses = objects.filter((o) => o.kind === "Ingress");
    if (!ingresses.length) return false;
    const address = this.ip("127.0.6");
    for (const i of ingresses)
      this.facts.ingresses!.push({
        namespace: i.metadata?.namespace ?? "default",
        name: i.metadata?.name ?? "",
        addresses: [address],
      });
    const route = (host: string, path: string) => {
      for (const ing of ingresses)
        for (const rule of (ing.spec?.rules ?? []) as {
          host?: string;
          http?: {
            paths: {
              path?: string;
              pathType?: string;
              backend: { service: { name: string; port: { number?: number; name?: string } } };
            }[];
          };
        }[]) {
          if (rule.host && rule.host !== host) continue;
          for (const p of rule.http?.paths ?? []) {
            const prefix = p.path ?? "/";
            const hit =
              p.pathType === "Exact"
                ? path === prefix
                : path === prefix ||
                  path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`) ||
                  prefix === "/";
            if (hit) return { namespace: ing.metadata?.namespace ?? "default", ...p.backend.service };
          }
        }
      return undefined;
    };
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const target = route(String(req.headers.host ?? "").split(":")[0]!, url.pathname);
      const svc =
        target && this.facts.services.find((s) => s.namespace === target.namespace && s.name === target.name);
      const port = svc?.ports.find((p) =>
        target.port.number ? p.port === target.port.number : p.name === target.port.name,
      );
      if (!svc?.clusterIp || !port) {
        res.writeHead(404, { "content-type": "text/html" });
        return res.end("404 Not Found (emulated ingress)");
      }
      const up = http.request(
        {
          host: svc.clusterIp,
          port: port.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
          localAddress: address,
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => {
        res.writeHead(502);
        res.end("bad gateway");
      });
      req.pipe(up);
    });
    await listen(server, "127.0.0.1", hostPort);
    const second = http.createServer((req, res) => server.emit("request", req, res));
    await listen(second, address, 80);
    return true;
  }
}

function podsOf(objects: K8sObject[], nodes: string[]): { pod: Omit<Pod, "ip">; app: boolean }[] {
  const out: { pod: Omit<Pod, "ip">; app: boolean }[] = [];
  let spread = 0;
  for (const o of objects) {
    const template =
      o.kind === "Pod"
        ? { metadata: o.metadata, spec: o.spec }
        : ["Deployment", "StatefulSet"].includes(o.kind)
          ? o.spec?.template
          : undefined;
    if (!template?.spec?.containers) continue;
    const containers = template.spec.containers as {
      args?: string[];
      ports?: { name?: string; containerPort: number; protocol?: string }[];
    }[];
    const ports = containers.flatMap((c) =>
      (c.ports ?? []).map((p) => ({ name: p.name, port: p.containerPort, protocol: p.protocol ?? "TCP" })),
    );
    const override = containers
      .flatMap((c) => c.args ?? [])
      .find((a) => a.startsWith("--http-override="))
      ?.slice("--http-override=".length);
    const base = {
      namespace: o.metadata?.namespace ?? "default",
      labels: (template.metadata?.labels ?? {}) as Record<string, string>,
      ports,
      ...(override ? { override } : {}),
    };
    if (o.kind === "Pod") {
      out.push({
        pod: { ...base, name: o.metadata?.name ?? "", node: (o.spec?.nodeName as string) ?? nodes[0]! },
        app: false,
      });
      continue;
    }
    const replicas = (o.spec?.replicas as number | undefined) ?? 1;
    for (let i = 0; i < replicas; i++) {
      const name =
        o.kind === "StatefulSet"
          ? `${o.metadata?.name}-${i}`
          : `${o.metadata?.name}-5d8f7c9b6-${"abcdefghij"[i]}${i}x`;
      out.push({ pod: { ...base, name, node: nodes[spread++ % nodes.length]! }, app: true });
    }
  }
  return out;
}

async function timed<T>(stages: StageTiming[], id: string, title: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await fn();
  stages.push({ id, title, seconds: Math.round(performance.now() - start) / 1000, status: "done" });
  return value;
}

function iperf(server: string, client: string): number | undefined {
  if (spawnSync("iperf3", ["--version"]).status !== 0) return undefined;
  const s = spawnSync(
    "sh",
    [
      "-c",
      `iperf3 -s -1 -B ${server} -p 5201 >/dev/null 2>&1 & sleep 0.5; iperf3 -J -t 2 -c ${server} -B ${client} -p 5201`,
    ],
    { encoding: "utf8", timeout: 20_000 },
  );
  try {
    return (
      (JSON.parse(s.stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
        .bits_per_second / 1e6
    );
  } catch {
    return undefined;
  }
}

async function synth(name: string): Promise<SynthOutput> {
  const [entry] = await findLabs([name]);
  const env = {
    ...process.env,
    LABS_OFFLINE: "1",
    LABS_CACHE_DIR: join(OUT, ".cache"),
    ...(existsSync(SHARED) ? { LABS_MIRROR: SHARED } : {}),
  };
  const quiet = { out: () => {}, err: () => {} };
  const prepared = await prepareArtifacts(entry!.spec, {}, quiet, { scope: "synth", env });
  return synthLab(entry!.spec, {
    readArtifact: prepared.readArtifact,
    readRenderedChart: prepared.readRenderedChart,
  });
}

async function recordLab(name: string, logDir: string): Promise<LabRun> {
  const stages: StageTiming[] = [];
  const out = await timed(stages, "synth", "artifacts and synth", () => synth(name));
  const plan = JSON.parse(out.files.get("probes.plan.json")!) as ProbesPlan;
  const nodes = [...new Set(plan.clients.map((c) => c.node))];
  const emu = new Emulation(name, nodes, out.lab.capabilities.networkPolicy);
  const objects = out.objects.filter((o) => o.origin === "labs").map((o) => o.object);
  await timed(stages, "nodes", "nodes on loopback (kubelet port)", () => emu.startNodes());
  await timed(stages, "pods", "pods on loopback (netexec-like servers)", async () => {
    for (const { pod, app } of podsOf(objects, nodes)) emu.addPod(pod, app);
    await emu.startPods();
  });
  await timed(stages, "services", "Services: ClusterIP, NodePort, LoadBalancer proxies", async () => {
    await emu.startServices(objects);
    const np = emu.facts.services
      .flatMap((s) => s.ports)
      .find((p) => p.nodePort === out.lab.spec.hostPorts.nodePort);
    if (np?.nodePort) await emu.hostPort(out.lab.spec.hostPorts.nodePort, nodes[0]!, np.nodePort);
  });
  const ingress = await timed(stages, "north-south", "north-south: Ingress router", () =>
    emu.startIngress(objects, out.lab.spec.hostPorts.ingressHttp),
  );

  const run = resolvePlan(plan, emu.facts);
  const results: ProbeResult[] = [];
  await timed(stages, "verify", "probes (real prober engine)", async () => {
    for (const batch of run.batches) {
      const client = "client" in batch.source ? batch.source.client : undefined;
      emu.current = client;
      emu.policyFor(client);
      const pod = emu.pods.find((p) => p.name === client);
      const source = pod
        ? { name: pod.name, namespace: pod.namespace, node: pod.node, ip: pod.ip }
        : { name: "host" };
      results.push(...(await runPlanAll(batch.plan, { source })));
    }
  });
  const inspections: InspectionResult[] = run.inspections.map((i) => ({
    id: i.id,
    node: i.node,
    exitCode: -1,
    stdout: "",
    error: "recorded on loopback: there is no kind node to docker exec into",
  }));
  const report = buildReport(
    plan,
    judgeRun(plan, run, results, inspections, emu.facts),
    new Date().toISOString(),
  );

  emu.policyFor(undefined);
  // Performance: the same request count and concurrency on every path.
  const first = emu.pods.find((p) => p.name === plan.clients[0]?.name);
  emu.current = first?.name;
  const echo = emu.facts.services.find((s) => s.name === "echo" && s.clusterIp);
  const nodePortSvc = emu.facts.services.find((s) => s.ports.some((p) => p.nodePort));
  const lb = emu.facts.services.find((s) => s.loadBalancerIps?.length);
  const paths: [LatencyPath, string][] = [];
  if (echo) paths.push(["ClusterIP", `http://${echo.clusterIp}/hostname`]);
  if (nodePortSvc)
    paths.push([
      "NodePort",
      `http://${emu.nodeIp(nodes[0]!)}:${nodePortSvc.ports.find((p) => p.nodePort)!.nodePort}/hostname`,
    ]);
  if (ingress)
    paths.push(["Ingress", `http://127.0.0.1:${out.lab.spec.hostPorts.ingressHttp}/echo/hostname`]);
  if (lb) paths.push(["LoadBalancer", `http://${lb.loadBalancerIps![0]}/hostname`]);
  const latency: LatencySample[] = [];
  for (const [path, url] of paths) {
    const [r] = await runPlanAll({
      version: 1,
      probes: [{ id: `latency-${path}`, kind: "latency", ...LATENCY, target: { kind: "http", url } }],
    });
    const s = r!.latency!;
    latency.push(latencySample(path, url, s));
  }
  const throughput: ThroughputSample[] = [];
  const notes = [
    "recorded on loopback: latency and throughput measure the emulated paths on one machine, not a cluster",
  ];
  const peer = emu.pods.find((p) => p.name === "probe-peer");
  const other = emu.pods.find((p) => p.namespace === "labs-probes" && p.node !== nodes[0]);
  for (const [path, target] of [
    ["same-node", peer],
    ["cross-node", other],
  ] as const) {
    const mbps = first && target ? iperf(target.ip, first.ip) : undefined;
    if (mbps !== undefined)
      throughput.push({
        path,
        mbps: Math.round(mbps),
        seconds: 2,
        image: "iperf3 (Debian package, loopback)",
      });
    else notes.push(`no ${path} throughput: iperf3 is not installed here`);
  }

  mkdirSync(logDir, { recursive: true });
  writeFileSync(join(logDir, "prober.jsonl"), results.map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(join(logDir, "facts.json"), `${JSON.stringify(emu.facts, null, 2)}\n`);
  for (const close of closers.splice(0)) await close();

  return {
    lab: name,
    description: out.lab.spec.description,
    clusterName: out.lab.clusterName,
    status: "ok",
    startedAt: report.generatedAt,
    host: hostFingerprint({
      docker: "absent (loopback emulation)",
      kind: "absent (loopback emulation)",
      kubectl: "absent (loopback emulation)",
      labs: out.lock.tools.labs ?? "unknown",
    }),
    lock: out.lock,
    probes: report,
    stages,
    dataplane: [],
    performance: { latency, throughput, notes },
    logs: `logs/${name}`,
  };
}

for (const [runName, labs] of Object.entries(RUNS)) {
  const dir = join(OUT, runName);
  rmSync(dir, { recursive: true, force: true });
  const recorded: LabRun[] = [];
  for (const lab of labs) {
    console.log(`record-fixtures: ${runName}: ${lab}`);
    recorded.push(await recordLab(lab, join(dir, "logs", lab)));
  }
  const run: RunResults = {
    kind: RUN_KIND,
    version: RUN_VERSION,
    createdAt: new Date().toISOString(),
    labs: recorded,
  };
  writeRunDir(run, dir);
  for (const l of recorded)
    console.log(
      `  ${l.lab}: ${l.probes!.summary.pass} pass, ${l.probes!.summary.fail} fail, ${l.probes!.summary.error} error, ${l.probes!.summary.skipped} skipped`,
    );
}
rmSync(join(OUT, ".cache"), { recursive: true, force: true });
