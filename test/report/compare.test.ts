/**
 * `labs compare` orchestration. No cluster can run here, so this runs against the runtime's
 * recording fake toolchain (test/fake-toolchain): it proves the order of steps, that every lab is
 * torn down, and what lands in the run folder — not real performance numbers (the fake's prober
 * answers latency probes without timings, which compare must report as missing, not invent).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { compareLabs, parallelism } from "../../lib/compare/compare-labs.ts";
import { resolveLab, serviceDataplaneOf } from "../../lib/components/resolve.ts";
import { latencyPlans } from "../../lib/runtime/performance.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { readRun, tempDir } from "./support.ts";

const fakes: Fake[] = [];
afterAll(() => {
  for (const f of fakes) f.cleanup();
});

const spec = async (name: string) => (await findLabs([name]))[0]!.spec;
const GiB = 1024 ** 3;

describe("labs compare against the fake toolchain", () => {
  it("runs up, verify, the performance sample and down for each lab in turn, and writes the run folder", async () => {
    const fake = fakeToolchain();
    fakes.push(fake);
    const out = tempDir("labs-compare-");
    const lines: string[] = [];
    const { results, files } = await compareLabs({
      specs: [await spec("kindnet-iptables"), await spec("kindnet-ipvs")],
      out,
      env: fake.env,
      // The fake engine is not this machine: the doctor does not read this host's kernel.
      upOptions: { pollMs: 5, applyRetryMs: 5, labsVersion: "test", readHost: false },
      onLine: (l) => lines.push(l),
    });
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      "junit.xml",
      "report.html",
      "report.md",
      "results.json",
    ]);
    expect(readRun(out)).toEqual(results);
    expect(results.labs.map((l) => [l.lab, l.status])).toEqual([
      ["kindnet-iptables", "ok"],
      ["kindnet-ipvs", "ok"],
    ]);
    for (const l of results.labs) {
      expect(l.probes!.summary.total).toBeGreaterThan(10);
      expect(l.stages.map((s) => s.id)).toContain("toolchain");
      expect(l.lock?.lab).toBe(l.lab);
      expect(existsSync(join(out, l.logs!, "timings.json"))).toBe(true);
      // The fake's latency answers carry no statistics: noted, never made up.
      expect(l.performance!.latency).toEqual([]);
      expect(l.performance!.notes.some((n) => /^no ClusterIP latency/.test(n))).toBe(true);
    }
    // One lab after the other: the first is deleted before the second is created.
    const kind = fake.lines("kind").filter((l) => /^kind (create|delete) cluster/.test(l));
    expect(kind.map((l) => l.split(" --")[0] + (l.match(/labs-kindnet-\w+/)?.[0] ?? ""))).toEqual([
      "kind create clusterlabs-kindnet-iptables",
      "kind delete clusterlabs-kindnet-iptables",
      "kind create clusterlabs-kindnet-ipvs",
      "kind delete clusterlabs-kindnet-ipvs",
    ]);
    expect(lines).toContain("kindnet-iptables: performance sample");
  }, 120_000);

  it("keeps the clusters with keep, and records a failed up without stopping the others", async () => {
    const fake = fakeToolchain({ FAKE_FAIL: "kind create cluster --name labs-kindnet-nftables" });
    fakes.push(fake);
    const out = tempDir("labs-compare-");
    const { results } = await compareLabs({
      specs: [await spec("kindnet-nftables"), await spec("kindnet-iptables")],
      out,
      env: fake.env,
      keep: true,
      performance: false,
      // The fake engine is not this machine: the doctor does not read this host's kernel.
      upOptions: { pollMs: 5, applyRetryMs: 5, labsVersion: "test", readHost: false },
    });
    expect(results.labs.map((l) => [l.lab, l.status])).toEqual([
      ["kindnet-nftables", "failed"],
      ["kindnet-iptables", "ok"],
    ]);
    expect(results.labs[0]!.error).toBeTruthy();
    expect(fake.lines("kind").some((l) => l.startsWith("kind delete cluster"))).toBe(false);
    expect(fake.cluster("labs-kindnet-iptables")).toBeDefined();
  }, 120_000);
});

describe("compare's decisions", () => {
  it("runs labs in parallel only as far as free memory allows", async () => {
    const three = [
      await spec("kindnet-iptables"),
      await spec("kindnet-ipvs"),
      await spec("kindnet-nftables"),
    ];
    expect(parallelism(1, three, 64 * GiB)).toEqual({ parallel: 1 });
    expect(parallelism(3, three, 64 * GiB)).toEqual({ parallel: 3 });
    const tight = parallelism(3, three, 10 * GiB);
    expect(tight.parallel).toBe(2);
    expect(tight.note).toMatch(/--parallel 3 lowered to 2: 10\.0 GiB free/);
    expect(parallelism(3, three, 2 * GiB).parallel).toBe(1);
  });

  it("counts the dataplane as the lab's components say", async () => {
    const measure = async (lab: string) => serviceDataplaneOf(resolveLab(await spec(lab))).size?.measure;
    expect(await measure("kindnet-iptables")).toBe("iptables-rules");
    expect(await measure("flannel-nftables")).toBe("nftables-elements");
    expect(await measure("kindnet-ipvs")).toBe("ipvs-services");
    // Cilium's replacement keeps Services in its eBPF maps; next to kube-proxy its chains count.
    expect(await measure("cilium-kpr")).toBe("bpf-map-entries");
    expect(await measure("cilium-iptables")).toBe("iptables-rules");
    // Calico's eBPF dataplane says no way to count its maps yet: compare notes the gap.
    expect(await measure("calico-ebpf")).toBeUndefined();
  });

  it("samples every path with one request count and concurrency, from where its probe runs", () => {
    const http = (id: string, url: string) => ({
      id,
      kind: "http" as const,
      url,
      expect: "reachable" as const,
    });
    const plans = latencyPlans([
      {
        source: { client: "probe-worker", namespace: "labs-probes" },
        plan: {
          version: 1,
          probes: [
            http("pod-to-cluster-ip/demo/echo/probe-worker", "http://10.96.0.9/clientip"),
            http("nodeport-own-node/demo/echo-nodeport", "http://172.18.0.3:30080/hostname"),
          ],
        },
      },
      {
        source: { host: true },
        plan: { version: 1, probes: [http("ingress-paths/demo/echo/echo", "http://127.0.0.1:80/echo")] },
      },
    ]);
    expect(plans.map((p) => p.path)).toEqual(["ClusterIP", "NodePort", "Ingress"]);
    for (const p of plans) {
      const probe = p.batch.plan.probes[0]!;
      expect(probe).toMatchObject({
        kind: "latency",
        requests: 500,
        concurrency: 10,
        target: { kind: "http" },
      });
    }
    expect(plans[2]!.batch.source).toEqual({ host: true });
    expect(plans[0]!.batch.plan.probes[0]).toMatchObject({ target: { url: "http://10.96.0.9/clientip" } });
  });
});
