import { describe, expect, it } from "vitest";
import { assertPoolInNetwork, checkPoolInNetwork, parsePool } from "../../../lib/components/address-pool.ts";
import {
  CLOUD_PROVIDER_KIND_CLUSTER_LABEL,
  CLOUD_PROVIDER_KIND_IMAGE,
} from "../../../lib/components/lb/cloud-provider-kind.ts";
import { EXCLUDE_FROM_LB_LABEL } from "../../../lib/components/lb/exclude-label.ts";
import {
  DEFAULT_METALLB_POOL,
  METALLB_NAMESPACE,
  metallbAddressPool,
} from "../../../lib/components/lb/metallb.ts";
import {
  leftoverContainersCommand,
  removeContainersCommand,
  sideContainerRunArgv,
  sideContainerStartCommands,
  sideContainerStopCommands,
} from "../../../lib/components/lb/side-container-commands.ts";
import { addressPoolsOf, checkLab, sideContainersOf } from "../../../lib/components/resolve.ts";
import { EXIT, LabError } from "../../../lib/model/errors.ts";
import { parseLabSpec } from "../../../lib/model/lab-spec.ts";
import { noteSkip } from "../support/upstream.ts";
import { crdValidator, lab, objectsOf, resolved, sharedUpstreamPresent, synth } from "./support.ts";

const APPS = ["echo", "echo-v2"];

describe("cloud-provider-kind as a side container", () => {
  const cpk = (input: object = {}) => {
    const l = resolved({ name: "lb", loadBalancer: "cloud-provider-kind", ...input });
    const [side] = sideContainersOf(l);
    return { lab: l, side: side! };
  };

  it("is started with exactly these docker commands before the platform stage", () => {
    const { side } = cpk();
    expect(side.startBefore).toBe("platform");
    const ctx = { lab: "lb", cluster: "labs-lb", dockerInVm: false };
    // One per Docker host, labelled as labs' shared container, not as any lab's (#10 defect 7).
    expect(side.hostWide?.why).toMatch(/every kind cluster on the Docker host/);
    expect(sideContainerStartCommands(side, ctx).map((c) => c.argv)).toEqual([
      ["docker", "rm", "--force", "labs-cloud-provider-kind"],
      [
        "docker",
        "run",
        "--detach",
        "--name",
        "labs-cloud-provider-kind",
        "--network",
        "kind",
        "--label",
        "io.labs.host-wide=labs-cloud-provider-kind",
        "--restart",
        "unless-stopped",
        "--volume",
        "/var/run/docker.sock:/var/run/docker.sock",
        CLOUD_PROVIDER_KIND_IMAGE,
        "--gateway-channel=disabled",
        "--enable-default-ingress=false",
      ],
    ]);
    // Removing a stale container may fail (there is none); starting may not.
    expect(sideContainerStartCommands(side, ctx).map((c) => !!c.mayFail)).toEqual([true, false]);
  });

  it("publishes load balancer ports on the host when Docker runs in a VM", () => {
    const { side } = cpk();
    const argv = sideContainerRunArgv(side, { lab: "lb", cluster: "labs-lb", dockerInVm: true });
    expect(argv.at(-1)).toBe("--enable-lb-port-mapping");
    expect(argv.indexOf(CLOUD_PROVIDER_KIND_IMAGE)).toBeLessThan(argv.length - 1);
  });

  it("is stopped with SIGTERM first (or removed at once, leaving what it made), then its leftover containers swept", () => {
    const { side } = cpk();
    expect(sideContainerStopCommands(side).map((c) => c.argv)).toEqual([
      ["docker", "stop", "--time", "30", "labs-cloud-provider-kind"],
      ["docker", "rm", "--force", "labs-cloud-provider-kind"],
    ]);
    // Without its cleanup: what it made for other clusters stays.
    expect(sideContainerStopCommands(side, false).map((c) => c.argv)).toEqual([
      ["docker", "rm", "--force", "labs-cloud-provider-kind"],
    ]);
    expect(leftoverContainersCommand(side, "labs-lb")?.argv).toEqual([
      "docker",
      "ps",
      "--all",
      "--quiet",
      "--filter",
      `label=${CLOUD_PROVIDER_KIND_CLUSTER_LABEL}=labs-lb`,
    ]);
    expect(removeContainersCommand(["abc123\n", "", " def456"])?.argv).toEqual([
      "docker",
      "rm",
      "--force",
      "abc123",
      "def456",
    ]);
    expect(removeContainersCommand(["", "\n"])).toBeUndefined();
  });

  it("turns on its Gateway API controller only when the lab uses its Ingress or Gateway", () => {
    expect(cpk().side.args).toContain("--gateway-channel=disabled");
    const withGateway = cpk({ northSouth: { gateway: "cloud-provider-kind" }, apps: APPS }).side;
    expect(withGateway.args).toContain("--gateway-channel=standard");
    const withIngress = cpk({ northSouth: { ingress: "cloud-provider-kind" }, apps: APPS }).side;
    expect(withIngress.args).toContain("--gateway-channel=standard");
  });

  // Synth reads the pinned upstream files: without ../shared/upstream there is nothing to read.
  it.skipIf(!sharedUpstreamPresent)(
    "records the side container and the post-create step in lab.json, and its images in the lock",
    async () => {
      const out = await synth({
        loadBalancer: "cloud-provider-kind",
        nodes: { controlPlanes: 3, workers: 0 },
      });
      const labJson = JSON.parse(out.files.get("lab.json")!);
      expect(labJson.sideContainers).toEqual([
        expect.objectContaining({ name: "labs-cloud-provider-kind", image: CLOUD_PROVIDER_KIND_IMAGE }),
      ]);
      expect(labJson.postCreate).toEqual([
        expect.objectContaining({ kubectl: ["label", "nodes", "--all", `${EXCLUDE_FROM_LB_LABEL}-`] }),
      ]);
      const images = out.lock.images.map((i: { image: string }) => i.image);
      expect(images).toContain(CLOUD_PROVIDER_KIND_IMAGE);
      expect(images).toContain("docker.io/envoyproxy/envoy:v1.33.2");
    },
  );

  it("removes the exclusion label only when control planes serve alone and kind leaves it (several of them)", () => {
    const steps = (nodes: object, loadBalancer = "cloud-provider-kind") => {
      const l = resolved({ loadBalancer, nodes });
      const s = l.components.find((c) => c.component.kind === "loadBalancer")!;
      return s.component.postCreate!(s.options, l);
    };
    expect(steps({ controlPlanes: 1, workers: 2 })).toEqual([]);
    // A single node: kind removes the label itself (kubeadminit/init.go).
    expect(steps({ controlPlanes: 1, workers: 0 })).toEqual([]);
    expect(steps({ controlPlanes: 3, workers: 0 }, "metallb")).toHaveLength(1);
  });
});

describe("MetalLB's pool against the kind network", () => {
  it("accepts a pool inside one of the network's subnets", () => {
    expect(
      checkPoolInNetwork(metallbAddressPool(DEFAULT_METALLB_POOL), [
        "172.18.0.0/16",
        "fc00:f853:ccd:e793::/64",
      ]),
    ).toEqual({
      ok: true,
      subnet: "172.18.0.0/16",
    });
    expect(checkPoolInNetwork(metallbAddressPool("172.19.255.192/27"), ["172.19.0.0/16"])).toMatchObject({
      ok: true,
    });
  });

  it("rejects a pool outside the network and proposes one inside it", () => {
    const check = checkPoolInNetwork(metallbAddressPool(DEFAULT_METALLB_POOL), [
      "172.19.0.0/16",
      "fc00:f853:ccd:e793::/64",
    ]);
    expect(check).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/outside the kind Docker network \(172\.19\.0\.0\/16, fc00/),
      suggestion: "172.19.255.200-172.19.255.250",
    });
    if (check.ok) return;
    expect(check.fix).toContain('pool: "172.19.255.200-172.19.255.250"');
    expect(check.fix).toContain("docker network inspect kind");
    // The suggestion itself passes.
    expect(checkPoolInNetwork(metallbAddressPool(check.suggestion!), ["172.19.0.0/16"]).ok).toBe(true);
  });

  it("rejects a pool that straddles the subnet's edge or takes its broadcast address", () => {
    expect(checkPoolInNetwork(metallbAddressPool("172.18.255.250-172.19.0.10"), ["172.18.0.0/16"]).ok).toBe(
      false,
    );
    expect(
      checkPoolInNetwork(metallbAddressPool("172.18.255.200-172.18.255.255"), ["172.18.0.0/16"]),
    ).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/broadcast/),
    });
  });

  it("throws a LabError with the fix for the runtime", () => {
    try {
      assertPoolInNetwork(metallbAddressPool(DEFAULT_METALLB_POOL), ["10.89.0.0/24"]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LabError);
      expect((e as LabError).exitCode).toBe(EXIT.environment);
      expect((e as LabError).fix).toMatch(/pool: "10\.89\.0\.\d+-10\.89\.0\.\d+"/);
    }
  });

  it("parses CIDRs and ranges, and refuses anything else in the lab spec", () => {
    expect(parsePool("172.18.255.200-172.18.255.250")).toMatchObject({ family: "ipv4" });
    expect(parsePool("172.18.255.250-172.18.255.200")).toBeUndefined();
    expect(parsePool("172.18.255.0/33")).toBeUndefined();
    const findings = checkLab(
      parseLabSpec(lab({ loadBalancer: { name: "metallb", options: { pool: "lots of IPs" } } })),
    ).findings;
    expect(findings).toContainEqual(
      expect.objectContaining({ level: "error", path: "loadBalancer.options.pool" }),
    );
  });

  it("gives the runtime the lab's pool, and warns that only Linux hosts reach it", () => {
    const l = resolved({ loadBalancer: { name: "metallb", options: { pool: "172.18.200.0/28" } } });
    expect(addressPoolsOf(l).map((p) => p.range)).toEqual(["172.18.200.0/28"]);
    expect(addressPoolsOf(resolved({}))).toEqual([]);
    expect(l.findings).toContainEqual(
      expect.objectContaining({
        level: "warning",
        path: "loadBalancer",
        message: expect.stringMatching(/Linux/),
      }),
    );
    expect(l.claims.loadBalancer).toMatchObject({ value: true, by: "metallb" });
  });
});

if (!sharedUpstreamPresent) noteSkip("MetalLB over metallb-native.yaml", "../shared/upstream is absent");
if (!sharedUpstreamPresent)
  noteSkip("cloud-provider-kind in lab.json and the lock", "../shared/upstream is absent");

describe.skipIf(!sharedUpstreamPresent)("MetalLB over the real metallb-native.yaml", () => {
  const FILE = "metallb/v0.16.1/metallb-native.yaml";

  it("splits CRDs into the crds stage, the controller into platform, and the pool into apps", async () => {
    const out = await synth({ loadBalancer: "metallb" });
    const stageOf = (kind: string) => [
      ...new Set(out.objects.filter((o) => o.object.kind === kind).map((o) => o.stage)),
    ];
    expect(stageOf("CustomResourceDefinition")).toEqual(["crds"]);
    expect(stageOf("DaemonSet")).toEqual(["platform"]);
    expect(stageOf("IPAddressPool")).toEqual(["apps"]);
    expect(stageOf("L2Advertisement")).toEqual(["apps"]);
    expect(out.issues.filter((i) => i.level === "error")).toEqual([]);
  });

  it("writes a pool and an L2 advertisement that MetalLB's own CRD schemas accept", async () => {
    const out = await synth({ loadBalancer: { name: "metallb", options: { pool: "172.18.255.192/27" } } });
    const [pool] = objectsOf(out, "IPAddressPool");
    const [l2] = objectsOf(out, "L2Advertisement");
    expect(pool).toMatchObject({
      metadata: { namespace: METALLB_NAMESPACE },
      spec: { addresses: ["172.18.255.192/27"] },
    });
    expect(l2!.spec.ipAddressPools).toEqual([pool!.metadata!.name]);
    const validPool = crdValidator(FILE, "ipaddresspools.metallb.io", "v1beta1");
    const validL2 = crdValidator(FILE, "l2advertisements.metallb.io", "v1beta1");
    expect(validPool(pool), JSON.stringify(validPool.errors)).toBe(true);
    expect(validL2(l2), JSON.stringify(validL2.errors)).toBe(true);
    // A broken object fails the same validator: the check can fail.
    expect(validPool({ ...pool, spec: { addresses: "not-a-list" } })).toBe(false);
  });

  it("asks kube-proxy for strictARP in ipvs mode", async () => {
    const out = await synth({ loadBalancer: "metallb", kubeProxyMode: "ipvs" });
    expect(out.files.get("kind.yaml")).toMatch(/strictARP: true/);
  });
});
