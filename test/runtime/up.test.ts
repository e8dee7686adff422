/**
 * `labs up` orchestration against the recording fake toolchain: the order of commands, the gates
 * after each stage, idempotence, kubeconfig isolation, failures at each step with diagnostics,
 * and refusing clusters labs did not create. Assertions read the recorded command lines.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LabJson } from "../../lib/model/lab-json.ts";
import type { LabSpec } from "../../lib/model/lab-spec.ts";
import { down } from "../../lib/runtime/down.ts";
import type { ClusterMarker } from "../../lib/runtime/state.ts";
import { UpFailed } from "../../lib/runtime/up.ts";
import { SHARED_UPSTREAM } from "../components/support/upstream.ts";
import { type Fake, fakeToolchain } from "../fake-toolchain/fake-toolchain.ts";
import { catalogueLab, indexOf, stateFile, thrown, upWith } from "./support.ts";

const LAB = "kindnet-iptables";
const CLUSTER = `labs-${LAB}`;
let spec: LabSpec;

beforeAll(async () => {
  spec = await catalogueLab(LAB);
});

/** A fresh fake per test: tests run concurrently, each in its own world; all removed at the end. */
const fakes: Fake[] = [];
afterAll(() => {
  for (const f of fakes) f.cleanup();
});
function newFake(knobs: Record<string, string> = {}): Fake {
  const fake = fakeToolchain(knobs);
  fakes.push(fake);
  return fake;
}

describe.concurrent("labs up: a new lab", { timeout: 120_000 }, () => {
  it("creates the cluster with the lab's files, then applies stages in order, each followed by its gates", async () => {
    const fake = newFake();
    const result = await upWith(fake, spec);
    expect(result.action).toBe("created");
    const state = join(fake.stateRoot, LAB);
    const lines = fake.lines();

    const create = fake.calls("kind").find((c) => c.args[0] === "create")!;
    expect(create.args).toEqual([
      "create",
      "cluster",
      "--name",
      CLUSTER,
      "--config",
      join(state, "kind.yaml"),
      "--kubeconfig",
      join(state, "kubeconfig"),
      "--image",
      spec.nodeImage,
      "--retain",
    ]);

    // Docker is checked first, the cluster exists before anything is applied.
    expect(indexOf(lines, /^docker info/)).toBe(0);
    const created = indexOf(lines, /^kind create cluster/);
    const labJson = stateFile<LabJson>(fake, LAB, "synth/lab.json");
    const applied = labJson.stages.filter((s) => s.objects > 0);
    expect(applied.length).toBeGreaterThan(0);
    let previous = created;
    for (const stage of labJson.stages) {
      const apply = indexOf(
        lines,
        new RegExp(
          `apply --server-side --field-manager labs --force-conflicts --filename \\S+/applied/${stage.file}$`,
        ),
      );
      if (stage.objects === 0) {
        expect(apply, `${stage.name} has nothing to apply`).toBe(-1);
        continue;
      }
      expect(apply, `${stage.name} is applied after the stage before it and its gates`).toBeGreaterThan(
        previous,
      );
      previous = apply;
      // Every gate of the stage waits after the stage's apply and before the next stage.
      for (const gate of stage.gates) {
        const target =
          "name" in gate ? gate.name : gate.kind === "condition" ? gate.resource.split("/")[1]! : "";
        const wait = lines.findIndex(
          (l, i) => i > apply && /kubectl .* (wait|rollout status) /.test(l) && l.includes(target),
        );
        expect(wait, `gate "${gate.description}" waits after ${stage.file}`).toBeGreaterThan(apply);
        previous = Math.max(previous, wait);
      }
    }

    // The CNI stage applies nothing for kindnet, but its gates still hold up the next stage.
    const rollout = indexOf(
      lines,
      /rollout status --namespace kube-system daemonset\/kindnet --timeout=180s$/,
    );
    const nodesReady = indexOf(lines, /wait --for condition=Ready nodes --all --timeout=240s$/);
    const firstApply = indexOf(lines, /kubectl .* apply /);
    expect(rollout).toBeGreaterThan(created);
    expect(nodesReady).toBeGreaterThan(rollout);
    expect(firstApply).toBeGreaterThan(nodesReady);
  });

  it("records in the state folder that labs created the cluster, the concrete config, timings and the command log", async () => {
    const fake = newFake();
    const before = Date.now();
    await upWith(fake, spec);
    const marker = stateFile<ClusterMarker>(fake, LAB, "cluster.json");
    expect(marker).toMatchObject({ createdBy: "labs", lab: LAB, cluster: CLUSTER, phase: "created" });
    expect(Date.parse(marker.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(marker.controlPlaneId).toBe(fake.cluster(CLUSTER)!.nodes[0]!.id);
    expect(readFileSync(join(fake.stateRoot, LAB, "kind.yaml"), "utf8")).toContain(`name: ${CLUSTER}`);

    const timings = stateFile<{ result: string; tasks: { id: string; ms: number; status: string }[] }>(
      fake,
      LAB,
      "timings.json",
    );
    expect(timings.result).toBe("ok");
    const ids = timings.tasks.map((t) => t.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "toolchain",
        "doctor",
        "synth",
        "cluster",
        "stage:cni",
        "stage:apps",
        "gate:cni:0",
      ]),
    );
    // Nothing to apply in stage crds, but kube-proxy's gate waits there, before the CNI.
    expect(timings.tasks.find((t) => t.id === "stage:crds")?.status).toBe("done");
    expect(timings.tasks.find((t) => t.id === "gate:crds:0")?.status).toBe("done");
    for (const t of timings.tasks) expect(t.ms).toBeGreaterThanOrEqual(0);

    const log = readFileSync(join(fake.stateRoot, LAB, "logs", "commands.log"), "utf8");
    expect(log).toMatch(/exit=0 \d+ms \S+\/kind create cluster --name labs-kindnet-iptables/);
  });

  it("keeps ~/.kube/config untouched: every kubectl call names the lab's own kubeconfig", async () => {
    const fake = newFake();
    const result = await upWith(fake, spec);
    expect(existsSync(join(fake.home, ".kube", "config"))).toBe(false);
    expect(result.kubeconfig).toBe(join(fake.stateRoot, LAB, "kubeconfig"));
    expect(readFileSync(result.kubeconfig, "utf8")).toContain(`kind-${CLUSTER}`);
    const kubectl = fake.calls("kubectl").filter((c) => c.args[0] !== "version");
    expect(kubectl.length).toBeGreaterThan(3);
    for (const c of kubectl) expect(c.args.slice(0, 2)).toEqual(["--kubeconfig", result.kubeconfig]);
  });

  it("writes ~/.kube/config only with --export-kubeconfig", async () => {
    const fake = newFake();
    await upWith(fake, spec, { exportKubeconfig: true });
    expect(fake.lines("kind")).toContain(`kind export kubeconfig --name ${CLUSTER}`);
    expect(readFileSync(join(fake.home, ".kube", "config"), "utf8")).toContain(`kind-${CLUSTER}`);
  });

  it("warns, without stopping, about a kind other than the pinned one", async () => {
    const fake = newFake({ FAKE_KIND_VERSION: "v0.27.0" });
    const warnings: string[] = [];
    await upWith(fake, spec, {
      progress: (e) => e.type === "note" && e.level === "warn" && warnings.push(e.message),
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^kind: v0\.27\.0 at \S+; labs is tested with v0\.32\.0 \(fix: install kind v0\.32\.0/,
      ),
    ]);
  });

  it("retries an apply that fails only because the API is catching up (a CRD just created)", async () => {
    const fake = newFake({ FAKE_APPLY_TRANSIENT: "2" });
    const notes: string[] = [];
    await upWith(fake, spec, { progress: (e) => e.type === "note" && notes.push(e.message) });
    const applies = fake.lines("kubectl").filter((l) => / apply /.test(l));
    const first = applies[0]!;
    expect(applies.filter((l) => l === first)).toHaveLength(3);
    expect(
      notes.filter((n) => /apply attempt \d failed .*ensure CRDs are installed first.*retrying/.test(n)),
    ).toHaveLength(2);
  });
});

describe.concurrent("labs up: an existing lab", { timeout: 120_000 }, () => {
  it("converges a running lab cluster: no new cluster, every stage and gate again, the marker kept", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    const marker = stateFile<ClusterMarker>(fake, LAB, "cluster.json");
    const appliesFirst = fake.lines("kubectl").filter((l) => / apply /.test(l));
    fake.clearLog();

    const again = await upWith(fake, spec);
    expect(again.action).toBe("converged");
    const lines = fake.lines();
    expect(lines.some((l) => /^kind (create|delete) cluster/.test(l))).toBe(false);
    expect(lines.filter((l) => / apply /.test(l))).toEqual(appliesFirst);
    expect(lines.some((l) => /rollout status --namespace kube-system daemonset\/kindnet/.test(l))).toBe(true);
    expect(stateFile<ClusterMarker>(fake, LAB, "cluster.json")).toEqual(marker);
  });

  it("recreates with --recreate: delete (with the lab's kubeconfig), then create", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    const firstId = fake.cluster(CLUSTER)!.nodes[0]!.id;
    fake.clearLog();
    const again = await upWith(fake, spec, { recreate: true });
    expect(again.action).toBe("recreated");
    const lines = fake.lines("kind");
    const del = indexOf(
      lines,
      new RegExp(`^kind delete cluster --name ${CLUSTER} --kubeconfig \\S+/${LAB}/kubeconfig$`),
    );
    expect(del).toBeGreaterThanOrEqual(0);
    expect(indexOf(lines, /^kind create cluster/)).toBeGreaterThan(del);
    expect(fake.cluster(CLUSTER)!.nodes[0]!.id).not.toBe(firstId);
    expect(stateFile<ClusterMarker>(fake, LAB, "cluster.json").controlPlaneId).toBe(
      fake.cluster(CLUSTER)!.nodes[0]!.id,
    );
  });

  it("refuses a cluster with the lab's name that labs did not create, and touches nothing", async () => {
    const fake = newFake();
    fake.addForeignCluster(CLUSTER);
    const e = await thrown(() => upWith(fake, spec, { recreate: true }));
    expect(e.message).toMatch(
      /a kind cluster named labs-kindnet-iptables exists, but labs did not create it/,
    );
    expect(e.fix).toMatch(/kind delete cluster --name labs-kindnet-iptables/);
    expect(fake.lines().some((l) => /kind (delete|create)|kubectl .* apply/.test(l))).toBe(false);
  });

  it("refuses a cluster recreated outside labs under the same name (another control plane)", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    // Someone deletes the lab's cluster with kind and makes their own with the same name.
    fake.addForeignCluster(CLUSTER);
    const e = await thrown(() => upWith(fake, spec));
    expect(e.message).toMatch(/is not the one labs created/);
  });

  it("recreates a cluster an interrupted run left half-created", async () => {
    const fake = newFake({ FAKE_HANG: "^kind create cluster" });
    const controller = new AbortController();
    const run = upWith(fake, spec, { signal: controller.signal });
    await waitFor(() => existsSync(join(fake.world, "hang.pid")));
    controller.abort();
    await expect(run).rejects.toMatchObject({ name: "Interrupted", task: `kind create cluster ${CLUSTER}` });
    expect(stateFile<ClusterMarker>(fake, LAB, "cluster.json").phase).toBe("creating");
    // kind left its nodes behind (--retain); the next `up` must not try to converge them.
    fake.addForeignCluster(CLUSTER);
    fake.env.FAKE_HANG = "";
    fake.clearLog();
    const notes: string[] = [];
    const again = await upWith(fake, spec, { progress: (e) => e.type === "note" && notes.push(e.message) });
    expect(again.action).toBe("recreated");
    expect(notes.join("\n")).toMatch(/left half-created .* recreating it/);
    const lines = fake.lines("kind");
    expect(indexOf(lines, /^kind create cluster/)).toBeGreaterThan(indexOf(lines, /^kind delete cluster/));
  });
});

describe.concurrent("labs up: failures", { timeout: 120_000 }, () => {
  it("stops before kind when Docker's daemon is down, with the fix, and writes no diagnostics", async () => {
    const fake = newFake({ FAKE_DOCKER: "down" });
    const e = await thrown(() => upWith(fake, spec));
    expect(e.message).toMatch(
      /the Docker daemon is not running or not reachable: Cannot connect to the Docker daemon/,
    );
    expect(e.fix).toMatch(/start Docker/);
    expect(e.exitCode).toBe(3);
    expect(fake.calls("kind")).toHaveLength(0);
    expect(existsSync(join(fake.stateRoot, LAB, "diagnostics"))).toBe(false);
  });

  it("runs the lab's doctor checks first and stops on a fail with its fix, before kind makes anything", async () => {
    const fake = newFake({ FAKE_DOCKER_MEM_GIB: "1" });
    const e = await thrown<UpFailed>(() => upWith(fake, spec));
    expect(e.message).toBe(`${LAB} cannot run on this host: Docker memory: 1.0 GiB for 3 nodes`);
    expect(e.fix).toMatch(/^give Docker more memory/);
    expect(e.exitCode).toBe(3);
    expect(fake.lines("kind").filter((l) => l.startsWith("kind create"))).toEqual([]);
    expect(existsSync(join(fake.stateRoot, LAB, "diagnostics"))).toBe(false);
  });

  it("names the command that installs kind when kind is missing and nobody can be asked", async () => {
    const fake = newFake();
    fake.removeTool("kind");
    const e = await thrown(() => upWith(fake, spec));
    expect(e.message).toBe("kind is not installed");
    expect(e.fix).toMatch(
      /run `labs up kindnet-iptables --yes` to install the pinned kind v0\.32\.0 into the labs cache/,
    );
    expect(fake.calls("kind")).toHaveLength(0);
  });

  it("reports a failed kind create with kind's own words, a diagnostics bundle and no stage applied", async () => {
    const fake = newFake({ FAKE_FAIL: "^kind create cluster" });
    const e = await thrown<UpFailed>(() => upWith(fake, spec));
    expect(e).toBeInstanceOf(UpFailed);
    expect(e.message).toMatch(
      /^kind create cluster labs-kindnet-iptables failed: .*ERROR: failed to create cluster: failed to init node with kubeadm/,
    );
    expect(e.task).toBe(`kind create cluster ${CLUSTER}`);
    expect(e.diagnostics && existsSync(join(e.diagnostics, "failure.json"))).toBe(true);
    expect(fake.lines("kubectl").some((l) => / apply /.test(l))).toBe(false);
  });

  it("names the stage and the gate that failed, writes diagnostics with CNI logs, exits 1 and leaves the cluster", async () => {
    const fake = newFake({
      FAKE_FAIL: "rollout status --namespace kube-system daemonset/kindnet",
      FAKE_UNREADY: "kube-system/kindnet",
    });
    const e = await thrown<UpFailed>(() => upWith(fake, spec));
    expect(e.message).toBe(
      'stage cni: gate "kindnet runs on every node" (daemonset-rolled-out kube-system/kindnet) failed: Waiting for daemon set spec update to be observed... | error: timed out waiting for the condition',
    );
    expect(e.exitCode).toBe(1);
    expect(e.fix).toContain(`diagnostics: ${e.diagnostics}`);
    expect(e.fix).toMatch(/`labs up kindnet-iptables` retries, `labs down kindnet-iptables` removes it/);

    const dir = e.diagnostics!;
    const failure = JSON.parse(readFileSync(join(dir, "failure.json"), "utf8"));
    expect(failure).toMatchObject({
      lab: LAB,
      stage: "cni",
      gate: expect.stringContaining("kindnet runs on every node"),
    });
    for (const f of ["nodes.txt", "pods.txt", "events.txt", "README.txt"])
      expect(existsSync(join(dir, f)), f).toBe(true);
    const pods = readdirSync(join(dir, "pods"));
    expect(pods.some((f) => /^kube-system_kindnet-\w+\.describe\.txt$/.test(f))).toBe(true);
    expect(pods.some((f) => /^kube-system_kindnet-\w+\.previous\.log$/.test(f))).toBe(true);
    expect(readdirSync(join(dir, "cni")).filter((f) => f.startsWith("kube-system_kindnet-"))).toHaveLength(3);
    expect(existsSync(join(dir, "kind-logs", `${CLUSTER}-control-plane`))).toBe(true);

    // Nothing after the failed gate ran, and the cluster is left for inspection.
    expect(fake.lines("kubectl").some((l) => / apply /.test(l))).toBe(false);
    expect(fake.lines("kind").some((l) => /^kind delete/.test(l))).toBe(false);
    expect(fake.cluster(CLUSTER)).toBeDefined();
    expect(stateFile<{ result: string }>(fake, LAB, "timings.json").result).toBe("failed");
  });

  it("says which object never appeared when a gate's Deployment is missing", async () => {
    const fake = newFake({ FAKE_NOT_FOUND: "^deployment/echo$" });
    const e = await thrown(() => upWith(fake, spec, { timeoutScale: 0.0005 }));
    expect(e.message).toMatch(
      /^stage apps: gate "every echo replica is Available" \(deployment-available demo\/echo\) failed: Deployment deployment\/echo not found after 0s$/,
    );
    const gets = fake
      .lines("kubectl")
      .filter((l) => /get --namespace demo deployment\/echo --ignore-not-found --output name/.test(l));
    expect(gets.length).toBeGreaterThanOrEqual(1);
    expect(
      fake
        .lines("kubectl")
        .some((l) => /wait --for condition=Available --namespace demo deployment\/echo/.test(l)),
    ).toBe(false);
  });

  it("stops at a stage whose apply fails for good, naming it, and applies nothing after it", async () => {
    const fake = newFake({
      FAKE_FAIL: "apply .*0003-apps",
      FAKE_FAIL_MESSAGE: 'Error from server (Forbidden): admission webhook "deny" denied the request',
    });
    const e = await thrown(() => upWith(fake, spec));
    expect(e.message).toMatch(
      /^stage apps: kubectl apply failed for Namespace demo, .* \(none of its \d+ objects applied\): Error from server \(Forbidden\)/,
    );
    const applies = fake.lines("kubectl").filter((l) => / apply /.test(l));
    expect(applies).toHaveLength(1);
    expect(applies.some((l) => l.includes("0004-probes"))).toBe(false);
  });
});

describe.concurrent("labs up: Ctrl-C", { timeout: 120_000 }, () => {
  it("stops the running command cleanly, keeps the marker, and reports where it stopped", async () => {
    const fake = newFake({ FAKE_HANG: "rollout status" });
    const controller = new AbortController();
    const run = upWith(fake, spec, { signal: controller.signal });
    await waitFor(() => existsSync(join(fake.world, "hang.pid")));
    controller.abort();
    await expect(run).rejects.toMatchObject({
      name: "Interrupted",
      task: "gate: kube-proxy (iptables mode) runs on every node",
      clusterExists: true,
    });
    // The hanging kubectl was told to stop (SIGTERM), not left running.
    await waitFor(() => existsSync(join(fake.world, "hang.terminated")));
    expect(readFileSync(join(fake.world, "hang.terminated"), "utf8")).toBe("SIGTERM");
    expect(stateFile<ClusterMarker>(fake, LAB, "cluster.json").phase).toBe("created");
    expect(stateFile<{ result: string }>(fake, LAB, "timings.json").result).toBe("interrupted");
    expect(existsSync(join(fake.stateRoot, LAB, "diagnostics"))).toBe(false);
  });
});

describe.concurrent("labs up: two labs at once", { timeout: 120_000 }, () => {
  it("refuses a lab whose host ports a running lab maps, naming that lab", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    const ports = stateFile<LabJson>(fake, LAB, "synth/lab.json").hostPorts;
    if (!ports.length) {
      console.log(`skipped: ${LAB} maps no host ports in this version of the catalogue`);
      return;
    }
    const twin = { ...spec, name: "twin" };
    const e = await thrown(() => upWith(fake, twin));
    expect(e.message).toMatch(
      new RegExp(
        `host port .*:${ports[0]!.hostPort}/TCP of lab twin is already mapped by the running lab ${LAB}`,
      ),
    );
    expect(e.fix).toMatch(/labs down kindnet-iptables/);
    expect(fake.cluster("labs-twin")).toBeUndefined();
  });

  it("runs a second lab with other ports under its own name, state and kubeconfig", async () => {
    const fake = newFake();
    await upWith(fake, spec);
    const other = await catalogueLab("kindnet-nftables");
    const ports = (lab: string) =>
      stateFile<LabJson>(fake, lab, "synth/lab.json").hostPorts.map((p) => p.hostPort);
    const second = await upWith(fake, other).catch((e: Error) => e);
    if (second instanceof Error) {
      // Catalogue labs may share default host ports; then the clash must be named.
      expect(second.message).toMatch(/already mapped by the running lab kindnet-iptables/);
      return;
    }
    expect(ports("kindnet-nftables").filter((p) => ports(LAB).includes(p))).toEqual([]);
    expect(second.kubeconfig).not.toBe(join(fake.stateRoot, LAB, "kubeconfig"));
    expect(fake.cluster("labs-kindnet-nftables")).toBeDefined();
    expect(fake.cluster(CLUSTER)).toBeDefined();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("timed out waiting for the condition");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const MIRROR = SHARED_UPSTREAM;
const noMirror = !existsSync(join(MIRROR, "index.json"));
if (noMirror) console.log(`skipped: labs with upstream manifests need the mirror at ${MIRROR}`);

describe.concurrent("labs up: side containers, post-create steps, load balancer pools, preload", {
  timeout: 120_000,
}, () => {
  const CPK = "kindnet-cloud-provider-kind";
  const CPK_CLUSTER = `labs-${CPK}`;
  const CPK_CONTAINER = "labs-cloud-provider-kind";

  it.skipIf(noMirror)(
    "starts cloud-provider-kind, labs' one shared instance, before the platform stage, and keeps it on the next up",
    async () => {
      const fake = newFake();
      const cpk = await catalogueLab(CPK);
      await upWith(fake, cpk, { mirror: MIRROR });
      const lines = fake.lines();
      const run = indexOf(
        lines,
        new RegExp(
          `^docker run --detach --name ${CPK_CONTAINER} --network kind --label io\\.labs\\.host-wide=${CPK_CONTAINER} --restart unless-stopped --volume /var/run/docker\\.sock:/var/run/docker\\.sock registry\\.k8s\\.io/cloud-provider-kind/cloud-controller-manager:v0\\.11\\.1 `,
        ),
      );
      const crdsGate = lines.findIndex((l) => /wait --for condition=Established/.test(l));
      const platform = indexOf(lines, /apply .*0002-platform\.k8s\.yaml$/);
      expect(run).toBeGreaterThan(crdsGate);
      expect(platform).toBeGreaterThan(run);
      expect(fake.calls("docker").find((c) => c.args[0] === "run")!.args).not.toContain(
        "--enable-lb-port-mapping",
      );

      // Single node: kind removes kubeadm's exclusion label itself; labs runs no step for it.
      expect(lines.some((l) => / label nodes /.test(l))).toBe(false);

      fake.clearLog();
      const again = await upWith(fake, cpk, { mirror: MIRROR });
      expect(fake.lines("docker").some((l) => l.startsWith("docker run"))).toBe(false);
      expect(again.timings.find((t) => t.id === "side-containers:before-platform")?.detail).toBe(
        `${CPK_CONTAINER} shared`,
      );
    },
  );

  it.skipIf(noMirror)(
    "fills the API server's address into calico-ebpf's stage from the cluster, leaving the synthesized file as it was",
    async () => {
      const fake = newFake();
      await upWith(fake, await catalogueLab("calico-ebpf"), { mirror: MIRROR });
      const lines = fake.lines();
      const read = indexOf(
        lines,
        /kubectl --kubeconfig \S+ get endpointslices --namespace default --selector=kubernetes\.io\/service-name=kubernetes --output json$/,
      );
      expect(read).toBeGreaterThan(indexOf(lines, /^kind create cluster/));
      expect(read).toBeLessThan(indexOf(lines, /apply .*\/applied\/0000-crds\.k8s\.yaml$/));
      const state = join(fake.stateRoot, "calico-ebpf");
      const applied = readFileSync(join(state, "applied", "0001-cni.k8s.yaml"), "utf8");
      const synthesized = readFileSync(join(state, "synth", "0001-cni.k8s.yaml"), "utf8");
      // The fake's API server advertises the control plane's address, 172.18.0.2.
      expect(applied).toContain('KUBERNETES_SERVICE_HOST: "172.18.0.2"\n');
      expect(synthesized).toContain('KUBERNETES_SERVICE_HOST: "${LABS_API_SERVER_ADDRESS}"\n');
      expect(applied.replace("172.18.0.2", "${LABS_API_SERVER_ADDRESS}")).toBe(synthesized);
    },
  );

  it.skipIf(noMirror)("adds the side container's VM-only arguments when Docker runs in a VM", async () => {
    // The mirror comes from LABS_MIRROR here, as a workshop would set it.
    const fake = newFake({ FAKE_DOCKER_OS: "Docker Desktop", LABS_MIRROR: MIRROR });
    await upWith(fake, await catalogueLab(CPK));
    const run = fake.calls("docker").find((c) => c.args[0] === "run")!;
    expect(run.args.at(-1)).toBe("--enable-lb-port-mapping");
  });

  /** A load-balancer container cloud-provider-kind made for `cluster`. */
  function loadBalancerOf(fake: Fake, name: string, cluster: string) {
    const containers = fake.containers();
    containers[name] = {
      image: "docker.io/envoyproxy/envoy:v1.33.2",
      args: [],
      labels: { "io.x-k8s.cloud-provider-kind.cluster": cluster },
    };
    writeFileSync(join(fake.world, "containers.json"), JSON.stringify(containers));
  }

  it.skipIf(noMirror)(
    "down stops its last lab's cloud-provider-kind with SIGTERM before deleting the cluster, then sweeps that cluster's load balancers",
    async () => {
      const fake = newFake();
      await upWith(fake, await catalogueLab(CPK), { mirror: MIRROR });
      loadBalancerOf(fake, `${CPK_CLUSTER}-lb-echo`, CPK_CLUSTER);
      fake.clearLog();
      const r = await down(CPK, { env: fake.env });
      expect(r.sideContainers).toEqual([CPK_CONTAINER, `${CPK_CLUSTER}-lb-echo`]);
      // SIGTERM first, while the cluster answers, so it can remove its own load balancers.
      const lines = fake.lines();
      const stop = lines.indexOf(`docker stop --time 30 ${CPK_CONTAINER}`);
      expect(stop).toBeGreaterThanOrEqual(0);
      expect(lines.indexOf(`docker rm --force ${CPK_CONTAINER}`)).toBeGreaterThan(stop);
      expect(indexOf(lines, /^kind delete cluster/)).toBeGreaterThan(stop);
      expect(Object.keys(fake.containers())).toEqual([]);
    },
  );

  it.skipIf(noMirror)(
    "down never removes another cluster's containers: no SIGTERM cleanup when cloud-provider-kind made some for a cluster that is not the lab's",
    async () => {
      const fake = newFake();
      await upWith(fake, await catalogueLab(CPK), { mirror: MIRROR });
      loadBalancerOf(fake, `${CPK_CLUSTER}-lb-echo`, CPK_CLUSTER);
      // A kind cluster that appeared later, which it also served (controller.go lists every cluster).
      loadBalancerOf(fake, "other-lb", "someone-else");
      fake.clearLog();
      const r = await down(CPK, { env: fake.env });
      expect(r.sideContainers).toEqual([CPK_CONTAINER, `${CPK_CLUSTER}-lb-echo`]);
      // Its SIGTERM cleanup deletes every container it labelled, for any cluster: removed without it.
      expect(fake.lines("docker").some((l) => l.startsWith("docker stop"))).toBe(false);
      expect(Object.keys(fake.containers())).toEqual(["other-lb"]);
    },
  );

  it.skipIf(noMirror)(
    "refuses a MetalLB pool outside the real kind network, after the cluster exists and before any stage",
    async () => {
      const fake = newFake();
      const lab = {
        ...spec,
        name: "pool",
        loadBalancer: { name: "metallb", options: { pool: "10.9.0.10-10.9.0.20" } },
      };
      const e = await thrown(() => upWith(fake, lab, { mirror: MIRROR }));
      expect(e.message).toMatch(
        /^load balancer pool inside the kind network failed: MetalLB pool 10\.9\.0\.10-10\.9\.0\.20 is outside the kind Docker network \(172\.18\.0\.0\/16/,
      );
      expect(e.fix).toMatch(/pool: "172\.18\.255\.\d+-172\.18\.255\.\d+"/);
      expect(fake.lines("kubectl").some((l) => / apply /.test(l))).toBe(false);

      const fine = newFake();
      const ok = await upWith(
        fine,
        { ...lab, loadBalancer: { name: "metallb", options: {} } },
        { mirror: MIRROR },
      );
      expect(ok.timings.find((t) => t.id === "lb-pool")).toMatchObject({
        status: "done",
        detail: "172.18.255.200-172.18.255.250 in 172.18.0.0/16",
      });
    },
  );

  it("offline with an empty cache, names what is missing before kind is asked to make anything", async () => {
    const fake = newFake({ LABS_OFFLINE: "1" });
    const cpk = await catalogueLab(CPK);
    const e = await thrown(() => upWith(fake, cpk));
    expect(e.message).toMatch(/^offline and \d+ artifacts are not in the cache: gateway-api\//);
    expect(e.fix).toMatch(/labs prefetch kindnet-cloud-provider-kind/);
    // Only read: the doctor's list of clusters.
    expect(fake.lines("kind").filter((l) => l !== "kind version" && l !== "kind get clusters")).toEqual([]);
  });

  it("--preload pulls each image of the lock once before the cluster and loads them after it", async () => {
    const fake = newFake();
    await upWith(fake, spec, { preload: true });
    const lock = stateFile<{ images: { image: string }[] }>(fake, LAB, "synth/lab.lock.json");
    const images = [...new Set(lock.images.map((i) => i.image))];
    expect(images.length).toBeGreaterThan(0);
    const lines = fake.lines();
    const create = indexOf(lines, /^kind create cluster/);
    for (const image of images) {
      const pull = lines.indexOf(`docker pull ${image}`);
      expect(pull, image).toBeGreaterThan(-1);
      expect(pull).toBeLessThan(create);
    }
    const load = lines.indexOf(`kind load docker-image --name ${CLUSTER} ${images.join(" ")}`);
    expect(load).toBeGreaterThan(create);
    expect(load).toBeLessThan(indexOf(lines, /kubectl .* apply /));

    // Pulled once: a second run finds them on the host.
    fake.clearLog();
    await upWith(fake, spec, { preload: true });
    expect(fake.lines("docker").filter((l) => l.startsWith("docker pull"))).toEqual([]);
  });
});
