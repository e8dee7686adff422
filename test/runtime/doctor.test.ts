/**
 * `labs doctor`: the checks are pure functions of gathered facts (tested with made-up facts); the
 * gatherer is tested for real on this machine where it can be (inotify, kernel files, cgroups,
 * binding ports, the docker client without a daemon).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BPF_NEED, IP_VS_NEED, NF_TABLES_NEED } from "../../lib/components/host-needs.ts";
import { metallbAddressPool } from "../../lib/components/lb/metallb.ts";
import { probeDocker } from "../../lib/runtime/docker.ts";
import { type DoctorCheck, doctorChecks, INOTIFY_MIN, overall } from "../../lib/runtime/doctor/checks.ts";
import { runDoctor } from "../../lib/runtime/doctor/doctor.ts";
import { type DoctorFacts, readInotify, readRoutes } from "../../lib/runtime/doctor/facts.ts";
import {
  bpfState,
  featureState,
  hasBpffs,
  IP_VS,
  type KernelFacts,
  NF_TABLES,
  parseKernelConfig,
  parseModuleList,
  parseProcModules,
  readKernelFacts,
} from "../../lib/runtime/doctor/kernel.ts";
import { labNeeds } from "../../lib/runtime/doctor/lab-needs.ts";
import { tryBind } from "../../lib/runtime/ports.ts";
import { Toolchain } from "../../lib/runtime/toolchain.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { catalogueLab } from "./support.ts";

const GiB = 1024 ** 3;
const kernel = (k: Partial<KernelFacts> = {}): KernelFacts => ({
  release: "6.8.0",
  loaded: ["nf_tables", "ip_vs"],
  config: { CONFIG_BPF_SYSCALL: "y", CONFIG_BPF_JIT: "y", CONFIG_IP_VS: "m", CONFIG_NF_TABLES: "m" },
  bpffs: true,
  ...k,
});
const lab = (over: Partial<NonNullable<DoctorFacts["lab"]>> = {}): NonNullable<DoctorFacts["lab"]> => ({
  name: "demo",
  cluster: "labs-demo",
  kubernetes: "v1.36.1",
  kubeMinor: 36,
  nodes: 3,
  proxyMode: "iptables",
  cni: "kindnet",
  podSubnet: "10.244.0.0/16",
  serviceSubnet: "10.96.0.0/16",
  hostPorts: [],
  addressPools: [],
  kernel: [NF_TABLES_NEED],
  helm: false,
  hostWide: [],
  ...over,
});
/** A healthy Linux host; each test changes one fact. */
function facts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    platform: "linux",
    docker: {
      state: "ok",
      info: {
        serverVersion: "28.2.2",
        memTotalBytes: 16 * GiB,
        cpus: 8,
        cgroupVersion: "2",
        architecture: "x86_64",
      },
    },
    tools: {
      kind: { found: { name: "kind", path: "/usr/local/bin/kind", source: "path" }, version: "v0.32.0" },
      kubectl: {
        found: { name: "kubectl", path: "/usr/local/bin/kubectl", source: "path" },
        version: "v1.36.1",
      },
      helm: { found: { name: "helm", path: "/usr/local/bin/helm", source: "path" }, version: "v3.18.4" },
    },
    inotify: { maxUserWatches: 524_288, maxUserInstances: 512 },
    kindNetwork: { exists: true, subnets: ["172.18.0.0/16", "fc00:f853:ccd:e793::/64"] },
    kernel: kernel(),
    cgroup: { engine: "2", hostV2: true },
    lab: lab(),
    ports: [],
    ...over,
  };
}
const check = (checks: DoctorCheck[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${checks.map((x) => x.id).join(", ")}`);
  return c;
};

describe("doctor checks (made-up facts)", () => {
  it("passes a healthy host", () => {
    const checks = doctorChecks(facts());
    expect(checks.filter((c) => c.status !== "ok")).toEqual([]);
    expect(overall(checks)).toBe("ok");
  });

  it("fails without Docker, or with its daemon down, naming the fix", () => {
    const missing = check(doctorChecks(facts({ docker: { state: "missing" } })), "docker");
    expect(missing).toMatchObject({ status: "fail", fix: expect.stringMatching(/install Docker/) });
    const down = check(
      doctorChecks(
        facts({
          docker: {
            state: "unreachable",
            detail: "Cannot connect to the Docker daemon",
            permissionDenied: false,
          },
        }),
      ),
      "docker",
    );
    expect(down).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/Cannot connect/),
      fix: expect.stringMatching(/systemctl start docker/),
    });
    const denied = check(
      doctorChecks(
        facts({ docker: { state: "unreachable", detail: "permission denied", permissionDenied: true } }),
      ),
      "docker",
    );
    expect(denied.fix).toMatch(/usermod -aG docker/);
  });

  it("judges Docker's memory against the lab's node count", () => {
    const mem = (gib: number, nodes = 3) =>
      check(
        doctorChecks(
          facts({
            docker: { state: "ok", info: { serverVersion: "28", memTotalBytes: gib * GiB, cpus: 4 } },
            lab: lab({ nodes }),
          }),
        ),
        "docker-memory",
      ).status;
    expect([mem(1.5), mem(3), mem(6), mem(6, 6), mem(9, 6)]).toEqual(["fail", "warn", "ok", "warn", "ok"]);
  });

  it("fails a missing kind with the install command, warns on another version and on kubectl skew", () => {
    const missing = check(doctorChecks(facts({ tools: { ...facts().tools, kind: {} } })), "kind");
    expect(missing).toMatchObject({ status: "fail", fix: expect.stringMatching(/labs doctor --install/) });
    const old = check(
      doctorChecks(
        facts({ tools: { ...facts().tools, kind: { ...facts().tools.kind, version: "v0.27.0" } } }),
      ),
      "kind",
    );
    expect(old).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/v0\.27\.0 .* tested with v0\.32\.0/),
    });
    const skew = check(
      doctorChecks(
        facts({ tools: { ...facts().tools, kubectl: { ...facts().tools.kubectl, version: "v1.32.4" } } }),
      ),
      "kubectl",
    );
    expect(skew).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/more than one minor version from the lab's Kubernetes v1\.36\.1/),
    });
    const near = check(
      doctorChecks(
        facts({ tools: { ...facts().tools, kubectl: { ...facts().tools.kubectl, version: "v1.35.2" } } }),
      ),
      "kubectl",
    );
    expect(near.status).toBe("ok");
  });

  it("needs helm only for labs that render a chart", () => {
    const noHelm = { ...facts().tools, helm: {} };
    expect(check(doctorChecks(facts({ tools: noHelm })), "helm").status).toBe("ok");
    expect(check(doctorChecks(facts({ tools: noHelm, lab: lab({ helm: true }) })), "helm").status).toBe(
      "fail",
    );
    expect(check(doctorChecks(facts({ tools: noHelm, lab: undefined })), "helm").status).toBe("warn");
  });

  it("warns when a route of this host lies inside the lab's pod or service network (#10)", () => {
    const routes = [
      { destination: "192.168.1.0/24", device: "wlan0" },
      { destination: "10.20.0.0/16", device: "tun0" },
    ];
    const checks = doctorChecks(facts({ routes, lab: lab({ podSubnet: "192.168.0.0/16" }) }));
    expect(checks.filter((c) => c.id.startsWith("route-"))).toEqual([
      {
        id: "route-192.168.1.0/24",
        title: "this host's routes vs the lab's addresses",
        status: "warn",
        detail:
          "pod subnet 192.168.0.0/16 overlaps this host's route to 192.168.1.0/24 (wlan0): pods cannot reach addresses there",
        fix: "choose another podSubnet for the lab, clear of 192.168.1.0/24",
      },
    ]);
    expect(doctorChecks(facts({ routes })).filter((c) => c.id.startsWith("route-"))).toEqual([]);
  });

  it("reads IPv4 routes from /proc/net/route's hex, leaving the default route out", () => {
    const dir = mkdtempSync(join(tmpdir(), "labs-routes-"));
    const file = join(dir, "route");
    writeFileSync(
      file,
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
        "wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
        "wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0\n" +
        "br-1\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n",
    );
    expect(readRoutes(file)).toEqual([
      { destination: "192.168.1.0/24", device: "wlan0" },
      { destination: "172.18.0.0/16", device: "br-1" },
    ]);
    expect(readRoutes(join(dir, "absent"))).toBeUndefined();
  });

  it("fails a cloud-provider-kind lab beside a kind cluster labs did not create, and says who shares it", () => {
    const cpk = {
      name: "labs-cloud-provider-kind",
      image: "registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1",
      args: ["--gateway-channel=disabled"],
      dockerSocket: true,
      network: "kind" as const,
      hostWide: { why: "it manages every kind cluster" },
    };
    const me = lab({ hostWide: [cpk] });
    const host = (clusters: string[], running: NonNullable<DoctorFacts["host"]>["running"] = []) => ({
      clusters,
      running,
      containers: [],
    });
    const alone = check(doctorChecks(facts({ lab: me, host: host(["kind"]) })), "host-wide");
    expect(alone.status).toBe("fail");
    expect(alone.detail).toMatch(/would also act on the kind cluster kind, which labs did not create/);
    const shared = check(
      doctorChecks(
        facts({
          lab: me,
          host: host(["labs-other"], [{ lab: "other", cluster: "labs-other", hostWide: [cpk] }]),
        }),
      ),
      "host-wide",
    );
    expect(shared).toMatchObject({ status: "ok", detail: "labs-cloud-provider-kind is shared with other" });
    // Clusters that could not be listed are not "no other clusters".
    const unlisted = check(
      doctorChecks(
        facts({ lab: me, host: { ...host([]), clustersError: "kind get clusters failed: boom" } }),
      ),
      "host-wide",
    );
    expect(unlisted.status).toBe("warn");
    expect(unlisted.detail).toMatch(/could not list the clusters \(kind get clusters failed: boom\)/);
  });

  it("warns on low inotify limits with the sysctl command", () => {
    const c = check(
      doctorChecks(facts({ inotify: { maxUserWatches: 8192, maxUserInstances: 128 } })),
      "inotify",
    );
    expect(c.status).toBe("warn");
    expect(c.detail).toBe(
      'max_user_watches 8192 < 524288, max_user_instances 128 < 512: multi-node clusters fail with "too many open files"',
    );
    expect(c.fix).toMatch(
      /^sudo sysctl fs\.inotify\.max_user_watches=524288 fs\.inotify\.max_user_instances=512/,
    );
    expect(check(doctorChecks(facts({ inotify: undefined })), "inotify").status).toBe("ok");
  });

  it("judges each host port: free, held by another lab, by another program, or by this lab's own cluster", () => {
    const p = { listenAddress: "127.0.0.1", hostPort: 8080, protocol: "TCP" };
    const status = (fact: DoctorFacts["ports"][number]) =>
      check(doctorChecks(facts({ lab: lab({ hostPorts: [p] }), ports: [fact] })), "port-8080");
    expect(status({ port: p, bind: { state: "free" } }).status).toBe("ok");
    expect(status({ port: p, ownCluster: true }).status).toBe("ok");
    expect(status({ port: p, labHolding: "other" })).toMatchObject({
      status: "fail",
      fix: expect.stringMatching(/labs down other/),
    });
    expect(status({ port: p, bind: { state: "in-use", detail: "" } })).toMatchObject({
      status: "fail",
      detail: "in use by another program",
    });
    expect(status({ port: p, bind: { state: "unknown", detail: "cannot test" } }).status).toBe("warn");
  });

  it("fails lab CIDRs that overlap the kind network and a load balancer pool outside it", () => {
    const overlap = check(
      doctorChecks(facts({ lab: lab({ podSubnet: "172.18.128.0/17" }) })),
      "network-cidrs",
    );
    expect(overlap).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/pod subnet 172\.18\.128\.0\/17 overlaps 172\.18\.0\.0\/16/),
    });
    const inside = check(
      doctorChecks(
        facts({ lab: lab({ addressPools: [metallbAddressPool("172.18.255.200-172.18.255.250")] }) }),
      ),
      "lb-pool",
    );
    expect(inside.status).toBe("ok");
    const outside = check(
      doctorChecks(facts({ lab: lab({ addressPools: [metallbAddressPool("192.168.10.0/24")] }) })),
      "lb-pool",
    );
    expect(outside).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^MetalLB pool 192\.168\.10\.0\/24 is outside the kind Docker network/),
      fix: expect.stringMatching(/pool: "172\.18\.255\.\d+-172\.18\.255\.\d+"/),
    });
    // Before kind made its network, the usual subnet is assumed and problems are only warnings.
    const early = check(
      doctorChecks(
        facts({
          kindNetwork: { exists: false, subnets: [] },
          lab: lab({ addressPools: [metallbAddressPool("10.0.0.0/24")] }),
        }),
      ),
      "lb-pool",
    );
    expect(early.status).toBe("warn");
  });

  it("checks the kernel for what the lab's mode needs: ip_vs, nf_tables, eBPF", () => {
    const ipvsLab = lab({ kernel: [IP_VS_NEED] });
    const ipvs = (k: Partial<KernelFacts>) =>
      check(doctorChecks(facts({ lab: ipvsLab, kernel: kernel(k) })), "kernel-ipvs");
    expect(ipvs({}).status).toBe("ok");
    expect(ipvs({ loaded: [] })).toMatchObject({
      status: "warn",
      fix: expect.stringMatching(/modprobe -a ip_vs/),
    });
    expect(ipvs({ loaded: [], config: { CONFIG_NF_TABLES: "y" } })).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/has no ip_vs .*CONFIG_IP_VS not set/),
    });
    expect(ipvs({ loaded: undefined, config: undefined }).status).toBe("warn");

    const bpfLab = lab({ kernel: [BPF_NEED] });
    const bpf = (k: Partial<KernelFacts>) =>
      check(doctorChecks(facts({ lab: bpfLab, kernel: kernel(k) })), "kernel-bpf");
    expect(bpf({}).status).toBe("ok");
    expect(bpf({ config: { CONFIG_BPF_SYSCALL: "n" } }).status).toBe("fail");
    expect(bpf({ bpffs: false })).toMatchObject({
      status: "warn",
      fix: expect.stringMatching(/mount -t bpf/),
    });
  });

  it("fails cgroup v1 for node images from Kubernetes 1.35 on, and accepts it for older ones", () => {
    const v1 = { engine: "1" };
    expect(check(doctorChecks(facts({ cgroup: v1 })), "cgroup")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/≥ 1\.35/),
    });
    expect(
      check(doctorChecks(facts({ cgroup: v1, lab: lab({ kubeMinor: 34, kubernetes: "v1.34.3" }) })), "cgroup")
        .status,
    ).toBe("ok");
    expect(check(doctorChecks(facts({ cgroup: { hostV2: false }, lab: undefined })), "cgroup").status).toBe(
      "warn",
    );
  });
});

describe("what a lab needs", () => {
  it("derives the kernel features and tools from the lab's components", async () => {
    const ipvs = labNeeds(await catalogueLab("kindnet-ipvs"));
    expect(ipvs).toMatchObject({
      cluster: "labs-kindnet-ipvs",
      proxyMode: "ipvs",
      cni: "kindnet",
      kubernetes: "v1.36.1",
      nodes: 3,
    });
    // kube-proxy's ipvs mode needs ip_vs; kindnet's policy engine needs nf_tables.
    expect(ipvs.kernel.map((n) => n.id)).toEqual(["kernel-ipvs", "kernel-nftables"]);
    expect(ipvs.helm).toBe(false);
    const cilium = labNeeds(await catalogueLab("cilium-kpr"));
    expect(cilium.kernel.map((n) => n.id)).toEqual(["kernel-bpf"]);
    expect(cilium.helm).toBe(true);
    const calico = labNeeds(await catalogueLab("calico-nftables"));
    expect(calico.kernel.map((n) => n.id)).toEqual(["kernel-nftables"]);
  });
});

describe("kernel facts", () => {
  it("parses /proc/modules, modules.dep, modules.builtin, a kernel config and /proc/mounts", () => {
    expect(parseProcModules("ip_vs_rr 12288 0 - Live 0x0\nip_vs 200704 2 ip_vs_rr, Live 0x0\n")).toEqual([
      "ip_vs_rr",
      "ip_vs",
    ]);
    expect(
      parseModuleList(
        "kernel/net/netfilter/ipvs/ip_vs.ko.zst: kernel/net/netfilter/nf_conntrack.ko.zst\nkernel/net/netfilter/nf_tables.ko\n",
      ),
    ).toEqual(["ip_vs", "nf_tables"]);
    expect(
      parseKernelConfig(
        '# comment\nCONFIG_IP_VS=m\nCONFIG_BPF_SYSCALL=y\n# CONFIG_X is not set\nCONFIG_S="v"',
      ),
    ).toEqual({
      CONFIG_IP_VS: "m",
      CONFIG_BPF_SYSCALL: "y",
      CONFIG_S: "v",
    });
    expect(hasBpffs("proc /proc proc rw 0 0\nbpf /sys/fs/bpf bpf rw 0 0\n")).toBe(true);
    expect(hasBpffs("proc /proc proc rw 0 0\n")).toBe(false);
    expect(featureState(kernel({ loaded: [], config: { CONFIG_NF_TABLES: "y" } }), NF_TABLES)).toBe(
      "builtin",
    );
    expect(featureState(kernel({ loaded: [], available: ["ip_vs"], config: undefined }), IP_VS)).toBe(
      "loadable",
    );
    expect(bpfState(kernel({ config: undefined })).state).toBe("unknown");
  });

  it.skipIf(process.platform !== "linux")("reads this Linux host's kernel as it is", () => {
    const k = readKernelFacts();
    expect(k.release).toBe(release());
    expect(k.loaded === undefined).toBe(!existsSync("/proc/modules"));
    expect(k.bpffs).toBe(hasBpffs(readFileSync("/proc/mounts", "utf8")));
    if (existsSync("/proc/config.gz")) expect(k.configSource).toBe("/proc/config.gz");
    if (k.config) expect(Object.keys(k.config).every((key) => key.startsWith("CONFIG_"))).toBe(true);
  });

  it.skipIf(!existsSync("/proc/sys/fs/inotify/max_user_watches"))(
    "reads the inotify limits of this host",
    () => {
      const watches = Number(readFileSync("/proc/sys/fs/inotify/max_user_watches", "utf8"));
      const got = readInotify();
      expect(got?.maxUserWatches).toBe(watches);
      expect(typeof got?.maxUserInstances).toBe("number");
      const verdict = check(doctorChecks(facts({ inotify: got })), "inotify").status;
      expect(verdict).toBe(
        watches >= INOTIFY_MIN.maxUserWatches && got!.maxUserInstances! >= INOTIFY_MIN.maxUserInstances
          ? "ok"
          : "warn",
      );
    },
  );
});

describe("binding host ports for real", () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it("tells a free port from one in use and from an address this host does not have", async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const taken = (server.address() as { port: number }).port;
    expect((await tryBind("127.0.0.1", taken)).state).toBe("in-use");
    const free = await tryBind("127.0.0.1", 0);
    expect(free.state).toBe("free");
    expect((await tryBind("192.0.2.10", 18080)).state).toBe("bad-address");
    expect((await tryBind("127.0.0.1", taken, "UDP")).state).toBe("free");
  });
});

describe("doctor end to end", { timeout: 60_000 }, () => {
  const fakes: Fake[] = [];
  afterAll(() => {
    for (const f of fakes) f.cleanup();
  });

  it("gathers from the (fake) toolchain and judges a lab", async () => {
    const fake = fakeToolchain();
    fakes.push(fake);
    const report = await runDoctor({ spec: await catalogueLab("kindnet-iptables"), env: fake.env });
    expect(report.lab).toBe("kindnet-iptables");
    expect(check(report.checks, "docker")).toMatchObject({
      status: "ok",
      detail: "engine 28.2.2 (Fake Linux), 4 CPUs",
    });
    expect(check(report.checks, "kind")).toMatchObject({
      status: "ok",
      detail: `v0.32.0 at ${fake.bin}/kind`,
    });
    expect(check(report.checks, "kubectl").status).toBe("ok");
    expect(report.facts.kindNetwork).toEqual({ exists: false, subnets: [] });
    expect(check(report.checks, "network-cidrs").detail).toMatch(/not created yet/);
    // Facts that come from the host itself are this machine's.
    expect(report.facts.inotify).toEqual(process.platform === "linux" ? readInotify() : undefined);
  });

  it.skipIf(!hasRealDocker())(
    "reports this machine's Docker as it is (a client without a daemon here)",
    async () => {
      const probe = await probeDocker(new Toolchain());
      if (probe.state === "ok") {
        console.log("note: a Docker daemon is reachable here; the unreachable path is covered by the fake");
        expect(probe.info.serverVersion).not.toBe("");
        return;
      }
      expect(probe.state).toBe("unreachable");
      const c = check(doctorChecks(facts({ docker: probe })), "docker");
      expect(c.status).toBe("fail");
      expect(c.detail).toMatch(/Cannot connect to the Docker daemon|error during connect|permission denied/i);
    },
  );
});

function hasRealDocker(): boolean {
  const found = new Toolchain().locate("docker");
  if (!found) console.log("skipped: no docker client on PATH");
  return found !== undefined;
}
