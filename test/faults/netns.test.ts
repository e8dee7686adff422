/**
 * Break-fix signatures against a dataplane: a three-node cluster emulated in network namespaces
 * (support/emulated-cluster.ts: VXLAN between the nodes on Flannel's port, kube-proxy's iptables
 * rules, CoreDNS behind the kube-dns ClusterIP, NetworkPolicy drops as kindnet does them). The real
 * plan of a catalogue lab, its checks from the control-plane probe pod, run by the real prober
 * bundle and judged by the real verdict code; then each fault, and the verdicts must match the
 * fault's signature: every check it must break fails, every check it leaves alone passes.
 *
 * Faults whose steps run on a node run their own steps here (the VXLAN port dropped, the pod
 * route blackholed, kube-proxy's chain flushed). What the API server and its controllers do is
 * emulated: kube-proxy's REJECT for a Service without endpoints (CoreDNS at zero), the CNI's drop
 * for a default-deny. Root, `ip`, `iptables` and `nft` are needed; CI installs them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { type LabFault, type LabFaultList, labFaults, mainServiceOf } from "../../lib/faults/catalogue.ts";
import { compareWithFault } from "../../lib/faults/compare.ts";
import { pathContext } from "../../lib/faults/paths.ts";
import { sketchLab } from "../../lib/guide/sketch.ts";
import { NETPOL_TARGET_LABEL } from "../../lib/probes/clients.ts";
import type { ProbesPlan } from "../../lib/probes/probes-plan.ts";
import { resolvePlan } from "../../lib/probes/verdicts/resolver.ts";
import { judgeRun, type Verdict } from "../../lib/probes/verdicts/verdict.ts";
import { fillValues, lookupValue } from "../../lib/runtime/faults.ts";
import { upstreamReader } from "../probes/support.ts";
import {
  CLIENT_IP,
  type EmulatedCluster,
  type EmulatedPod,
  type EmulatedService,
  emulateCluster,
  emulationUnavailable,
  KUBE_DNS,
  upstreamOf,
} from "./support/emulated-cluster.ts";

const unavailable = emulationUnavailable();
if (unavailable) console.log(`skipping the break-fix emulation (network namespaces): ${unavailable}`);

/** The probes whose checks from the control-plane pod the emulation serves. */
const SERVED = new Set([
  "pod-to-node",
  "pod-to-pod-same-node",
  "pod-to-pod-cross-node",
  "pod-to-cluster-ip",
  "service-short-name",
  "service-namespaced-name",
  "service-fqdn",
  "headless-service",
  "dns-upstream",
  "endpoint-coverage",
  "nodeport-own-node",
  "nodeport-other-node",
  "netpol-ingress",
]);
// Not served, and why: UDP and the API server's /readyz over TLS need servers the emulation has
// not; hairpin needs a server in the client pod itself; host checks run on the host, not in a pod;
// node inspections run commands of the real node image.

interface Emulated {
  lab: string;
  faults: LabFaultList;
  plan: ProbesPlan;
  em: EmulatedCluster;
  services: EmulatedService[];
}

async function emulate(name: string, enforcesPolicy: boolean): Promise<Emulated> {
  const s = sketchLab((await findLabs([name]))[0]!.spec, upstreamReader());
  const faults = labFaults(s.lab, s.plan, s.probeLab);
  const nodeNames = [...new Set(s.plan.clients.map((c) => c.node))];
  const nodeOf = (node: string) => nodeNames.indexOf(node);
  const clientIps: Record<string, string> = {
    "probe-control-plane": CLIENT_IP,
    "probe-peer": "10.244.0.3",
    "probe-egress": "10.244.0.4",
    "probe-worker": "10.244.1.10",
    "probe-worker2": "10.244.2.10",
  };
  const pods: EmulatedPod[] = s.plan.clients.map((c) => ({
    name: c.name,
    namespace: c.namespace,
    labels: c.labels,
    node: nodeOf(c.node),
    ip: clientIps[c.name]!,
  }));
  ["open", "deny", "allow"].forEach((role, i) => {
    pods.push({
      name: `netpol-${role}`,
      namespace: "labs-netpol",
      labels: { app: "netpol-target", [NETPOL_TARGET_LABEL]: role },
      node: 2,
      ip: `10.244.2.${30 + i}`,
    });
  });

  const known = pathContext(s.lab, s.plan, s.probeLab).services;
  const main = mainServiceOf(s.plan, known)!;
  const echo: EmulatedPod[] = [
    {
      name: `${main.service}-a`,
      namespace: main.namespace,
      labels: main.selector!,
      node: 1,
      ip: "10.244.1.20",
    },
    {
      name: `${main.service}-b`,
      namespace: main.namespace,
      labels: main.selector!,
      node: 2,
      ip: "10.244.2.20",
    },
  ];
  pods.push(...echo);
  const nodePort = known.find((x) => x.type === "NodePort")!;
  const headless = known.find(
    (x) => x.headless && JSON.stringify(x.selector) === JSON.stringify(main.selector),
  )!;
  const peers = pods.filter((p) => p.namespace === "labs-probes" && p.ip !== CLIENT_IP);
  const services: EmulatedService[] = [
    {
      name: main.service,
      namespace: main.namespace,
      clusterIp: "10.96.0.20",
      port: 80,
      targetPort: 8080,
      backends: echo,
    },
    {
      name: nodePort.service,
      namespace: nodePort.namespace,
      clusterIp: "10.96.0.21",
      port: 80,
      targetPort: 8080,
      nodePort: nodePort.ports[0]!.nodePort!,
      backends: echo,
    },
    {
      name: headless.service,
      namespace: headless.namespace,
      port: 80,
      targetPort: 8080,
      backends: echo,
      headless: true,
    },
    {
      name: "probe-peers",
      namespace: "labs-probes",
      clusterIp: "10.96.0.30",
      port: 8080,
      targetPort: 8080,
      backends: peers,
    },
    {
      name: "kube-dns",
      namespace: "kube-system",
      clusterIp: KUBE_DNS,
      port: 53,
      targetPort: 53,
      backends: [{ name: "coredns", namespace: "kube-system", labels: {}, node: 0, ip: "10.244.0.53" }],
    },
  ];
  const zone = {
    [`${main.service}.${main.namespace}.svc.cluster.local`]: ["10.96.0.20"],
    [`${headless.service}.${headless.namespace}.svc.cluster.local`]: echo.map((p) => p.ip),
    "probe-peers.labs-probes.svc.cluster.local": ["10.96.0.30"],
  };
  // kindnet drops what a policy denies (kube-network-policies, NfDrop): the truth table's deny and
  // allow targets; only probe-peer is labelled for the allow rule.
  const policy = enforcesPolicy
    ? {
        2: [
          "ip daddr 10.244.2.31 tcp dport 8080 drop",
          "ip daddr 10.244.2.32 tcp dport 8080 ip saddr != 10.244.0.3 drop",
        ],
      }
    : undefined;
  const em = await emulateCluster({
    nodes: nodeNames,
    clusterName: s.plan.clusterName,
    podSubnet: s.lab.spec.podSubnet,
    pods,
    services,
    zone,
    ...(policy ? { policy } : {}),
  });
  return { lab: name, faults, plan: s.plan, em, services };
}

/** The served checks of the plan, judged after one run of the real prober in the client pod. */
async function probe(e: Emulated): Promise<Map<string, Verdict>> {
  const checks = e.plan.checks.filter(
    (c) => "client" in c.from && c.from.client === "probe-control-plane" && SERVED.has(c.probe),
  );
  const plan: ProbesPlan = { ...e.plan, checks };
  const run = resolvePlan(plan, e.em.facts);
  const served = run.checks.filter((c) => !c.problem).map((c) => c.check);
  const servedPlan: ProbesPlan = { ...plan, checks: served };
  const servedRun = resolvePlan(servedPlan, e.em.facts);
  const batch = servedRun.batches.find((b) => "client" in b.source)!;
  batch.plan.defaults = { timeoutMs: 1_000, retryWindowMs: 1_500 };
  for (const p of batch.plan.probes) if (p.kind === "coverage") p.windowMs = 4_000;
  const out = await e.em.prober(batch.plan);
  expect(out.junk, out.stderr).toEqual([]);
  const verdicts = judgeRun(servedPlan, servedRun, out.results, [], e.em.facts).filter(
    (v) => v.verdict !== "skipped",
  );
  return new Map(verdicts.map((v) => [v.id, v]));
}

/** A fault's own steps that run on a node, with the values looked up before (as `labs break` fills them). */
function runNodeSteps(e: Emulated, steps: LabFault["apply"], values: Record<string, string> = {}) {
  const nodeNames = e.em.facts.nodes.map((n) => n.name);
  for (const step of steps) {
    if (!("node" in step.run)) continue;
    e.em.onNode(
      nodeNames.indexOf(step.run.node),
      step.run.command.map((a) => fillValues(a, values)),
    );
  }
}

/**
 * The run matches the fault's signature. Where the failures point is checked only where it does
 * not depend on which pod the emulated kube-proxy picked at random (pointsAt undefined).
 */
/** Each fault's run, to tell the faults apart at the end. */
const runs: { lab: string; fault: LabFault; verdicts: Verdict[] }[] = [];

function expectSignature(e: Emulated, fault: LabFault, verdicts: Map<string, Verdict>, pointsAt?: RegExp) {
  const list = [...verdicts.values()];
  runs.push({ lab: e.lab, fault, verdicts: list });
  const check = compareWithFault(list, fault.signature, e.faults.crossings, fault.id);
  const seen = (s: (typeof fault.signature)[number]) =>
    `${s.id}: expected ${s.expect}, got ${verdicts.get(s.id)?.verdict} (${verdicts.get(s.id)?.message})`;
  expect(check.surprises.map((x) => seen(fault.signature.find((s) => s.id === x.id)!))).toEqual([]);
  const mustBreak = fault.signature.filter(
    (s) => verdicts.has(s.id) && (s.expect === "fails" || s.expect === "cannot-run"),
  );
  expect(mustBreak.length, `${fault.id} has checks the emulation serves that it must break`).toBeGreaterThan(
    0,
  );
  expect(check.matches).toBe(true);
  if (process.env.FAULTS_DUMP) console.log(`${e.lab} ${fault.id}: ${check.summary}`);
  if (pointsAt) expect(check.pointsAt?.key).toMatch(pointsAt);
  if (process.env.FAULTS_DUMP)
    console.log(
      `${e.lab} ${fault.id}: ${check.summary}\n  failed: ${list
        .filter((v) => v.verdict !== "pass")
        .map((v) => v.id)
        .join(", ")}`,
    );
}

const faultOf = (e: Emulated, id: string) => e.faults.faults.find((f) => f.id === id)!;

/** A Corefile with kubeadm's `forward . /etc/resolv.conf`, as the lookups would read it. */
const COREFILE =
  ".:53 {\n    errors\n    kubernetes cluster.local in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    reload\n}\n";

/** The Corefile a fault's ConfigMap patch writes (`--patch {"data":{"Corefile":…}}`), values filled in. */
function corefileWritten(step: LabFault["apply"][number], values: Record<string, string>): string {
  if (!("kubectl" in step.run)) throw new Error(`${step.does} is no kubectl step`);
  const patch = step.run.kubectl[step.run.kubectl.indexOf("--patch") + 1]!;
  return (JSON.parse(fillValues(patch, values)) as { data: { Corefile: string } }).data.Corefile;
}

describe.skipIf(!!unavailable)(
  "break-fix signatures hold on an emulated dataplane",
  { timeout: 120_000 },
  () => {
    let kindnet: Emulated;
    let flannel: Emulated;
    beforeAll(async () => {
      kindnet = await emulate("kindnet-iptables", true);
      flannel = await emulate("flannel-iptables", false);
    }, 120_000);
    afterAll(async () => {
      await kindnet?.em.close();
      await flannel?.em.close();
    });

    it("serves the lab's checks healthy: every served check passes", async () => {
      for (const e of [kindnet, flannel]) {
        const verdicts = await probe(e);
        expect(verdicts.size, e.lab).toBeGreaterThanOrEqual(18);
        const failed = [...verdicts.values()]
          .filter((v) => v.verdict !== "pass")
          .map((v) => `${v.id}: ${v.message}`);
        expect(failed, e.lab).toEqual([]);
      }
    });

    it("kube-proxy's rules flushed (its own flush on every node): Services and names fail, pods and nodes by IP pass", async () => {
      const fault = faultOf(kindnet, "kube-proxy-rules-flushed");
      // The kubectl steps pause kube-proxy's DaemonSet; no kube-proxy runs here to resync anyway.
      runNodeSteps(kindnet, fault.apply);
      try {
        expectSignature(kindnet, fault, await probe(kindnet), /^service-proxy$/);
      } finally {
        kindnet.em.programServices();
      }
    });

    it("CoreDNS at zero (kube-proxy rejects a Service without endpoints): every name fails, nothing else", async () => {
      const fault = faultOf(kindnet, "coredns-scaled-to-zero");
      const dns = kindnet.services.find((s) => s.name === "kube-dns")!;
      const backends = dns.backends;
      dns.backends = [];
      kindnet.em.programServices();
      for (const proto of ["udp", "tcp"])
        kindnet.em.onNode(0, [
          "iptables",
          "-A",
          "FORWARD",
          "-d",
          KUBE_DNS,
          "-p",
          proto,
          "--dport",
          "53",
          "-j",
          "REJECT",
        ]);
      try {
        expectSignature(kindnet, fault, await probe(kindnet), /^dns$/);
      } finally {
        for (const proto of ["udp", "tcp"])
          kindnet.em.onNode(0, [
            "iptables",
            "-D",
            "FORWARD",
            "-d",
            KUBE_DNS,
            "-p",
            proto,
            "--dport",
            "53",
            "-j",
            "REJECT",
          ]);
        dns.backends = backends;
        kindnet.em.programServices();
      }
    });

    it("kind's DNAT to Docker's DNS needs route_localnet: without it only what goes upstream fails", async () => {
      // The healthy run passes dns-upstream only through the path kind wires; take one piece away.
      // What fails is what a dead upstream breaks: the node's name, and at most the names the
      // upstream fault's signature allows (a short name of another namespace is, after the search
      // domains, asked as it is, and that goes upstream too).
      const mayFail = new Set(
        faultOf(kindnet, "coredns-upstream-broken")
          .signature.filter((s) => s.expect === "may-fail")
          .map((s) => s.id),
      );
      kindnet.em.onNode(0, ["sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=0"]);
      try {
        const failed = [...(await probe(kindnet)).values()].filter((v) => v.verdict !== "pass");
        expect(failed.map((v) => v.id)).toContain("dns-upstream/control-plane");
        expect(
          failed.map((v) => v.id).filter((id) => id !== "dns-upstream/control-plane" && !mayFail.has(id)),
        ).toEqual([]);
      } finally {
        kindnet.em.onNode(0, ["sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1"]);
      }
    });

    it("a broken upstream in the Corefile (its own edit of the Corefile read before, CoreDNS restarted): the node's name fails, cluster names resolve", async () => {
      const fault = faultOf(kindnet, "coredns-upstream-broken");
      // What `labs break` reads and records, from the Corefile the ConfigMap holds.
      const values = Object.fromEntries(fault.lookups.map((l) => [l.name, lookupValue(l, COREFILE)!]));
      const broken = corefileWritten(fault.apply[0]!, values);
      // Only the forward line changes; every other byte is the Corefile as it was read.
      expect(broken).toBe(COREFILE.replace("forward . /etc/resolv.conf {", "forward . 192.0.2.53 {"));
      // The rollout restart: new CoreDNS pods on the ConfigMap as the patch left it.
      expect(fault.apply.map((s) => s.does)).toContain("wait until CoreDNS is ready");
      await kindnet.em.restartCoreDns(upstreamOf(broken));
      try {
        const verdicts = await probe(kindnet);
        expectSignature(kindnet, fault, verdicts, /^dns-upstream$/);
        expect(verdicts.get("dns-upstream/control-plane")?.verdict).toBe("fail");
        expect(verdicts.get("headless-service/demo/echo-headless")?.verdict).toBe("pass");
        expect(verdicts.get("service-fqdn/demo/echo")?.verdict).toBe("pass");
      } finally {
        const restored = corefileWritten(fault.revert[0]!, values);
        expect(restored).toBe(COREFILE);
        await kindnet.em.restartCoreDns(upstreamOf(restored));
      }
      const again = [...(await probe(kindnet)).values()].filter((v) => v.verdict !== "pass");
      expect(again.map((v) => v.id)).toEqual([]);
    });

    it("a stray default-deny (dropped as kindnet drops): the apps' Service fails, the probes' own pods pass", async () => {
      const fault = faultOf(kindnet, "stray-default-deny");
      const echo = ["10.244.1.20", "10.244.2.20"];
      for (const n of [1, 2])
        kindnet.em.onNode(n, [
          "nft",
          `add table inet labs_deny; add chain inet labs_deny input { type filter hook input priority 0 ; } ; add rule inet labs_deny input ip daddr { ${echo.join(", ")} } drop`,
        ]);
      try {
        expectSignature(kindnet, fault, await probe(kindnet), /^(service:demo\/echo|namespace:demo)$/);
      } finally {
        for (const n of [1, 2]) kindnet.em.onNode(n, ["nft", "delete table inet labs_deny"]);
      }
    });

    it("a pod route blackholed (its own ip rule on the control plane): only the control plane ↔ worker pair breaks", async () => {
      const fault = faultOf(kindnet, "pod-route-blackholed");
      runNodeSteps(kindnet, fault.apply, { RANGES: "10.244.1.0/24" });
      try {
        const verdicts = await probe(kindnet);
        expectSignature(kindnet, fault, verdicts);
        expect(verdicts.get("pod-to-pod-cross-node/probe-worker")?.verdict).toBe("fail");
        expect(verdicts.get("pod-to-pod-cross-node/probe-worker2")?.verdict).toBe("pass");
      } finally {
        runNodeSteps(kindnet, fault.revert);
      }
      // Its undo leaves nothing behind: healthy again.
      const again = [...(await probe(kindnet)).values()].filter((v) => v.verdict !== "pass");
      expect(again.map((v) => v.id)).toEqual([]);
    });

    it("Flannel's VXLAN port dropped on the worker (its own nftables steps): the worker's pods are cut off from the others", async () => {
      const fault = faultOf(flannel, "vxlan-port-dropped");
      runNodeSteps(flannel, fault.apply);
      try {
        const verdicts = await probe(flannel);
        expectSignature(flannel, fault, verdicts);
        expect(verdicts.get("pod-to-pod-cross-node/probe-worker")?.verdict).toBe("fail");
        expect(verdicts.get("pod-to-pod-cross-node/probe-worker2")?.verdict).toBe("pass");
        expect(verdicts.get("pod-to-node/worker")?.verdict).toBe("pass");
        // The drop counter saw the tunnel's packets.
        expect(flannel.em.onNode(1, ["nft", "list", "table", "inet", "labs_fault"])).toMatch(
          /counter packets [1-9]/,
        );
      } finally {
        runNodeSteps(flannel, fault.revert);
      }
      const again = [...(await probe(flannel)).values()].filter((v) => v.verdict !== "pass");
      expect(again.map((v) => v.id)).toEqual([]);
    });

    it("tells the faults apart: each run matches its own fault's signature, and no other's", () => {
      const kindnetRuns = runs.filter((r) => r.lab === "kindnet-iptables");
      expect(kindnetRuns.map((r) => r.fault.id)).toEqual([
        "kube-proxy-rules-flushed",
        "coredns-scaled-to-zero",
        "coredns-upstream-broken",
        "stray-default-deny",
        "pod-route-blackholed",
      ]);
      for (const run of kindnetRuns)
        for (const other of kindnetRuns) {
          const r = compareWithFault(
            run.verdicts,
            other.fault.signature,
            kindnet.faults.crossings,
            other.fault.id,
          );
          expect(r.matches, `the ${run.fault.id} run against ${other.fault.id}'s signature`).toBe(
            run === other,
          );
        }
    });
  },
);
