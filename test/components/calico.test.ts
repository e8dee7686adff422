import { Ajv } from "ajv";
import { type ApiObject, JsonPatch } from "cdk8s";
import { beforeAll, describe, expect, it } from "vitest";
import { calico } from "../../lib/components/cni/calico.ts";
import type { ArtifactReader } from "../../lib/components/component.ts";
import { checkLab, serviceProxyText } from "../../lib/components/resolve.ts";
import type { K8sObject } from "../../lib/model/k8s-object.ts";
import { parseLabSpec } from "../../lib/model/lab-spec.ts";
import { type SynthOutput, synthLab } from "../../lib/synth/synth.ts";
import { identity } from "../../lib/validate/object-ref.ts";
import {
  cacheFromShared,
  noteSkip,
  sharedUpstreamPresent,
  upstreamObjects,
  withoutNulls,
} from "./support/upstream.ts";

const CRDS = "calico/v3.32.1/operator-crds.yaml";
const OPERATOR = "calico/v3.32.1/tigera-operator.yaml";
const POD_SUBNET = "192.168.0.0/16";

const PROXY_FOR: Record<string, string> = { Iptables: "iptables", BPF: "none", Nftables: "nftables" };

const spec = (dataplane: string, extra: object = {}) =>
  parseLabSpec({
    name: `calico-${dataplane.toLowerCase()}-test`,
    description: "calico under test",
    podSubnet: POD_SUBNET,
    cni: { name: "calico", options: { dataplane } },
    kubeProxyMode: PROXY_FOR[dataplane],
    ...extra,
  });

const errors = (dataplane: string, extra: object = {}) =>
  checkLab(spec(dataplane, extra))
    .findings.filter((f) => f.level === "error")
    .map((f) => `${f.path}: ${f.message}${f.fix ? ` (${f.fix})` : ""}`);

const byKind = (out: SynthOutput, kind: string) => out.objects.filter((o) => o.object.kind === kind);

/** The openAPIV3Schema of one operator CRD, from the real operator-crds.yaml, as a validator. */
function crdValidator(plural: string) {
  const crd = upstreamObjects(CRDS).find((o) => o.metadata?.name === `${plural}.operator.tigera.io`)!;
  const version = crd.spec.versions.find((v: { name: string }) => v.name === "v1");
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false });
  return ajv.compile(version.schema.openAPIV3Schema);
}

if (!sharedUpstreamPresent)
  noteSkip("Calico tests over the real operator manifests", "../shared/upstream is absent");

describe.skipIf(!sharedUpstreamPresent)("Calico over the real operator manifests", () => {
  let readArtifact: ArtifactReader;
  const outputs: Record<string, SynthOutput> = {};
  beforeAll(async () => {
    readArtifact = cacheFromShared().readArtifact;
    for (const dataplane of ["Iptables", "BPF", "Nftables"])
      outputs[dataplane] = await synthLab(spec(dataplane), { readArtifact });
  });

  it("writes an Installation whose pool, encapsulation and dataplane match the lab", () => {
    for (const dataplane of ["Iptables", "BPF", "Nftables"]) {
      const [installation] = byKind(outputs[dataplane]!, "Installation");
      expect(installation?.origin).toBe("labs");
      expect(installation?.stage).toBe("cni");
      expect(installation?.object.metadata?.name).toBe("default");
      const network = installation?.object.spec.calicoNetwork;
      expect(network.linuxDataplane).toBe(dataplane);
      expect(network.ipPools).toEqual([
        expect.objectContaining({ cidr: POD_SUBNET, encapsulation: "VXLAN", natOutgoing: "Enabled" }),
      ]);
    }
  });

  it("follows the lab's podSubnet, whatever it is", async () => {
    const out = await synthLab(spec("Iptables", { podSubnet: "10.50.0.0/16" }), { readArtifact });
    expect(byKind(out, "Installation")[0]?.object.spec.calicoNetwork.ipPools[0].cidr).toBe("10.50.0.0/16");
  });

  it("keeps upstream's pool settings except the CIDR and the encapsulation", () => {
    const upstream = upstreamObjects("calico/v3.32.1/custom-resources.yaml").find(
      (o) => o.kind === "Installation",
    )!;
    const [upstreamPool] = upstream.spec.calicoNetwork.ipPools;
    const [ours] = byKind(outputs.Iptables!, "Installation")[0]!.object.spec.calicoNetwork.ipPools;
    expect(ours).toEqual({ ...upstreamPool, cidr: POD_SUBNET, encapsulation: "VXLAN" });
    expect(upstreamPool.encapsulation).toBe("VXLANCrossSubnet");
  });

  it("writes Installation and APIServer objects the operator's own CRD schemas accept", () => {
    const installation = crdValidator("installations");
    const apiServer = crdValidator("apiservers");
    for (const out of Object.values(outputs)) {
      const inst = byKind(out, "Installation")[0]!.object;
      expect(installation(inst), JSON.stringify(installation.errors)).toBe(true);
      expect(apiServer(byKind(out, "APIServer")[0]!.object), JSON.stringify(apiServer.errors)).toBe(true);
    }
    // The check has teeth: a dataplane the CRD does not know is refused.
    const wrong = structuredClone(byKind(outputs.BPF!, "Installation")[0]!.object);
    wrong.spec.calicoNetwork.linuxDataplane = "EBPF";
    expect(installation(wrong)).toBe(false);
  });

  it("includes the upstream CRDs and operator unchanged, and adds only its own objects", () => {
    for (const [dataplane, out] of Object.entries(outputs)) {
      const upstream = [...upstreamObjects(CRDS), ...upstreamObjects(OPERATOR)];
      const included = out.objects.filter((o) => o.origin === "upstream");
      expect(included.map((o) => identity(o.object)).sort()).toEqual(upstream.map(identity).sort());
      for (const original of upstream) {
        const ours = included.find((o) => identity(o.object) === identity(original))!;
        expect(ours.object, identity(original)).toEqual(withoutNulls(original));
        expect(ours.stage).toBe(original.kind === "CustomResourceDefinition" ? "crds" : "cni");
      }
      const added = out.objects
        .filter((o) => o.origin === "labs" && o.stage === "cni")
        .map((o) => `${o.object.kind}/${o.object.metadata?.name}`);
      expect(added.sort()).toEqual(
        dataplane === "BPF"
          ? ["APIServer/default", "ConfigMap/kubernetes-services-endpoint", "Installation/default"]
          : ["APIServer/default", "Installation/default"],
      );
    }
  });

  it("tells the eBPF dataplane where the API server is, before the operator starts", () => {
    const cni = outputs.BPF!.objects.filter((o) => o.stage === "cni").map((o) => o.object);
    const at = (pred: (o: K8sObject) => boolean) => cni.findIndex(pred);
    const configMap = cni.find((o) => o.metadata?.name === "kubernetes-services-endpoint")!;
    expect(configMap.metadata?.namespace).toBe("tigera-operator");
    // An address, never a name: the operator and calico-node are host-network pods with
    // dnsPolicy ClusterFirstWithHostNet, and CoreDNS cannot run before Calico (#10 defect 3).
    expect(configMap.data).toEqual({
      KUBERNETES_SERVICE_HOST: "${LABS_API_SERVER_ADDRESS}",
      KUBERNETES_SERVICE_PORT: "6443",
    });
    const lab = JSON.parse(outputs.BPF!.files.get("lab.json")!) as { clusterVariables: unknown[] };
    expect(lab.clusterVariables).toEqual([
      expect.objectContaining({ name: "LABS_API_SERVER_ADDRESS", source: "api-server-address" }),
    ]);
    expect(outputs.BPF!.issues.filter((i) => i.rule === "host-network-dns")).toEqual([]);
    expect(JSON.parse(outputs.Iptables!.files.get("lab.json")!).clusterVariables).toEqual([]);
    const namespace = at((o) => o.kind === "Namespace" && o.metadata?.name === "tigera-operator");
    const cm = at((o) => o === configMap);
    const deployment = at((o) => o.kind === "Deployment" && o.metadata?.name === "tigera-operator");
    expect(namespace).toBeLessThan(cm);
    expect(cm).toBeLessThan(deployment);
    // The operator reads it through envFrom; bpfNetworkBootstrap must then stay off.
    const operator = cni[deployment]!;
    expect(operator.spec.template.spec.containers[0].envFrom).toContainEqual({
      configMapRef: { name: "kubernetes-services-endpoint", optional: true },
    });
    const bpf = byKind(outputs.BPF!, "Installation")[0]!.object.spec.calicoNetwork;
    expect(bpf.bpfNetworkBootstrap ?? "Disabled").toBe("Disabled");
  });

  it("refuses a host-network operator given the API server by name, naming the object, the rule and the fix", async () => {
    // The defect as it was: the control plane's node name, which only CoreDNS could resolve.
    const err = await synthLab(spec("BPF"), {
      readArtifact,
      extend: (lab) => {
        const cm = lab.stages.cni.node.findChild("calico-services-endpoint") as ApiObject;
        cm.addJsonPatch(
          JsonPatch.replace("/data/KUBERNETES_SERVICE_HOST", "labs-calico-bpf-test-control-plane"),
        );
      },
    }).then(
      () => new Error("synth did not fail"),
      (e: unknown) => e as Error,
    );
    expect(err.message).toContain(
      'error: [host-network-dns] cni: Deployment tigera-operator/tigera-operator: runs on the host network with dnsPolicy ClusterFirstWithHostNet before the pod network is up, and ConfigMap tigera-operator/kubernetes-services-endpoint gives it the API server as the name "labs-calico-bpf-test-control-plane"',
    );
    expect(err.message).toContain(
      "(fix: give it the API server's address instead: write ${LABS_API_SERVER_ADDRESS}",
    );
  });

  it("applies the 3 MB of CRDs server-side and waits for tigerastatus calico", () => {
    const lab = JSON.parse(outputs.Iptables!.files.get("lab.json")!) as {
      stages: {
        name: string;
        serverSide: boolean;
        gates: { kind: string; resource?: string; condition?: string }[];
      }[];
    };
    const stage = (name: string) => lab.stages.find((s) => s.name === name)!;
    // labs up applies every stage server-side, and lab.json says so.
    expect(stage("crds").serverSide).toBe(true);
    expect(stage("cni").serverSide).toBe(true);
    expect(stage("crds").gates).toContainEqual(expect.objectContaining({ kind: "crds-established" }));
    expect(stage("cni").gates).toContainEqual(
      expect.objectContaining({ kind: "condition", resource: "tigerastatus/calico", condition: "Available" }),
    );
    const kind = outputs.Iptables!.files.get("kind.yaml")!;
    expect(kind).toMatch(/disableDefaultCNI: true/);
    expect(kind).toMatch(/podSubnet: 192\.168\.0\.0\/16/);
  });
});

describe("Calico's rules", () => {
  it("warns that its default pool 192.168.0.0/16 overlaps many LANs, naming the option to change (#10)", () => {
    const warnings = checkLab(spec("Iptables")).findings.filter((f) => f.level === "warning");
    expect(warnings).toEqual([
      expect.objectContaining({
        path: "podSubnet",
        message: expect.stringMatching(
          /^podSubnet 192\.168\.0\.0\/16 overlaps 192\.168\.0\.0\/16 \(Calico's default pool\), where many home and office LANs are/,
        ),
        fix: 'set podSubnet to a range clear of your LAN, e.g. "10.244.0.0/16" (kind\'s default)',
      }),
    ]);
    expect(checkLab(spec("Iptables", { podSubnet: "10.244.0.0/16" })).findings).toEqual([]);
  });

  it("refuses the eBPF dataplane next to kube-proxy", () => {
    expect(errors("BPF", { kubeProxyMode: "iptables" })).toEqual([
      expect.stringMatching(
        /^kubeProxyMode: calico replaces kube-proxy, so kube-proxy must not run too.*set kubeProxyMode to "none"/,
      ),
    ]);
    expect(errors("BPF")).toEqual([]);
  });

  it("refuses the Nftables dataplane unless kube-proxy runs in nftables mode", () => {
    expect(errors("Nftables", { kubeProxyMode: "iptables" })).toEqual([
      'kubeProxyMode: Calico\'s Nftables dataplane works with kube-proxy in nftables mode only (kubeProxyMode is "iptables") (set kubeProxyMode "nftables", or use dataplane "Iptables")',
    ]);
    expect(errors("Nftables")).toEqual([]);
  });

  it("refuses kubeProxyMode none without the eBPF dataplane", () => {
    expect(errors("Iptables", { kubeProxyMode: "none" })[0]).toMatch(/calico does not replace kube-proxy/);
  });

  it("refuses an unknown dataplane and names the known ones", () => {
    expect(errors("VPP")).toEqual([
      'cni.options.dataplane: dataplane must be one of Iptables, BPF, Nftables, got the string "VPP"',
    ]);
  });

  it("claims kube-proxy replacement only with eBPF, and NetworkPolicy always", () => {
    const bpf = checkLab(spec("BPF")).lab!;
    expect(bpf.claims.kubeProxyReplacement).toMatchObject({ value: true, by: "calico" });
    expect(bpf.capabilities.serviceProxy).toBe("ebpf");
    expect(serviceProxyText(bpf.claims.serviceProxy)).toBe("calico ebpf");
    const ipt = checkLab(spec("Iptables")).lab!;
    expect(ipt.capabilities).toMatchObject({
      kubeProxyReplacement: false,
      networkPolicy: true,
      podEncapsulation: "vxlan",
    });
    expect(ipt.capabilities.serviceProxy).toBe("kube-proxy iptables");
  });

  it("shows each dataplane on the node its own way", () => {
    const ids = (dataplane: "Iptables" | "BPF" | "Nftables") =>
      calico.inspections!({ dataplane }, checkLab(spec(dataplane)).lab!).map((i) => i.id);
    expect(ids("BPF")).toContain("calico-bpf-nat-devices");
    expect(ids("Nftables")).toContain("calico-nftables");
    expect(ids("Iptables")).toContain("calico-iptables-chains");
    for (const d of ["Iptables", "BPF", "Nftables"] as const) expect(ids(d)).toContain("calico-vxlan-device");
  });
});
