/**
 * Verdict integrity, adversarially: an emulated cluster in network namespaces (netns-lab.ts) whose
 * servers lie in every way a broken network or pod can (liars.ts), behind NetworkPolicy emulated
 * with nftables rules that drop or reject. Each case is a planned check with the expectation the
 * real helpers give a real catalogue lab, resolved by the real resolver, run by the real prober
 * bundle inside the client namespace (as a probe pod runs it), and judged by the real verdict code.
 *
 * Every lie must end `fail` or `error`, never `pass`; every healthy case must pass.
 * Root, `ip` and `nft` are needed; CI installs them (.ci/run). Elsewhere the suite is skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { type ResolvedLab, resolveLab } from "../../lib/components/resolve.ts";
import { check } from "../../lib/probes/catalogue/probe.ts";
import { CLIENT_LABELS } from "../../lib/probes/clients.ts";
import {
  blocked,
  reachable,
  sourceIpInsideCluster,
  sourceIpThroughLoadBalancer,
  status,
  underPolicy,
} from "../../lib/probes/expectations.ts";
import type { ProbeResult } from "../../lib/probes/prober/result.ts";
import { DEADLINE_GRACE_MS } from "../../lib/probes/prober/runner.ts";
import type { Action, Expectation, PlannedCheck, PodSet, ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { type ClusterFacts, resolvePlan } from "../../lib/probes/verdicts/resolver.ts";
import { judgeRun, type Verdict } from "../../lib/probes/verdicts/verdict.ts";
import type { LiarsConfig, Listener, Personality } from "../prober/support/liars.ts";
import {
  at,
  CLIENT_IP,
  createNetnsLab,
  type NetnsLab,
  netnsLabUnavailable,
} from "../prober/support/netns-lab.ts";

const unavailable = netnsLabUnavailable();
if (unavailable) console.log(`skipping the adversarial verdict suite (network namespaces): ${unavailable}`);

const PORT = 8080;
const echo: PodSet = { namespace: "demo", selector: { app: "echo" } };
const netexec = (name: string): Personality => ({ kind: "netexec", name });
const proxy = (targets: number[], from?: number): Personality => ({
  kind: "proxy",
  targets: targets.map((n) => ({ host: at(n), port: PORT })),
  ...(from ? { from: at(from) } : {}),
});

/** What listens where in the cluster namespace. Addresses without a listener refuse (a dead pod). */
const LISTENERS: [number, Personality][] = [
  [10, proxy([11, 12, 13])], // ClusterIP of echo
  [11, netexec("echo-a")],
  [12, netexec("echo-b")],
  [13, netexec("echo-c")],
  [14, netexec("stray-x")], // a pod outside the Service
  [16, proxy([11, 12, 13, 14])], // a Service address that also sends a share to a stray pod
  [17, proxy([11, 12, 13, 18])], // ... or to a dead endpoint (.18: nothing listens)
  [20, netexec("netpol-open")],
  [21, netexec("netpol-deny")], // behind a drop rule
  [23, { kind: "silent" }],
  [24, { kind: "reset-on-request" }],
  [25, { kind: "close-on-request" }],
  [26, netexec("netpol-reject")], // behind a reject-with-RST rule
  [27, netexec("netpol-icmp")], // behind a reject-with-ICMP rule
  [28, { kind: "short-body", ending: "fin" }],
  [29, { kind: "short-body", ending: "rst" }],
  [30, { kind: "chunked-cut" }],
  [31, { kind: "redirect", status: 301 }],
  [32, { kind: "redirect", status: 302 }],
  [33, { kind: "slow-headers" }],
  [34, { kind: "garbage" }],
  [35, { kind: "empty-200" }],
  [36, netexec("netpol-half")], // behind a rule that drops every other SYN
  [40, proxy([11])], // cloud-provider-kind's Envoy: an L4 proxy from its own address
  [41, netexec("echo-a")], // a LoadBalancer IP the client reaches directly (MetalLB)
  [42, proxy([11], 44)], // enters node-a and SNATs to node-a's own address: echo-a runs there
  [43, proxy([11], 45)], // enters node-b and SNATs to node-b's address towards echo-a on node-a
  [50, { kind: "netexec", name: "echo-v2-xyz", override: "/hostname" }], // a gateway routing to the wrong Service
  [51, netexec("echo-b")], // a gateway that routes right
];

const POLICY = [
  `ip daddr ${at(21)} tcp dport ${PORT} drop`,
  `ip daddr ${at(26)} tcp dport ${PORT} reject with tcp reset`,
  `ip daddr ${at(27)} tcp dport ${PORT} reject with icmp type admin-prohibited`,
  `ip daddr ${at(36)} tcp dport ${PORT} tcp flags & (syn | ack) == syn numgen inc mod 2 == 0 drop`,
  `ip daddr ${at(54)} udp dport 53 drop`,
  `ip daddr ${at(54)} tcp dport 53 drop`,
];

const SEARCH = "search labs-probes.svc.cluster.local svc.cluster.local cluster.local";
const HEALTHY_DNS = `nameserver ${at(53)}\n${SEARCH}\noptions ndots:5 timeout:1 attempts:1\n`;
/** A DNS server that never answers: getaddrinfo keeps trying long after any probe gave up. */
const SILENT_DNS = `nameserver ${at(54)}\n${SEARCH}\noptions ndots:5 timeout:3 attempts:3\n`;

const LIARS: LiarsConfig = {
  listeners: LISTENERS.map(([n, personality]): Listener => ({ host: at(n), port: PORT, personality })),
  dns: [
    {
      host: at(53),
      zone: {
        a: {
          "echo.demo.svc.cluster.local": [at(10)],
          "netpol-deny.labs-netpol.svc.cluster.local": [at(21)],
          "echo-headless.demo.svc.cluster.local": [at(11), at(12), at(13)],
          "stray-headless.demo.svc.cluster.local": [at(11), at(12), at(13), at(14)],
        },
      },
    },
  ],
};

const FACTS: ClusterFacts = {
  nodes: [
    { name: "node-a", internalIp: at(44) },
    { name: "node-b", internalIp: at(45) },
  ],
  pods: [
    {
      name: "probe-a",
      namespace: "labs-probes",
      labels: CLIENT_LABELS,
      ip: CLIENT_IP,
      node: "node-a",
      ready: true,
    },
    { name: "echo-a", namespace: "demo", labels: { app: "echo" }, ip: at(11), node: "node-a", ready: true },
    { name: "echo-b", namespace: "demo", labels: { app: "echo" }, ip: at(12), node: "node-b", ready: true },
    { name: "echo-c", namespace: "demo", labels: { app: "echo" }, ip: at(13), node: "node-b", ready: true },
  ],
  services: [
    { name: "echo", namespace: "demo", clusterIp: at(10), ports: [{ name: "http", port: PORT }] },
    ...(
      [
        ["lb-cpk", 40],
        ["lb-metallb", 41],
        ["lb-snat-own-node", 42],
        ["lb-snat-other-node", 43],
      ] as const
    ).map(([name, n]) => ({
      name,
      namespace: "demo",
      clusterIp: at(100 + n),
      loadBalancerIps: [at(n)],
      ports: [{ name: "http", port: PORT }],
    })),
  ],
  podSubnet: "10.244.0.0/16",
};

interface Case {
  id: string;
  action: Action;
  expect: Expectation;
  /** Healthy cases pass; every lie must fail or error. */
  healthy: boolean;
  lie: string;
}

const ip = (n: number) => ({ address: { ip: at(n) }, port: PORT });
const lb = (service: string) => ({ address: { loadBalancerIp: { namespace: "demo", service } }, port: PORT });
const http = (
  to: Action extends infer A ? (A extends { to: infer T } ? T : never) : never,
  path: string,
  extra = {},
) => ({ kind: "http", to, path, ...extra }) as Action;
const byName = (name: string, path = "/hostname") => http({ address: { dnsName: name }, port: PORT }, path);

function cases(labs: Record<"kindnet" | "cpk" | "metallb" | "ciliumKpr", ResolvedLab>): Case[] {
  const deny = (what: string) => underPolicy(labs.kindnet, `default-deny-ingress on ${what}`);
  const egress = underPolicy(
    labs.kindnet,
    "the egress policy (DNS only: the name resolves, the connection does not)",
  );
  const answers = (why: string) => reachable(why, { backendIn: echo });
  return [
    // NetworkPolicy on kindnet: a denied SYN is dropped (kube-network-policies, NfDrop).
    {
      id: "policy/drop",
      action: http(ip(21), "/hostname"),
      expect: deny("netpol-deny"),
      healthy: true,
      lie: "",
    },
    {
      id: "policy/silent",
      action: http(ip(23), "/hostname"),
      expect: deny("a silent server"),
      healthy: false,
      lie: "accepts, never answers",
    },
    {
      id: "policy/rst-on-request",
      action: http(ip(24), "/hostname"),
      expect: deny("x"),
      healthy: false,
      lie: "answers the request with RST",
    },
    {
      id: "policy/close-on-request",
      action: http(ip(25), "/hostname"),
      expect: deny("x"),
      healthy: false,
      lie: "closes on the request",
    },
    {
      id: "policy/dead-pod",
      action: http(ip(22), "/hostname"),
      expect: deny("x"),
      healthy: false,
      lie: "no listener: the kernel's RST",
    },
    {
      id: "policy/reject-rst",
      action: http(ip(26), "/hostname"),
      expect: deny("x"),
      healthy: false,
      lie: "a reject rule (TCP RST) where kindnet drops",
    },
    {
      id: "policy/reject-icmp",
      action: http(ip(27), "/hostname"),
      expect: deny("x"),
      healthy: false,
      lie: "a reject rule (ICMP) where kindnet drops",
    },
    {
      id: "policy/half-drop",
      action: http(ip(36), "/hostname"),
      expect: deny("x"),
      healthy: false,
      lie: "drops only every other SYN",
    },
    {
      id: "policy/nxdomain",
      action: byName("ecoh.demo.svc.cluster.local"),
      expect: egress,
      healthy: false,
      lie: "a mistyped name (NXDOMAIN)",
    },
    {
      id: "policy/by-name",
      action: byName("netpol-deny.labs-netpol.svc.cluster.local"),
      expect: egress,
      healthy: true,
      lie: "",
    },
    // A dataplane that rejects: the same rules judged the other way round.
    {
      id: "reject/rst",
      action: http(ip(26), "/hostname"),
      expect: blocked("a rejecting policy", "reject"),
      healthy: true,
      lie: "",
    },
    {
      id: "reject/but-dropped",
      action: http(ip(21), "/hostname"),
      expect: blocked("a rejecting policy", "reject"),
      healthy: false,
      lie: "a drop where the dataplane rejects",
    },
    // A name that must not resolve from another namespace.
    {
      id: "dns/short-name",
      action: byName("echo"),
      expect: blocked("no search domain completes it", "nxdomain"),
      healthy: true,
      lie: "",
    },
    {
      id: "dns/resolves-after-all",
      action: byName("echo.demo.svc.cluster.local"),
      expect: blocked("it should not resolve", "nxdomain"),
      healthy: false,
      lie: "the name resolves",
    },
    // Whole answers with the expected status, from a pod that names itself.
    {
      id: "http/ok",
      action: http(ip(11), "/hostname"),
      expect: answers("echo-a answers"),
      healthy: true,
      lie: "",
    },
    {
      id: "http/short-fin",
      action: http(ip(28), "/hostname"),
      expect: answers("x"),
      healthy: false,
      lie: "Content-Length 100, 6 bytes, FIN",
    },
    {
      id: "http/short-rst",
      action: http(ip(29), "/hostname"),
      expect: answers("x"),
      healthy: false,
      lie: "Content-Length 100, 6 bytes, RST",
    },
    {
      id: "http/chunked-cut",
      action: http(ip(30), "/hostname"),
      expect: answers("x"),
      healthy: false,
      lie: "chunked body without its last chunk",
    },
    {
      id: "http/301",
      action: http(ip(31), "/readyz"),
      expect: reachable("the API server answers"),
      healthy: false,
      lie: "301 for a 200",
    },
    {
      id: "http/302",
      action: http(ip(32), "/readyz"),
      expect: reachable("the API server answers"),
      healthy: false,
      lie: "302 for a 200",
    },
    {
      id: "http/slow-headers",
      action: http(ip(33), "/hostname"),
      expect: answers("x"),
      healthy: false,
      lie: "a status line, then nothing",
    },
    {
      id: "http/garbage",
      action: http(ip(34), "/hostname"),
      expect: answers("x"),
      healthy: false,
      lie: "not HTTP",
    },
    {
      id: "status/404",
      action: http(ip(20), "/echo?code=404"),
      expect: status(404, "no rule matches"),
      healthy: true,
      lie: "",
    },
    {
      id: "status/redirect",
      action: http(ip(32), "/labs-no-such-path"),
      expect: status(404, "no rule matches"),
      healthy: false,
      lie: "a redirect where a 404 is due",
    },
    // Every endpoint, nothing else, no failed request.
    {
      id: "coverage/ok",
      action: { kind: "coverage", to: ip(10), path: "/hostname", backends: echo },
      expect: answers("every pod answers"),
      healthy: true,
      lie: "",
    },
    {
      id: "coverage/stray",
      action: {
        kind: "coverage",
        to: ip(16),
        path: "/hostname",
        backends: { namespace: "demo", selector: { app: "echo" } },
      },
      expect: answers("x"),
      healthy: false,
      lie: "a quarter of the connections go to a pod outside the Service",
    },
    {
      id: "coverage/dead-endpoint",
      action: { kind: "coverage", to: ip(17), path: "/hostname", backends: echo },
      expect: answers("x"),
      healthy: false,
      lie: "a quarter of the connections go to a dead endpoint",
    },
    // Route checks: the pod that answers must be one of the route's backend.
    {
      id: "route/ok",
      action: http(ip(51), "/hostname"),
      expect: answers("the route sends / to echo"),
      healthy: true,
      lie: "",
    },
    {
      id: "route/misrouted",
      action: http(ip(50), "/v2"),
      expect: answers("the route sends /v2 to echo"),
      healthy: false,
      lie: "answered by another Service's pod",
    },
    {
      id: "route/any-200",
      action: http(ip(35), "/hostname"),
      expect: answers("x"),
      healthy: false,
      lie: "200 with nothing that names a pod",
    },
    // The source address the backend sees.
    {
      id: "source/pod",
      action: http(ip(11), "/clientip"),
      expect: sourceIpInsideCluster(labs.kindnet),
      healthy: true,
      lie: "",
    },
    {
      id: "source/pod-via-proxy",
      action: http(ip(40), "/clientip"),
      expect: sourceIpInsideCluster(labs.kindnet),
      healthy: false,
      lie: "an L4 proxy's address for the pod's own",
    },
    {
      id: "source/cpk-local",
      action: http(lb("lb-cpk"), "/clientip"),
      expect: sourceIpThroughLoadBalancer(labs.cpk, "Local"),
      healthy: true,
      lie: "",
    },
    {
      id: "source/kept-via-proxy",
      action: http(lb("lb-cpk"), "/clientip"),
      expect: sourceIpThroughLoadBalancer(labs.metallb, "Local"),
      healthy: false,
      lie: '"kept", but the backend saw an L4 proxy',
    },
    {
      id: "source/metallb-local",
      action: http(lb("lb-metallb"), "/clientip"),
      expect: sourceIpThroughLoadBalancer(labs.metallb, "Local"),
      healthy: true,
      lie: "",
    },
    {
      id: "source/snat-but-kept",
      action: http(lb("lb-metallb"), "/clientip"),
      expect: sourceIpThroughLoadBalancer(labs.metallb, "Cluster"),
      healthy: false,
      lie: "no SNAT where kube-proxy SNATs",
    },
    {
      id: "source/cilium-other-node",
      action: http(lb("lb-snat-other-node"), "/clientip", { backendPath: "/hostname" }),
      expect: { ...sourceIpThroughLoadBalancer(labs.ciliumKpr, "Cluster"), backendIn: echo },
      healthy: true,
      lie: "",
    },
    {
      id: "source/cilium-own-node",
      action: http(lb("lb-snat-own-node"), "/clientip", { backendPath: "/hostname" }),
      expect: { ...sourceIpThroughLoadBalancer(labs.ciliumKpr, "Cluster"), backendIn: echo },
      healthy: false,
      lie: "SNAT to the backend's own node",
    },
    // DNS answers as sets.
    {
      id: "dns/headless",
      action: { kind: "dns", name: "echo-headless.demo.svc.cluster.local" },
      expect: reachable("every ready pod", { answers: { podsOf: echo } }),
      healthy: true,
      lie: "",
    },
    {
      id: "dns/headless-stray",
      action: { kind: "dns", name: "stray-headless.demo.svc.cluster.local" },
      expect: reachable("every ready pod", { answers: { podsOf: echo } }),
      healthy: false,
      lie: "an extra address in the answer",
    },
  ];
}

/** The cases that run again with DNS blackholed: names are all they depend on. */
const NAMED = ["policy/by-name", "dns/short-name"];

function planOf(list: Case[], tag: string): ProbesPlan {
  const info = {
    id: `adversarial-${tag}`,
    layer: "policy" as const,
    title: `adversarial ${tag}`,
    teaches: "",
  };
  const checks: PlannedCheck[] = list.map((c) =>
    check(info, [c.id], { client: "probe-a" }, c.action, c.expect, `${c.id}: ${c.lie || "healthy"}`),
  );
  return {
    version: 1,
    lab: "adversarial",
    clusterName: "labs-adversarial",
    probes: [info],
    checks,
    skipped: [],
    clients: [{ name: "probe-a", namespace: "labs-probes", node: "node-a", labels: CLIENT_LABELS }],
  };
}

describe.skipIf(!!unavailable)("verdict integrity against an emulated cluster that lies", () => {
  let lab: NetnsLab;
  let all: Case[];
  const verdicts = new Map<string, Verdict>();
  let blackholed: { ms: number; deadlineMs: number; verdicts: Map<string, Verdict>; results: ProbeResult[] };

  async function runAndJudge(list: Case[], tag: string, deadlineMs?: number) {
    const plan = planOf(list, tag);
    const run = resolvePlan(plan, FACTS);
    expect(run.checks.filter((c) => c.problem)).toEqual([]);
    const batch = run.batches[0]!;
    // Short timers keep the suite quick; the discipline (two blocked attempts, retries) is unchanged.
    batch.plan.defaults = { timeoutMs: 1_000, retryWindowMs: 1_500 };
    for (const p of batch.plan.probes) if (p.kind === "coverage" && !p.sample) p.windowMs = 3_000;
    if (deadlineMs) batch.plan.deadlineMs = deadlineMs;
    const out = await lab.prober(batch.plan);
    expect(out.junk, out.stderr).toEqual([]);
    expect(out.code).toBe(0);
    const judged = judgeRun(plan, run, out.results, [], FACTS);
    return {
      ms: out.ms,
      results: out.results,
      verdicts: new Map(judged.map((v) => [v.id.split("/").slice(1).join("/"), v])),
    };
  }

  beforeAll(async () => {
    const resolve = async (name: string) => resolveLab((await findLabs([name]))[0]!.spec);
    all = cases({
      kindnet: await resolve("kindnet-iptables"),
      cpk: await resolve("kindnet-cloud-provider-kind"),
      metallb: await resolve("flannel-iptables"),
      ciliumKpr: await resolve("cilium-kpr"),
    });
    lab = await createNetnsLab(LIARS);
    lab.policy(POLICY);
    lab.resolvConf(HEALTHY_DNS);
    for (const [id, v] of (await runAndJudge(all, "healthy-dns")).verdicts) verdicts.set(id, v);
    lab.resolvConf(SILENT_DNS);
    const deadlineMs = 4_000;
    const named = all.filter((c) => NAMED.includes(c.id));
    blackholed = { ...(await runAndJudge(named, "silent-dns", deadlineMs)), deadlineMs };
  }, 120_000);

  afterAll(async () => {
    await lab?.close();
  });

  it("covers every lie the issue lists and healthy cases beside them", () => {
    // ADV_DUMP=1 prints every verdict with what was seen: the words a report shows.
    if (process.env["ADV_DUMP"]) {
      for (const [id, v] of verdicts)
        console.log(
          `${v.verdict.toUpperCase()} ${id}: ${v.message}\n  observed: ${v.observed?.details.join(" | ")}`,
        );
      console.log(`silent DNS run: ${Math.round(blackholed.ms)} ms`);
    }
    expect(all.filter((c) => !c.healthy).length).toBeGreaterThanOrEqual(25);
    expect(all.filter((c) => c.healthy).length).toBeGreaterThanOrEqual(12);
    expect([...verdicts.keys()].sort()).toEqual(all.map((c) => c.id).sort());
  });

  it("passes every healthy case", () => {
    const wrong = all
      .filter((c) => c.healthy)
      .map((c) => verdicts.get(c.id)!)
      .filter((v) => v.verdict !== "pass")
      .map((v) => `${v.id}: ${v.verdict}: ${v.message} | ${v.observed?.details.join("; ")}`);
    expect(wrong).toEqual([]);
  });

  it("never passes a lie: each fails or errors, saying what was seen instead", () => {
    const passed = all
      .filter((c) => !c.healthy)
      .map((c) => ({ c, v: verdicts.get(c.id)! }))
      .filter(({ v }) => v.verdict === "pass")
      .map(({ c, v }) => `${c.id} (${c.lie}) passed: ${v.message}`);
    expect(passed).toEqual([]);
    for (const c of all.filter((x) => !x.healthy)) {
      const v = verdicts.get(c.id)!;
      expect(v.message.length, c.id).toBeGreaterThan(20);
      expect(v.observed?.details.length ?? 0, c.id).toBeGreaterThan(0);
    }
  });

  it("says what it saw, in words, for the lies a policy check used to pass", () => {
    const said = (id: string) => verdicts.get(id)!.message;
    expect(said("policy/silent")).toMatch(/handshake completed in [\d.]+ ms, then no answer/);
    expect(said("policy/dead-pod")).toContain("refused at once");
    expect(said("policy/reject-icmp")).toContain("rejected on the path");
    expect(said("policy/nxdomain")).toContain("does not exist (NXDOMAIN");
    // Every name the pod's libc would have tried, each with its answer.
    const nx = verdicts.get("policy/nxdomain")!.evidence as ProbeResult;
    expect(nx.lookup?.tried?.map((t) => t.answer)).toEqual(["NXDOMAIN", "NXDOMAIN", "NXDOMAIN", "NXDOMAIN"]);
    expect(said("http/short-fin")).toContain("6 of the 100 bytes");
    expect(said("http/302")).toContain("a redirect");
    expect(said("coverage/stray")).toContain("stray-x");
    // Through the emulation's proxy a dead endpoint shows as a reset (kube-proxy's DNAT would show refused).
    expect(said("coverage/dead-endpoint")).toMatch(/requests failed \((reset|refused)/);
    expect(said("route/misrouted")).toContain("answered by echo-v2-xyz");
    expect(said("source/kept-via-proxy")).toContain("rewrote the source");
    expect(said("source/cilium-own-node")).toContain(`saw ${at(44)}`);
  });

  it("with DNS blackholed, nothing that depends on a name passes, and the prober still exits by its deadline", () => {
    for (const id of NAMED) {
      const v = blackholed.verdicts.get(id)!;
      expect(v.verdict, `${id}: ${v.message}`).not.toBe("pass");
      expect(v.message).toMatch(/got no answer in time|cut short|DNS/);
    }
    // getaddrinfo keeps waiting on the silent server far longer; the process does not.
    expect(blackholed.ms).toBeLessThan(blackholed.deadlineMs + DEADLINE_GRACE_MS + 1_500);
  });
});
