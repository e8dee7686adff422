/**
 * `labs down` deletes only what labs created (name prefix AND marker), removes the lab's side
 * containers and keeps the cache; `labs status` lists running labs and names the rest.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabSpec } from "../../lib/model/lab-spec.ts";
import { down, labClusters } from "../../lib/runtime/down.ts";
import { formatAge, labsStatus } from "../../lib/runtime/status.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { catalogueLab, thrown, upWith } from "./support.ts";

const LAB = "kindnet-iptables";
const CLUSTER = `labs-${LAB}`;
let spec: LabSpec;
const fakes: Fake[] = [];
const newFake = (knobs: Record<string, string> = {}) => {
  const f = fakeToolchain(knobs);
  fakes.push(f);
  return f;
};
beforeAll(async () => {
  spec = await catalogueLab(LAB);
});
afterAll(() => {
  for (const f of fakes) f.cleanup();
});

/** A container labelled with the lab, as `up` starts side containers. */
function sideContainer(fake: Fake, name: string, lab: string) {
  mkdirSync(fake.world, { recursive: true });
  const containers = fake.containers();
  containers[name] = {
    image: "registry.k8s.io/cloud-provider-kind/cloud-controller-manager:v0.11.1",
    args: [],
    labels: { "io.labs.lab": lab },
  };
  writeFileSync(join(fake.world, "containers.json"), JSON.stringify(containers));
}

describe.concurrent("labs down", { timeout: 120_000 }, () => {
  it("deletes the lab's cluster with its own kubeconfig, removes its side containers, and keeps the cache", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    sideContainer(fake, "labs-kindnet-iptables-cpk", LAB);
    sideContainer(fake, "somebody-elses", "other-lab");
    mkdirSync(join(fake.cacheDir, "sha256"), { recursive: true });
    writeFileSync(join(fake.cacheDir, "sha256", "0".repeat(64)), "cached");
    fake.clearLog();

    const r = await down(LAB, { env: fake.env });
    expect(r).toEqual({
      lab: LAB,
      cluster: CLUSTER,
      action: "deleted",
      sideContainers: ["labs-kindnet-iptables-cpk"],
    });
    expect(fake.lines("kind")).toContain(
      `kind delete cluster --name ${CLUSTER} --kubeconfig ${join(fake.stateRoot, LAB, "kubeconfig")}`,
    );
    expect(fake.lines("docker")).toContain("docker rm --force labs-kindnet-iptables-cpk");
    expect(Object.keys(fake.containers())).toEqual(["somebody-elses"]);
    expect(fake.cluster(CLUSTER)).toBeUndefined();
    expect(existsSync(join(fake.stateRoot, LAB, "cluster.json"))).toBe(false);
    expect(existsSync(join(fake.stateRoot, LAB, "kubeconfig"))).toBe(false);
    // The cache and what reports read stay.
    expect(readdirSync(join(fake.cacheDir, "sha256"))).toEqual(["0".repeat(64)]);
    expect(existsSync(join(fake.stateRoot, LAB, "timings.json"))).toBe(true);
    expect(existsSync(join(fake.home, ".kube", "config"))).toBe(false);
  });

  it("refuses a labs-* cluster labs did not create, with a clear message, and deletes nothing", async () => {
    const fake = newFake();
    fake.addForeignCluster("labs-handmade");
    const e = await thrown(() => down("handmade", { env: fake.env }));
    expect(e.message).toBe(
      `a kind cluster named labs-handmade exists, but labs did not create it (no marker at ${join(fake.stateRoot, "handmade", "cluster.json")})`,
    );
    expect(e.fix).toMatch(/labs leaves it alone/);
    expect(fake.lines("kind").some((l) => l.startsWith("kind delete"))).toBe(false);
    expect(fake.cluster("labs-handmade")).toBeDefined();
  });

  it("refuses a cluster whose control plane is not the one labs created", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    fake.addForeignCluster(CLUSTER);
    const e = await thrown(() => down(LAB, { env: fake.env }));
    expect(e.message).toMatch(/is not the one labs created/);
    expect(fake.lines("kind").some((l) => l.startsWith("kind delete"))).toBe(false);
  });

  it("cleans up the state of a lab whose cluster is already gone, and says a never-started lab is not running", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    // The cluster vanished behind labs' back (docker system prune, say).
    rmSync(join(fake.world, "clusters", `${CLUSTER}.json`));
    expect(await down(LAB, { env: fake.env })).toMatchObject({ action: "absent" });
    expect(existsSync(join(fake.stateRoot, LAB, "cluster.json"))).toBe(false);
    const e = await thrown(() => down("never-started", { env: fake.env }));
    expect(e.message).toBe("lab never-started is not running: there is no kind cluster labs-never-started");
    expect(e.exitCode).toBe(2);
  });

  it("finds labs' own clusters for --all and sets the foreign ones apart", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    fake.addForeignCluster("labs-handmade");
    fake.addForeignCluster("kind");
    expect(await labClusters(fake.env)).toEqual({ labs: [LAB], foreign: ["labs-handmade"] });
  });
});

describe.concurrent("labs status", { timeout: 120_000 }, () => {
  it("lists a running lab with nodes, CNI, mode, ports, age and kubeconfig; names foreign and stale ones", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    fake.addForeignCluster("labs-handmade");
    mkdirSync(join(fake.stateRoot, "gone"), { recursive: true });
    writeFileSync(
      join(fake.stateRoot, "gone", "cluster.json"),
      JSON.stringify({
        markerVersion: 1,
        createdBy: "labs",
        lab: "gone",
        cluster: "labs-gone",
        phase: "created",
        createdAt: "2026-01-01T00:00:00Z",
        labsVersion: "0.0.0",
        kubeconfig: join(fake.stateRoot, "gone", "kubeconfig"),
      }),
    );
    const report = await labsStatus(fake.env);
    expect(report.foreign).toEqual(["labs-handmade"]);
    expect(report.stale).toEqual(["gone"]);
    expect(report.labs).toHaveLength(1);
    const s = report.labs[0]!;
    expect(s).toMatchObject({
      lab: LAB,
      cluster: CLUSTER,
      cni: "kindnet",
      proxyMode: "iptables",
      kubeconfig: join(fake.stateRoot, LAB, "kubeconfig"),
      phase: "created",
    });
    expect(s.nodes).toEqual([
      { name: `${CLUSTER}-control-plane`, ready: true },
      { name: `${CLUSTER}-worker`, ready: true },
      { name: `${CLUSTER}-worker2`, ready: true },
    ]);
    expect(s.ageSeconds).toBeLessThan(120);
    const kubectl = fake.calls("kubectl").at(-1)!;
    expect(kubectl.args.slice(0, 2)).toEqual(["--kubeconfig", s.kubeconfig]);
  });

  it("formats ages the way people read them", () => {
    expect([formatAge(5), formatAge(125), formatAge(2 * 3600 + 300), formatAge(3 * 86400 + 7200)]).toEqual([
      "5s",
      "2m",
      "2h05m",
      "3d2h",
    ]);
  });
});
