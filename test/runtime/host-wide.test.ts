/**
 * #10 defect 7: cloud-provider-kind acts on every kind cluster on the Docker host, and its
 * SIGTERM cleanup deletes every container it labelled, for any cluster. labs runs one shared
 * instance with its labs counted (shown by `labs status`), refuses what must not run beside it
 * with a clear message, and `down` never removes another cluster's containers.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { hostGroups } from "../../lib/compare/compare-labs.ts";
import type { SideContainer } from "../../lib/model/lab-json.ts";
import type { LabSpec } from "../../lib/model/lab-spec.ts";
import { down } from "../../lib/runtime/down.ts";
import { hostWideConflicts, type RunningLab } from "../../lib/runtime/host-wide.ts";
import { labsStatus } from "../../lib/runtime/status.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { catalogueLab, thrown, upWith } from "./support.ts";

const CPK = "labs-cloud-provider-kind";
const IMAGE = "registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1";
const cpk = (channel = "disabled"): SideContainer => ({
  name: CPK,
  image: IMAGE,
  args: [`--gateway-channel=${channel}`, "--enable-default-ingress=false"],
  dockerSocket: true,
  network: "kind",
  hostWide: { why: "it manages every kind cluster" },
});
const lab = (name: string, hostWide: SideContainer[] = []): RunningLab => ({
  lab: name,
  cluster: `labs-${name}`,
  hostWide,
});

describe("what may run beside a host-wide cloud-provider-kind", () => {
  const conflicts = (
    me: RunningLab,
    running: RunningLab[],
    clusters = running.map((r) => r.cluster),
    containers: Parameters<typeof hostWideConflicts>[0]["containers"] = [],
  ) => hostWideConflicts({ me, clusters, running, containers });

  it("shares one instance among labs that run it with the same arguments", () => {
    expect(conflicts(lab("a", [cpk()]), [lab("b", [cpk()])])).toEqual([]);
    expect(conflicts(lab("a"), [lab("b")])).toEqual([]);
  });

  it("refuses a user's own kind cluster beside it, naming the cluster and the fix", () => {
    expect(conflicts(lab("a", [cpk()]), [], ["kind", "labs-a"])).toEqual([
      {
        detail: `${CPK} (it manages every kind cluster) would also act on the kind cluster kind, which labs did not create`,
        fix: "delete it if you can (`kind delete cluster --name kind`), or run this lab where no other kind cluster runs",
      },
    ]);
  });

  it("refuses a lab without it while it runs, and it beside a lab without it", () => {
    expect(conflicts(lab("plain"), [lab("a", [cpk()])])).toEqual([
      {
        detail: `${CPK}, which runs for a, acts on every kind cluster on this host: it would act on this lab's cluster too`,
        fix: "`labs down a` first (`labs compare` runs such labs one after the other)",
      },
    ]);
    expect(conflicts(lab("a", [cpk()]), [lab("plain")])[0]!.detail).toBe(
      `${CPK} (it manages every kind cluster) would also act on the cluster of the running lab plain, which does not use it`,
    );
  });

  it("refuses other arguments than the running instance's", () => {
    expect(conflicts(lab("gw", [cpk("standard")]), [lab("a", [cpk("disabled")])])).toEqual([
      {
        detail: `${CPK} runs for a with --gateway-channel=disabled --enable-default-ingress=false; this lab needs --gateway-channel=standard --enable-default-ingress=false, and one instance serves every cluster`,
        fix: "`labs down a` first (`labs compare` runs such labs one after the other)",
      },
    ]);
  });

  it("refuses beside a cloud-provider-kind labs did not start", () => {
    const found = conflicts(
      lab("a", [cpk()]),
      [],
      ["labs-a"],
      [
        { name: "my-cpk", image: IMAGE, running: true, labsName: "" },
        { name: CPK, image: IMAGE, running: true, labsName: CPK },
      ],
    );
    expect(found).toEqual([
      {
        detail:
          "another cloud-controller-manager runs on this host (container my-cpk), not started by labs: two instances fight over every cluster's load balancers",
        fix: "stop it (`docker stop my-cpk`) while labs runs this lab, or run the lab on another host",
      },
    ]);
  });
});

describe("labs compare and the host", () => {
  it("runs labs that cannot share the Docker host in groups, one group after the other", async () => {
    const names = [
      "kindnet-iptables",
      "kindnet-cloud-provider-kind",
      "cilium-kpr",
      "flannel-iptables",
      "kindnet-nftables-gateway",
    ];
    const specs = (await findLabs(names)).map((e) => e.spec);
    const groups = hostGroups(specs).map((g) => g.map((i) => specs[i]!.name));
    expect(groups).toEqual([
      ["kindnet-iptables", "flannel-iptables"],
      // cloud-provider-kind with its Gateway API controllers on…
      ["kindnet-cloud-provider-kind"],
      // …and off: the same instance serves both of these.
      ["cilium-kpr", "kindnet-nftables-gateway"],
    ]);
  });
});

describe.concurrent("labs up and down with the shared cloud-provider-kind", { timeout: 180_000 }, () => {
  const fakes: Fake[] = [];
  afterAll(() => {
    for (const f of fakes) f.cleanup();
  });
  const newFake = () => {
    const f = fakeToolchain();
    fakes.push(f);
    return f;
  };
  /** kindnet with cloud-provider-kind as its load balancer only (no upstream files needed). */
  const withLb = async (name: string, nodePort: number): Promise<LabSpec> => ({
    ...(await catalogueLab("kindnet-iptables")),
    name,
    loadBalancer: { name: "cloud-provider-kind", options: {} },
    hostPorts: { ingressHttp: 80, ingressHttps: 443, nodePort, gatewayHttp: 8080 },
  });

  it("starts it once for two labs, counts them in status, and stops it with the last one", async () => {
    const fake = newFake();
    await upWith(fake, await withLb("lb-a", 30080));
    const second = await upWith(fake, await withLb("lb-b", 30081));
    expect(
      fake.lines("docker").filter((l) => l.startsWith(`docker run --detach --name ${CPK}`)),
    ).toHaveLength(1);
    expect(second.timings.find((t) => t.id.startsWith("side-containers"))?.detail).toBe(`${CPK} shared`);
    expect((await labsStatus(fake.env)).shared).toEqual([
      { name: CPK, image: IMAGE, running: true, users: ["lb-a", "lb-b"], alsoActsOn: [] },
    ]);

    // Each lab's load balancers, as cloud-provider-kind labels them.
    const containers = fake.containers();
    for (const c of ["labs-lb-a", "labs-lb-b"])
      containers[`${c}-lb`] = {
        image: "docker.io/envoyproxy/envoy:v1.33.2",
        args: [],
        labels: { "io.x-k8s.cloud-provider-kind.cluster": c },
      };
    writeFileSync(join(fake.world, "containers.json"), JSON.stringify(containers));

    const a = await down("lb-a", { env: fake.env });
    expect(a.sharedKept).toEqual([{ name: CPK, users: ["lb-b"] }]);
    expect(a.sideContainers).toEqual(["labs-lb-a-lb"]);
    expect(Object.keys(fake.containers()).sort()).toEqual([CPK, "labs-lb-b-lb"]);
    expect((await labsStatus(fake.env)).shared[0]!.users).toEqual(["lb-b"]);

    const b = await down("lb-b", { env: fake.env });
    expect(b.sharedKept).toBeUndefined();
    expect(b.sideContainers).toEqual([CPK, "labs-lb-b-lb"]);
    expect(fake.containers()).toEqual({});
  });

  it("refuses, before kind creates anything, a lab it would run beside a user's kind cluster", async () => {
    const fake = newFake();
    fake.addForeignCluster("kind");
    const spec = await withLb("lb-a", 30080);
    const e = await thrown(() => upWith(fake, spec));
    expect(e.message).toBe(
      `lb-a cannot run on this host: other kind clusters on this host: ${CPK} (cloud-provider-kind manages every kind cluster on the Docker host, and its shutdown deletes every load balancer it made, for any cluster) would also act on the kind cluster kind, which labs did not create`,
    );
    expect(e.fix).toBe(
      "delete it if you can (`kind delete cluster --name kind`), or run this lab where no other kind cluster runs",
    );
    expect(fake.lines("kind").some((l) => l.startsWith("kind create"))).toBe(false);
    expect(fake.containers()).toEqual({});
  });

  it("refuses a lab without it while it runs for another lab", async () => {
    const fake = newFake();
    await upWith(fake, await withLb("lb-a", 30080));
    const plain = {
      ...(await catalogueLab("kindnet-iptables")),
      hostPorts: { ingressHttp: 80, ingressHttps: 443, nodePort: 30082, gatewayHttp: 8080 },
    };
    const e = await thrown(() => upWith(fake, plain));
    expect(e.message).toContain(`${CPK}, which runs for lb-a, acts on every kind cluster on this host`);
    expect(e.fix).toContain("`labs down lb-a` first");
    expect(fake.cluster("labs-kindnet-iptables")).toBeUndefined();
  });
});
