/**
 * A three-node cluster emulated in network namespaces, close enough to a kind lab for break-fix
 * faults to have their real effect (root, `ip`, `iptables`, `nft`):
 *
 *   client ns (probe-control-plane, 10.244.0.2) ── veth ── node0 (control plane)
 *   node0, node1, node2: node IPs 10.78.0.10-12 on one bridge (kind's Docker network); pod CIDRs
 *     10.244.<n>.0/24, carried between nodes by VXLAN on UDP 8472 as Flannel does (a route per
 *     other node's pod CIDR via its VTEP address, onlink), node0 the hub
 *   each node: kube-proxy's rules as iptables does them (nat KUBE-SERVICES from PREROUTING: DNAT
 *     per ClusterIP with random probabilities, node ports marked for masquerade), ClusterIPs not
 *     local (a blackhole route, so untranslated packets vanish as they do on a kind node)
 *   pods: agnhost-like servers (test/prober/support/liars.ts) on the nodes' pod addresses; kubelets
 *     on port 10250 of the node IPs
 *   CoreDNS: a pod of its own on node0 (its own namespace, 10.244.0.53) behind the kube-dns
 *     ClusterIP, answering cluster.local from a table and forwarding every other name as its
 *     Corefile says; `forward . /etc/resolv.conf` means the node's resolver, which on a kind node
 *     is Docker's embedded DNS as kind's entrypoint wires it: the node's resolv.conf names the kind
 *     network's gateway (10.78.0.1), a DNAT in OUTPUT and PREROUTING sends it to 127.0.0.11, where
 *     the stand-in answers each node container's name with its address, and route_localnet=1 lets
 *     a pod's packet be delivered there (kind images/base/files/usr/local/bin/entrypoint and
 *     etc/sysctl.d/10-network-magic.conf @v0.32.0). Every node routes the rest to that gateway,
 *     where nothing answers.
 *
 * Fault steps that run on a node (`docker exec <node> …` in a lab) run here with `ip netns exec`.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { EnginePlan } from "../../../lib/probes/prober/plan.ts";
import type { ProbeResult } from "../../../lib/probes/prober/result.ts";
import type { ClusterFacts } from "../../../lib/probes/verdicts/resolver.ts";
import type { LiarsConfig, Listener } from "../../prober/support/liars.ts";
import { proberInNetns } from "../../prober/support/prober-in-netns.ts";

const LIARS = fileURLToPath(new URL("../../prober/support/liars.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const CLIENT_IP = "10.244.0.2";
export const NODE_IPS = ["10.78.0.10", "10.78.0.11", "10.78.0.12"];
export const KUBE_DNS = "10.96.0.10";
const COREDNS_POD = "10.244.0.53";
/** The kind network's gateway: what kind's entrypoint writes into a node's resolv.conf. */
export const KIND_GATEWAY = "10.78.0.1";
/** A node's /etc/resolv.conf as kind's entrypoint leaves it (Docker's 127.0.0.11 replaced). */
export const NODE_RESOLV_CONF = `nameserver ${KIND_GATEWAY}\noptions ndots:0\n`;
/** Docker's embedded DNS: 127.0.0.11 on a port of its own, reached through the DNAT. */
const DOCKER_DNS = "127.0.0.11";
const DOCKER_DNS_PORT = 45353;
const vtep = (n: number) => `10.244.${n}.0`;

/** A pod of the emulated cluster: where it runs and what it answers as. */
export interface EmulatedPod {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  node: number;
  ip: string;
}

/** A Service: ClusterIP, port → target port, node port, and the pods behind it. */
export interface EmulatedService {
  name: string;
  namespace: string;
  clusterIp?: string;
  port: number;
  targetPort: number;
  nodePort?: number;
  backends: EmulatedPod[];
  /** Headless: DNS answers with the pods' IPs. */
  headless?: boolean;
}

export function emulationUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not running as root";
  for (const [tool, pkg] of [
    ["ip", "iproute2"],
    ["nft", "nftables"],
    ["iptables", "iptables"],
  ] as const) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `the \`${tool}\` command is missing (apt-get install -y ${pkg})`;
    }
  }
  try {
    execFileSync(
      "sh",
      ["-c", "ip link add labs-vx-probe type vxlan id 99 dstport 8472 && ip link del labs-vx-probe"],
      {
        stdio: "ignore",
      },
    );
  } catch {
    return "this kernel cannot create VXLAN devices";
  }
  return undefined;
}

const sh = (args: string[], input?: string): string =>
  execFileSync(args[0]!, args.slice(1), { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });

export interface EmulatedCluster {
  nodeNs: string[];
  facts: ClusterFacts;
  /** Runs a command in node n's namespace, as `docker exec` runs it in a kind node. */
  onNode(n: number, command: string[]): string;
  /**
   * CoreDNS restarted with the upstream its Corefile names (`host:port`), as a rollout restart
   * starts new pods on the ConfigMap as it is now.
   */
  restartCoreDns(upstream: string): Promise<void>;
  /** Runs the real prober bundle in the client namespace, as a probe pod runs it. */
  prober(
    plan: EnginePlan,
  ): Promise<{ results: ProbeResult[]; junk: string[]; stderr: string; code: number | null }>;
  /** kube-proxy's rules for every Service, written again (the healthy state). */
  programServices(): void;
  close(): Promise<void>;
}

function kubeProxyRules(node: number, services: EmulatedService[]): string {
  const lines = [
    "*nat",
    ":KUBE-SERVICES - [0:0]",
    ":KUBE-POSTROUTING - [0:0]",
    "-F KUBE-SERVICES",
    "-F KUBE-POSTROUTING",
  ];
  const spread = (match: string, backends: EmulatedPod[], port: number) =>
    backends.forEach((b, i) => {
      const left = backends.length - i;
      const odds = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(5)}` : "";
      lines.push(`-A KUBE-SERVICES ${match}${odds} -j DNAT --to-destination ${b.ip}:${port}`);
    });
  for (const s of services) {
    if (s.headless || !s.clusterIp) continue;
    for (const proto of s.name === "kube-dns" ? ["udp", "tcp"] : ["tcp"])
      spread(`-d ${s.clusterIp}/32 -p ${proto} --dport ${s.port}`, s.backends, s.targetPort);
    if (s.nodePort) {
      const match = `-d ${NODE_IPS[node]}/32 -p tcp --dport ${s.nodePort}`;
      lines.push(`-A KUBE-SERVICES ${match} -j MARK --set-xmark 0x4000/0x4000`);
      spread(match, s.backends, s.targetPort);
    }
  }
  lines.push("-A KUBE-POSTROUTING -m mark --mark 0x4000/0x4000 -j MASQUERADE", "COMMIT", "");
  return lines.join("\n");
}

export async function emulateCluster(opts: {
  nodes: string[];
  clusterName: string;
  podSubnet: string;
  pods: EmulatedPod[];
  services: EmulatedService[];
  /** CoreDNS's zone: names → addresses (Services' ClusterIPs, headless Services' pod IPs). */
  zone: Record<string, string[]>;
  /** nftables rules for the NetworkPolicy the lab's CNI enforces, per node (its input chain). */
  policy?: Record<number, string[]>;
}): Promise<EmulatedCluster> {
  const suffix = Math.random().toString(36).slice(2, 7);
  const client = `lf-c-${suffix}`;
  const under = `lf-u-${suffix}`;
  const coredns = `lf-d-${suffix}`;
  const nodeNs = [0, 1, 2].map((n) => `lf-n${n}-${suffix}`);
  const inNs = (ns: string, args: string[], input?: string) =>
    sh(["ip", "netns", "exec", ns, ...args], input);
  const etc = `/etc/netns/${client}`;
  const servers: ChildProcess[] = [];
  const stop = async (s: ChildProcess) => {
    if (s.exitCode !== null || s.signalCode !== null) return;
    const exited = new Promise((r) => s.once("exit", r));
    s.kill("SIGKILL");
    await exited;
  };
  /** The liars servers of one config in a namespace, resolved once they listen. */
  const serve = async (ns: string, config: LiarsConfig, what: string): Promise<ChildProcess> => {
    const child = spawn(
      "ip",
      ["netns", "exec", ns, process.execPath, "--import", "tsx", LIARS, JSON.stringify(config)],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    servers.push(child);
    await new Promise<void>((resolve, reject) => {
      let err = "";
      child.stderr!.on("data", (d) => {
        err += String(d);
      });
      child.stdout!.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`${what} exited with ${code}: ${err}`)));
    });
    return child;
  };
  const corednsConfig = (upstream: string): LiarsConfig => ({
    listeners: [],
    dns: [
      {
        host: COREDNS_POD,
        zone: { a: opts.zone, authoritative: ["cluster.local"], forward: upstream },
      },
    ],
  });
  let corednsServer: ChildProcess | undefined;
  const close = async () => {
    for (const s of servers) await stop(s);
    for (const ns of [client, under, coredns, ...nodeNs]) {
      try {
        sh(["ip", "netns", "del", ns]);
      } catch {
        // Already gone.
      }
    }
    rmSync(etc, { recursive: true, force: true });
  };
  const programServices = () => {
    for (let n = 0; n < 3; n++)
      inNs(nodeNs[n]!, ["iptables-restore", "--noflush"], kubeProxyRules(n, opts.services));
  };
  try {
    for (const ns of [client, under, coredns, ...nodeNs]) {
      sh(["ip", "netns", "add", ns]);
      inNs(ns, ["ip", "link", "set", "lo", "up"]);
    }
    inNs(under, ["ip", "link", "add", "br0", "type", "bridge"]);
    inNs(under, ["ip", "addr", "add", `${KIND_GATEWAY}/24`, "dev", "br0"]);
    inNs(under, ["ip", "link", "set", "br0", "up"]);
    // Past the gateway is the host and the world: here, a route to nowhere for what CoreDNS could
    // be told to forward to (TEST-NET-1), dropped without a word.
    inNs(under, ["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"]);
    inNs(under, ["ip", "route", "add", "blackhole", "192.0.2.0/24"]);
    for (let n = 0; n < 3; n++) {
      const ns = nodeNs[n]!;
      for (const k of [
        "net.ipv4.ip_forward=1",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
      ])
        inNs(ns, ["sysctl", "-q", "-w", k]);
      // The node's eth0 on the kind network.
      sh(["ip", "link", "add", `lfe${n}${suffix}`, "type", "veth", "peer", "name", `lfb${n}${suffix}`]);
      sh(["ip", "link", "set", `lfe${n}${suffix}`, "netns", ns, "name", "eth0"]);
      sh(["ip", "link", "set", `lfb${n}${suffix}`, "netns", under]);
      inNs(under, ["ip", "link", "set", `lfb${n}${suffix}`, "master", "br0", "up"]);
      inNs(ns, ["ip", "addr", "add", `${NODE_IPS[n]}/24`, "dev", "eth0"]);
      inNs(ns, ["ip", "link", "set", "eth0", "up"]);
      inNs(ns, ["ip", "route", "add", "default", "via", KIND_GATEWAY]);
      // Pods of this node: their addresses are the node's own (on lo), so it delivers to them.
      for (const p of opts.pods.filter((x) => x.node === n && x.ip !== CLIENT_IP))
        inNs(ns, ["ip", "addr", "add", `${p.ip}/32`, "dev", "lo"]);
      // ClusterIPs are no address of any node: untranslated, they vanish.
      inNs(ns, ["ip", "route", "add", "blackhole", "10.96.0.0/16"]);
    }
    // VXLAN between node0 (the hub) and each worker, one VNI per pair, Flannel's port and routes.
    for (const n of [1, 2]) {
      inNs(nodeNs[0]!, [
        "ip",
        "link",
        "add",
        `vx${n}`,
        "type",
        "vxlan",
        "id",
        String(n),
        "remote",
        NODE_IPS[n]!,
        "local",
        NODE_IPS[0]!,
        "dstport",
        "8472",
        "dev",
        "eth0",
      ]);
      inNs(nodeNs[n]!, [
        "ip",
        "link",
        "add",
        "vx0",
        "type",
        "vxlan",
        "id",
        String(n),
        "remote",
        NODE_IPS[0]!,
        "local",
        NODE_IPS[n]!,
        "dstport",
        "8472",
        "dev",
        "eth0",
      ]);
      inNs(nodeNs[0]!, ["ip", "addr", "add", `${vtep(0)}/32`, "dev", `vx${n}`]);
      inNs(nodeNs[n]!, ["ip", "addr", "add", `${vtep(n)}/32`, "dev", "vx0"]);
      inNs(nodeNs[0]!, ["ip", "link", "set", `vx${n}`, "up"]);
      inNs(nodeNs[n]!, ["ip", "link", "set", "vx0", "up"]);
      inNs(nodeNs[0]!, ["ip", "route", "add", `10.244.${n}.0/24`, "via", vtep(n), "dev", `vx${n}`, "onlink"]);
      inNs(nodeNs[n]!, ["ip", "route", "add", "10.244.0.0/24", "via", vtep(0), "dev", "vx0", "onlink"]);
      inNs(nodeNs[n]!, [
        "ip",
        "route",
        "add",
        `10.244.${3 - n}.0/24`,
        "via",
        vtep(0),
        "dev",
        "vx0",
        "onlink",
      ]);
    }
    // CoreDNS: a pod on node0, in its own namespace, so its queries upstream enter the node as a
    // pod's packets do (PREROUTING), not as the node's own.
    sh(["ip", "link", "add", `lfd${suffix}`, "type", "veth", "peer", "name", `lfg${suffix}`]);
    sh(["ip", "link", "set", `lfd${suffix}`, "netns", coredns, "name", "eth0"]);
    sh(["ip", "link", "set", `lfg${suffix}`, "netns", nodeNs[0]!]);
    inNs(coredns, ["ip", "addr", "add", `${COREDNS_POD}/32`, "dev", "eth0"]);
    inNs(coredns, ["ip", "link", "set", "eth0", "up"]);
    inNs(coredns, ["ip", "route", "add", "10.244.0.1", "dev", "eth0"]);
    inNs(coredns, ["ip", "route", "add", "default", "via", "10.244.0.1"]);
    inNs(nodeNs[0]!, ["ip", "link", "set", `lfg${suffix}`, "up"]);
    inNs(nodeNs[0]!, ["ip", "route", "add", `${COREDNS_POD}/32`, "dev", `lfg${suffix}`]);
    // kind's entrypoint on node0: Docker's DNAT for its embedded DNS moved from 127.0.0.11 to the
    // address in the node's resolv.conf, in OUTPUT and (for pods) PREROUTING, and the loopback
    // destination allowed for packets that come from a pod.
    inNs(nodeNs[0]!, ["sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1"]);
    inNs(
      nodeNs[0]!,
      ["iptables-restore", "--noflush"],
      [
        "*nat",
        ":DOCKER_OUTPUT - [0:0]",
        ":DOCKER_POSTROUTING - [0:0]",
        `-A OUTPUT -d ${KIND_GATEWAY}/32 -j DOCKER_OUTPUT`,
        `-A PREROUTING -d ${KIND_GATEWAY}/32 -j DOCKER_OUTPUT`,
        `-A POSTROUTING -d ${KIND_GATEWAY}/32 -j DOCKER_POSTROUTING`,
        `-A DOCKER_OUTPUT -d ${KIND_GATEWAY}/32 -p udp --dport 53 -j DNAT --to-destination ${DOCKER_DNS}:${DOCKER_DNS_PORT}`,
        `-A DOCKER_POSTROUTING -s ${DOCKER_DNS}/32 -p udp --sport ${DOCKER_DNS_PORT} -j SNAT --to-source ${KIND_GATEWAY}:53`,
        "COMMIT",
        "",
      ].join("\n"),
    );
    // The probe client: a pod on node0.
    sh(["ip", "link", "add", `lfc${suffix}`, "type", "veth", "peer", "name", `lfk${suffix}`]);
    sh(["ip", "link", "set", `lfc${suffix}`, "netns", client, "name", "eth0"]);
    sh(["ip", "link", "set", `lfk${suffix}`, "netns", nodeNs[0]!]);
    inNs(client, ["ip", "addr", "add", `${CLIENT_IP}/24`, "dev", "eth0"]);
    inNs(client, ["ip", "link", "set", "eth0", "mtu", "1400", "up"]);
    inNs(client, ["ip", "route", "add", "default", "via", "10.244.0.1"]);
    inNs(nodeNs[0]!, ["ip", "addr", "add", "10.244.0.1/24", "dev", `lfk${suffix}`]);
    inNs(nodeNs[0]!, ["ip", "link", "set", `lfk${suffix}`, "up"]);
    for (let n = 0; n < 3; n++) {
      inNs(nodeNs[n]!, ["iptables", "-t", "nat", "-N", "KUBE-SERVICES"]);
      inNs(nodeNs[n]!, ["iptables", "-t", "nat", "-N", "KUBE-POSTROUTING"]);
      inNs(nodeNs[n]!, ["iptables", "-t", "nat", "-A", "PREROUTING", "-j", "KUBE-SERVICES"]);
      inNs(nodeNs[n]!, ["iptables", "-t", "nat", "-A", "POSTROUTING", "-j", "KUBE-POSTROUTING"]);
      const rules = opts.policy?.[n];
      if (rules?.length)
        inNs(
          nodeNs[n]!,
          ["nft", "-f", "-"],
          `table inet labs_policy {\n  chain input {\n    type filter hook input priority 0; policy accept;\n${rules.map((r) => `    ${r}`).join("\n")}\n  }\n}\n`,
        );
    }
    programServices();
    mkdirSync(etc, { recursive: true });
    writeFileSync(
      `${etc}/resolv.conf`,
      `nameserver ${KUBE_DNS}\nsearch labs-probes.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:1\n`,
    );
    // Pods and kubelets, one server process per node; Docker's DNS on node0, where CoreDNS runs.
    const dockerDns = Object.fromEntries(opts.nodes.map((name, n) => [name, [NODE_IPS[n]!]]));
    for (let n = 0; n < 3; n++) {
      const listeners: Listener[] = [
        { host: NODE_IPS[n]!, port: 10250, personality: { kind: "netexec", name: `kubelet-${n}` } },
        ...opts.pods
          .filter((p) => p.node === n && p.ip !== CLIENT_IP)
          .map((p): Listener => ({ host: p.ip, port: 8080, personality: { kind: "netexec", name: p.name } })),
      ];
      const config: LiarsConfig = {
        listeners,
        ...(n === 0 ? { dns: [{ host: DOCKER_DNS, port: DOCKER_DNS_PORT, zone: { a: dockerDns } }] } : {}),
      };
      await serve(nodeNs[n]!, config, `node${n}'s servers`);
    }
    // kubeadm's Corefile forwards to the node's resolver: the address in its resolv.conf.
    corednsServer = await serve(coredns, corednsConfig(`${resolverOf(NODE_RESOLV_CONF)}:53`), "CoreDNS");
  } catch (e) {
    await close();
    throw e;
  }

  const facts: ClusterFacts = {
    podSubnet: opts.podSubnet,
    nodes: opts.nodes.map((name, n) => ({ name, internalIp: NODE_IPS[n]! })),
    pods: opts.pods.map((p) => ({ ...p, node: opts.nodes[p.node]!, ready: true })),
    services: opts.services.map((s) => ({
      name: s.name,
      namespace: s.namespace,
      ...(s.headless ? { clusterIp: "None" } : s.clusterIp ? { clusterIp: s.clusterIp } : {}),
      ports: [
        { name: "http", port: s.port, ...(s.nodePort ? { nodePort: s.nodePort } : {}), protocol: "TCP" },
      ],
    })),
  };

  return {
    nodeNs,
    facts,
    onNode: (n, command) => inNs(nodeNs[n]!, command),
    programServices,
    restartCoreDns: async (upstream) => {
      if (corednsServer) await stop(corednsServer);
      corednsServer = await serve(coredns, corednsConfig(upstream), "CoreDNS");
    },
    prober: (plan) => proberInNetns(client, plan, { name: "probe-control-plane", ip: CLIENT_IP }),
    close,
  };
}

/** The first nameserver of a resolv.conf. */
export function resolverOf(resolvConf: string): string {
  const m = /^nameserver\s+(\S+)/m.exec(resolvConf);
  if (!m) throw new Error(`no nameserver in ${JSON.stringify(resolvConf)}`);
  return m[1]!;
}

/**
 * Where a Corefile's `forward .` sends names outside the cluster, as `host:port`: a resolv.conf
 * path means the node's own resolver (the Corefile is read in a CoreDNS pod with dnsPolicy
 * Default, whose resolv.conf is the node's).
 */
export function upstreamOf(corefile: string): string {
  const m = /^\s*forward\s+\.\s+(\S+)/m.exec(corefile);
  if (!m) throw new Error("the Corefile forwards nothing");
  const to = m[1]!;
  if (to.startsWith("/")) return `${resolverOf(NODE_RESOLV_CONF)}:53`;
  return to.includes(":") ? to : `${to}:53`;
}
