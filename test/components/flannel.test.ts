import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CNI_PLUGINS, cniPluginMounts } from "../../lib/components/cni/cni-plugins.ts";
import { flannel } from "../../lib/components/cni/flannel.ts";
import type { ArtifactReader, ArtifactRef, HostPathVariable } from "../../lib/components/component.ts";
import {
  extractedTarballVariable,
  placeholder,
  substituteHostPaths,
} from "../../lib/components/host-paths.ts";
import { checkLab } from "../../lib/components/resolve.ts";
import type { K8sObject } from "../../lib/model/k8s-object.ts";
import { parseLabSpec } from "../../lib/model/lab-spec.ts";
import { synthLab } from "../../lib/synth/synth.ts";
import { sha256Hex } from "../../lib/upstream/digest.ts";
import { ensureArtifacts } from "../../lib/upstream/fetch-artifacts.ts";
import { extractedDir } from "../../lib/upstream/tarball.ts";
import { identity } from "../../lib/validate/object-ref.ts";
import { fakeTarGz } from "./support/fake-tarball.ts";
import { cacheFromShared, noteSkip, sharedUpstreamPresent, upstreamObjects } from "./support/upstream.ts";

const MANIFEST = "flannel/v0.28.9/kube-flannel.yml";
// Not kind's default, so a net-conf that kept upstream's 10.244.0.0/16 would fail.
const POD_SUBNET = "10.200.0.0/16";

const spec = (options: object = {}, extra: object = {}) =>
  parseLabSpec({
    name: "flannel-test",
    description: "flannel under test",
    podSubnet: POD_SUBNET,
    cni: { name: "flannel", options },
    ...extra,
  });

const findings = (options: object, extra: object = {}) =>
  checkLab(spec(options, extra)).findings.map((f) => `${f.level} ${f.path}: ${f.message}`);

const netConf = (o: K8sObject | undefined) => JSON.parse(o?.data?.["net-conf.json"] ?? "null");
const isFlannelCfg = (o: K8sObject) => o.kind === "ConfigMap" && o.metadata?.name === "kube-flannel-cfg";

if (!sharedUpstreamPresent)
  noteSkip("Flannel tests over the real kube-flannel.yml", "../shared/upstream is absent");

describe.skipIf(!sharedUpstreamPresent)("Flannel over the real kube-flannel.yml", () => {
  let readArtifact: ArtifactReader;
  beforeAll(() => {
    readArtifact = cacheFromShared().readArtifact;
  });
  const synth = (options: object = {}, extra: object = {}) =>
    synthLab(spec(options, extra), { readArtifact });
  const cniStage = async (options: object = {}, extra: object = {}) =>
    (await synth(options, extra)).objects.filter((o) => o.stage === "cni");

  it("sets net-conf.json Network to the lab's podSubnet and Backend.Type to the chosen backend", async () => {
    for (const backend of ["vxlan", "host-gw", "wireguard"]) {
      const conf = netConf((await cniStage({ backend })).find((o) => isFlannelCfg(o.object))?.object);
      expect(conf.Network).toBe(POD_SUBNET);
      expect(conf.Backend.Type).toBe(backend);
    }
  });

  it("turns on Flannel's nftables mode with kube-proxy's, unless the lab says otherwise", async () => {
    const cfg = async (options: object, mode: string) =>
      netConf((await cniStage(options, { kubeProxyMode: mode })).find((o) => isFlannelCfg(o.object))?.object);
    expect((await cfg({}, "nftables")).EnableNFTables).toBe(true);
    expect((await cfg({}, "iptables")).EnableNFTables).toBe(false);
    expect((await cfg({ nftables: false }, "nftables")).EnableNFTables).toBe(false);
  });

  it("changes nothing else in the upstream objects", async () => {
    const upstream = upstreamObjects(MANIFEST);
    const synthesized = await cniStage({ backend: "host-gw" }, { kubeProxyMode: "nftables" });
    expect(synthesized.every((o) => o.origin === "upstream")).toBe(true);
    expect(synthesized.map((o) => identity(o.object))).toEqual(upstream.map(identity));
    for (const original of upstream) {
      const ours = synthesized.find((o) => identity(o.object) === identity(original))!.object;
      if (!isFlannelCfg(original)) {
        expect(ours, identity(original)).toEqual(original);
        continue;
      }
      const { data: ourData, ...ourRest } = ours;
      const { data: upstreamData, ...upstreamRest } = original;
      expect(ourRest).toEqual(upstreamRest);
      expect(ourData["cni-conf.json"]).toBe(upstreamData["cni-conf.json"]);
      const before = netConf(original);
      expect(netConf(ours)).toEqual({
        ...before,
        Network: POD_SUBNET,
        EnableNFTables: true,
        Backend: { ...before.Backend, Type: "host-gw" },
      });
    }
  });

  it("mounts the bridge plugin from the extracted CNI plugins of the node's architecture", async () => {
    const out = await synth();
    const kindYaml = out.files.get("kind.yaml")!;
    const kind = parse(kindYaml) as {
      networking: { disableDefaultCNI?: boolean };
      nodes: { extraMounts?: object[] }[];
    };
    expect(kind.networking.disableDefaultCNI).toBe(true);
    expect(kind.nodes).toHaveLength(3);
    for (const node of kind.nodes) {
      expect(node.extraMounts).toEqual([
        {
          hostPath: `${placeholder("LABS_CNI_PLUGINS")}/bridge`,
          containerPath: "/opt/cni/bin/bridge",
          readOnly: true,
        },
      ]);
    }
    // The runtime's substitution lands exactly where the artifact step extracts each tarball.
    const variables = JSON.parse(out.files.get("lab.json")!).hostPathVariables as HostPathVariable[];
    const cacheDir = "/home/someone/.cache/labs";
    for (const arch of ["amd64", "arm64"] as const) {
      const concrete = parse(substituteHostPaths(kindYaml, variables, { cacheDir, arch })) as {
        nodes: { extraMounts: { hostPath: string }[] }[];
      };
      const expected = join(extractedDir(cacheDir, CNI_PLUGINS[arch].sha256), "bridge");
      expect(concrete.nodes.map((n) => n.extraMounts[0]!.hostPath)).toEqual([expected, expected, expected]);
    }
    // Both tarballs are locked, so the lock is the same on amd64 and arm64 machines.
    expect(out.lock.artifacts.map((a) => a.id)).toEqual([
      "cni-plugins/linux-amd64",
      "cni-plugins/linux-arm64",
      "flannel/kube-flannel.yml",
    ]);
  });

  it("puts a real file behind the mount once the tarball is extracted (fake plugins tarball)", async () => {
    // The real 50 MB release tarball is not reachable offline; a small one with a `bridge`
    // goes through the same mirror → cache → extraction path and the same substitution.
    const work = mkdtempSync(join(tmpdir(), "labs-fake-plugins-"));
    const tgz = fakeTarGz({
      bridge: { body: "#!/bin/sh\necho fake bridge\n" },
      LICENSE: { body: "Apache-2.0\n", mode: 0o644 },
    });
    writeFileSync(join(work, "plugins.tgz"), tgz);
    const ref: ArtifactRef = {
      id: "cni-plugins/fake",
      url: "https://example.test/cni-plugins-fake.tgz",
      sha256: sha256Hex(tgz),
      type: "tarball",
    };
    writeFileSync(
      join(work, "index.json"),
      JSON.stringify({ files: [{ path: "plugins.tgz", url: ref.url, sha256: ref.sha256 }] }),
    );
    const cacheDir = join(work, "cache");
    const ensured = await ensureArtifacts([ref], { offline: true, mirror: work, cacheDir });
    const variable = extractedTarballVariable("LABS_CNI_PLUGINS", "fake", { amd64: ref, arm64: ref });
    const mount = cniPluginMounts(["bridge"]).extraMounts![0]!;
    const hostPath = substituteHostPaths(mount.hostPath, [variable], { cacheDir, arch: "amd64" });
    expect(hostPath).toBe(join(ensured.extractedDirOf(ref), "bridge"));
    expect(readFileSync(hostPath, "utf8")).toContain("fake bridge");
    expect(statSync(hostPath).mode & 0o111).not.toBe(0);
  });
});

describe("Flannel's descriptor", () => {
  it("says it does not enforce NetworkPolicy, and why", () => {
    const { lab } = checkLab(spec());
    expect(lab?.claims.networkPolicy).toMatchObject({ value: false, by: "flannel" });
    expect(lab?.claims.networkPolicy.reason).toMatch(/not|nothing/i);
  });

  it("names the encapsulation each backend uses", () => {
    const encapsulation = (backend: string) => checkLab(spec({ backend })).lab?.capabilities.podEncapsulation;
    expect(encapsulation("vxlan")).toBe("vxlan");
    expect(encapsulation("host-gw")).toBe("routed");
    expect(encapsulation("wireguard")).toBe("wireguard");
  });

  it("refuses an unknown backend and names the ones it knows", () => {
    expect(findings({ backend: "udp" })).toEqual([
      'error cni.options.backend: backend must be one of vxlan, host-gw, wireguard, got the string "udp"',
    ]);
  });

  it("refuses unknown options", () => {
    expect(findings({ mtu: 1400 })[0]).toMatch(/unknown option "mtu" for flannel/);
  });

  it("refuses IPv6 and dual-stack labs rather than building a half-configured network", () => {
    const errors = findings(
      {},
      {
        ipFamily: "dual",
        podSubnet: "10.200.0.0/16,fd00:10:244::/56",
        serviceSubnet: "10.96.0.0/16,fd00:10:96::/112",
      },
    );
    expect(errors).toEqual([expect.stringMatching(/^error ipFamily: labs configures Flannel for IPv4 only/)]);
  });

  it("warns that the wireguard backend needs the host's kernel module", () => {
    expect(findings({ backend: "wireguard" })).toEqual([
      expect.stringMatching(
        /^warning cni.options.backend: the wireguard backend needs the wireguard kernel module/,
      ),
    ]);
  });

  it("refuses kubeProxyMode none: Flannel does not replace kube-proxy", () => {
    expect(findings({}, { kubeProxyMode: "none" })).toEqual([
      expect.stringMatching(/^error kubeProxyMode: .*flannel does not replace kube-proxy/),
    ]);
  });

  it("waits for its DaemonSet and Ready nodes, and proves the lease and the tunnel on the nodes", () => {
    const { lab } = checkLab(spec());
    const gates = flannel.gates!({ backend: "vxlan" }, lab!);
    expect(gates).toContainEqual(
      expect.objectContaining({
        kind: "daemonset-rolled-out",
        namespace: "kube-flannel",
        name: "kube-flannel-ds",
      }),
    );
    expect(gates.map((g) => g.kind)).toContain("nodes-ready");
    const inspections = flannel.inspections!({ backend: "vxlan" }, lab!);
    expect(inspections.find((i) => i.id === "flannel-subnet-env")?.expectContains).toBe(
      `FLANNEL_NETWORK=${POD_SUBNET}`,
    );
    expect(inspections.find((i) => i.id === "flannel-vxlan-device")?.command).toEqual([
      "ip",
      "-d",
      "link",
      "show",
      "flannel.1",
    ]);
    const hostGw = flannel.inspections!({ backend: "host-gw" }, lab!).map((i) => i.id);
    expect(hostGw).not.toContain("flannel-vxlan-device");
  });
});
