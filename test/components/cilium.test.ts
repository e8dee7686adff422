import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareArtifacts } from "../../lib/cli/artifacts.ts";
import type { Io } from "../../lib/cli/output.ts";
import { CILIUM_CHART, CILIUM_VERSION, cilium, ciliumRender } from "../../lib/components/cni/cilium.ts";
import { checkLab, type ResolvedLab, resolveLab, serviceProxyText } from "../../lib/components/resolve.ts";
import { parseManifest } from "../../lib/components/upstream-manifest.ts";
import { LabError } from "../../lib/model/errors.ts";
import { parseLabSpec } from "../../lib/model/lab-spec.ts";
import { renderChart } from "../../lib/runtime/helm.ts";
import { orderForApply } from "../../lib/synth/stage-order.ts";
import { synthLab } from "../../lib/synth/synth.ts";
import { writeBlob } from "../../lib/upstream/cache.ts";
import { pin } from "../../lib/upstream/pins.ts";
import { identity } from "../../lib/validate/object-ref.ts";
import { helmBinary } from "../support/helm-binary.ts";
import { ciliumChart, noteSkip, withoutNulls } from "./support/upstream.ts";

const spec = (kubeProxyReplacement: boolean, extra: object = {}) =>
  parseLabSpec({
    name: kubeProxyReplacement ? "cilium-kpr-test" : "cilium-ipt-test",
    description: "cilium under test",
    cni: { name: "cilium", options: { kubeProxyReplacement } },
    kubeProxyMode: kubeProxyReplacement ? "none" : "iptables",
    ...extra,
  });

const errors = (kpr: boolean, extra: object = {}) =>
  checkLab(spec(kpr, extra))
    .findings.filter((f) => f.level === "error")
    .map((f) => `${f.path}: ${f.message}`);

/** The lab as a component sees it, with a gateway selected (the Cilium gateway component lives elsewhere). */
const withGateway = (lab: ResolvedLab, gateway: string): ResolvedLab => ({
  ...lab,
  selected: { ...lab.selected, gateway },
});

describe("Cilium's descriptor", () => {
  it("renders the chart with pinned, lab-derived values", () => {
    const lab = checkLab(spec(true)).lab!;
    const render = ciliumRender({ kubeProxyReplacement: true }, lab);
    expect(render.chart).toBe(CILIUM_CHART);
    expect(render.chart.sha256).toBe("c5f013912360d1a334f44ef25f36da59ba3414cdb48f466ee12d0c4fdff27883");
    expect(render.chart.url).toBe("https://helm.cilium.io/cilium-1.20.0.tgz");
    expect(render).toMatchObject({ release: "cilium", namespace: "kube-system" });
    expect(render.values).toMatchObject({
      ipam: { mode: "kubernetes" },
      image: { pullPolicy: "IfNotPresent" },
      routingMode: "tunnel",
      tunnelProtocol: "vxlan",
      operator: { replicas: 1 },
      kubeProxyReplacement: true,
      k8sServiceHost: "labs-cilium-kpr-test-control-plane",
      k8sServicePort: 6443,
      hubble: { tls: { auto: { method: "cronJob" } } },
    });
    expect(render.values).not.toHaveProperty("gatewayAPI");
    const plain = ciliumRender({ kubeProxyReplacement: false }, checkLab(spec(false)).lab!).values;
    expect(plain.kubeProxyReplacement).toBe(false);
    expect(plain).not.toHaveProperty("k8sServiceHost");
  });

  it("answers kube-proxy's health port without kube-proxy, so a load balancer's health checks pass", () => {
    const lab = checkLab(spec(true)).lab!;
    expect(ciliumRender({ kubeProxyReplacement: true }, lab).values.kubeProxyReplacementHealthzBindAddr).toBe(
      "0.0.0.0:10256",
    );
    const plain = ciliumRender({ kubeProxyReplacement: false }, checkLab(spec(false)).lab!).values;
    expect(plain).not.toHaveProperty("kubeProxyReplacementHealthzBindAddr");
  });

  it("enables Gateway API when the lab's gateway is Cilium", () => {
    const lab = withGateway(checkLab(spec(true)).lab!, "cilium");
    expect(ciliumRender({ kubeProxyReplacement: true }, lab).values.gatewayAPI).toEqual({ enabled: true });
    const other = withGateway(checkLab(spec(true)).lab!, "envoy-gateway");
    expect(ciliumRender({ kubeProxyReplacement: true }, other).values).not.toHaveProperty("gatewayAPI");
  });

  it("requires kube-proxy replacement for its Gateway API implementation", () => {
    const lab = withGateway(checkLab(spec(false)).lab!, "cilium");
    expect(cilium.rules!({ kubeProxyReplacement: false, version: CILIUM_VERSION }, lab)).toEqual([
      expect.objectContaining({
        level: "error",
        path: "cni.options.kubeProxyReplacement",
        message: "Cilium's Gateway API implementation needs Cilium's kube-proxy replacement",
      }),
    ]);
    expect(
      cilium.rules!(
        { kubeProxyReplacement: true, version: CILIUM_VERSION },
        withGateway(checkLab(spec(true)).lab!, "cilium"),
      ),
    ).toEqual([]);
  });

  it("refuses kube-proxy replacement with kube-proxy still running, and no replacement without kube-proxy", () => {
    expect(errors(true, { kubeProxyMode: "iptables" })).toEqual([
      'kubeProxyMode: cilium replaces kube-proxy, so kube-proxy must not run too (kubeProxyMode is "iptables")',
    ]);
    expect(errors(false, { kubeProxyMode: "none" })[0]).toMatch(/cilium does not replace kube-proxy/);
    expect(errors(true)).toEqual([]);
    expect(errors(false)).toEqual([]);
  });

  it("claims what it does in words", () => {
    const kpr = checkLab(spec(true)).lab!;
    expect(kpr.claims.kubeProxyReplacement).toMatchObject({ value: true, by: "cilium" });
    expect(kpr.capabilities).toMatchObject({
      networkPolicy: true,
      podEncapsulation: "vxlan",
      serviceProxy: "ebpf",
    });
    expect(serviceProxyText(kpr.claims.serviceProxy)).toBe("cilium ebpf");
    // Next to kube-proxy, Cilium still translates pods' ClusterIP traffic in bpf_lxc (cilium#16197):
    // kube-proxy keeps the value (it programs every Service), Cilium says who does what.
    const beside = checkLab(spec(false)).lab!.claims.serviceProxy;
    expect(beside).toMatchObject({ value: "kube-proxy iptables", by: "cilium" });
    expect(beside.reason).toMatch(/Cilium's eBPF program on each pod's interface translates the ClusterIPs/);
    expect(beside.reason).toMatch(/kube-proxy's iptables chains serve node ports/);
    expect(beside.reason).toMatch(/cilium\/cilium#16197/);
  });

  it("gates on the agent, Envoy and operator, and shows the tunnel device", () => {
    const lab = checkLab(spec(true)).lab!;
    const gates = cilium.gates!({ kubeProxyReplacement: true, version: CILIUM_VERSION }, lab);
    expect(gates).toContainEqual(expect.objectContaining({ kind: "daemonset-rolled-out", name: "cilium" }));
    expect(gates).toContainEqual(
      expect.objectContaining({ kind: "deployment-available", name: "cilium-operator" }),
    );
    const vxlan = cilium.inspections!({ kubeProxyReplacement: true, version: CILIUM_VERSION }, lab).find(
      (i) => i.id === "cilium-vxlan-device",
    );
    expect(vxlan?.command).toEqual(["ip", "-d", "link", "show", "cilium_vxlan"]);
  });
});

const chart = ciliumChart();
if ("unavailable" in chart) noteSkip("rendering the real Cilium chart", chart.unavailable);

describe("Cilium's pinned versions", () => {
  const gatewayLab = (version: string) =>
    parseLabSpec({
      name: "cilium-gateway-test",
      description: "cilium gateway under test",
      cni: { name: "cilium", options: { kubeProxyReplacement: true, version } },
      kubeProxyMode: "none",
      northSouth: { gateway: "cilium" },
      loadBalancer: "cloud-provider-kind",
      apps: ["echo", "echo-v2"],
    });

  it("defaults to 1.20.0, built for Gateway API v1.6.1, and keeps 1.19.6 pinned", () => {
    expect(CILIUM_VERSION).toBe("1.20.0");
    const lab = checkLab(gatewayLab("1.20.0"));
    expect(lab.findings).toEqual([]);
    expect(lab.lab!.components.find((c) => c.path === "cni")?.version).toBe("1.20.0");
  });

  it("refuses Cilium 1.19.6 next to Gateway API v1.6.1, naming both versions and the fix", () => {
    expect(checkLab(gatewayLab("1.19.6")).lab).toBeUndefined();
    const err = (() => {
      try {
        return resolveLab(gatewayLab("1.19.6"));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LabError);
    const message = (err as LabError).message;
    expect(message).toContain(
      "cilium-gateway-test: cni: Cilium 1.19.6 does not work with Gateway API v1.6.1",
    );
    expect(message).toContain('no matches for kind "TLSRoute" in version gateway.networking.k8s.io/v1alpha2');
    expect(message).toContain("cilium/cilium#45139");
    expect(message).toContain('use Cilium 1.20.0 (cni options { version: "1.20.0" })');
  });

  it("still resolves Cilium 1.19.6 without a gateway, with a warning for Kubernetes 1.36", () => {
    const lab = checkLab(spec(false, { cni: { name: "cilium", options: { version: "1.19.6" } } }));
    expect(lab.findings.map((f) => `${f.level} ${f.path}: ${f.message.split(" (")[0]}`)).toEqual([
      "warning cni: Cilium 1.19.6 is not known to work with Kubernetes v1.36.1",
    ]);
    expect(ciliumRender({ kubeProxyReplacement: false, version: "1.19.6" }, lab.lab!).chart.url).toBe(
      "https://helm.cilium.io/cilium-1.19.6.tgz",
    );
  });

  it("names the pinned versions when asked for another", () => {
    expect(errors(false, { cni: { name: "cilium", options: { version: "1.18.0" } } })).toEqual([
      'cni.options.version: version must be one of 1.20.0, 1.19.6, got the string "1.18.0"',
    ]);
  });
});

describe.skipIf("unavailable" in chart)(`the real Cilium ${CILIUM_VERSION} chart`, () => {
  const chartPath = "path" in chart ? chart.path : "";
  const helm = "path" in helmBinary() ? (helmBinary() as { path: string }).path : "";
  const render = (values: Record<string, unknown>) =>
    renderChart({
      helm,
      chartPath,
      releaseName: "cilium",
      namespace: "kube-system",
      values,
      kubeVersion: "v1.36.1",
    });

  it("renders byte-identical twice with labs' values (and not with the chart's defaults)", async () => {
    for (const kpr of [false, true]) {
      const lab = withGateway(checkLab(spec(kpr)).lab!, kpr ? "cilium" : "none");
      const { values } = ciliumRender({ kubeProxyReplacement: kpr }, lab);
      const first = await render(values);
      expect(await render(values)).toBe(first);
      const kinds = parseManifest(first).map((o) => o.kind);
      expect(kinds).toContain("DaemonSet");
      expect(kinds).not.toContain("Secret");
    }
    // Why the values matter: the chart's own defaults generate new certificates on every render.
    expect(await render({})).not.toBe(await render({}));
  });

  describe("synthesized through the artifact step", () => {
    const io: Io = { out: () => {}, err: () => {} };
    let env: NodeJS.ProcessEnv;
    beforeAll(() => {
      const cacheDir = mkdtempSync(join(tmpdir(), "labs-cilium-"));
      writeBlob(cacheDir, readFileSync(chartPath), CILIUM_CHART.sha256);
      env = { LABS_CACHE_DIR: cacheDir, LABS_HELM: helm, LABS_OFFLINE: "1", PATH: "" };
    });

    it("configures kube-proxy replacement and includes the render unchanged", async () => {
      const s = spec(true);
      const prepared = await prepareArtifacts(s, {}, io, { scope: "synth", env });
      const out = await synthLab(s, prepared);
      expect(out.issues.filter((i) => i.level === "error")).toEqual([]);
      const config = out.objects.find(
        (o) => o.object.kind === "ConfigMap" && o.object.metadata?.name === "cilium-config",
      );
      expect(config?.object.data).toMatchObject({
        "kube-proxy-replacement": "true",
        "routing-mode": "tunnel",
        "tunnel-protocol": "vxlan",
        ipam: "kubernetes",
      });
      const agent = out.objects.find(
        (o) => o.object.kind === "DaemonSet" && o.object.metadata?.name === "cilium",
      )!;
      const env0 = agent.object.spec.template.spec.containers[0].env as { name: string; value?: string }[];
      expect(env0).toContainEqual({
        name: "KUBERNETES_SERVICE_HOST",
        value: "labs-cilium-kpr-test-control-plane",
      });
      // Object by object, what synth wrote is what helm rendered.
      const rendered = parseManifest(
        prepared.readRenderedChart(ciliumRender({ kubeProxyReplacement: true }, out.lab)),
      );
      const cni = out.objects.filter((o) => o.stage === "cni");
      // Same objects, in apply order (the chart's Namespace first).
      expect(cni.map((o) => identity(o.object))).toEqual(orderForApply(rendered).map(identity));
      expect(cni.every((o) => o.origin === "upstream")).toBe(true);
      for (const r of rendered)
        expect(cni.find((o) => identity(o.object) === identity(r))!.object).toEqual(withoutNulls(r));
      // The lock records the chart by version and digest.
      expect(out.lock.charts).toEqual([
        {
          id: "cilium/chart",
          version: "1.20.0",
          url: "https://helm.cilium.io/cilium-1.20.0.tgz",
          sha256: CILIUM_CHART.sha256,
        },
      ]);
    });

    it("keeps kube-proxy's job with kube-proxy in iptables mode", async () => {
      const s = spec(false);
      const out = await synthLab(s, await prepareArtifacts(s, {}, io, { scope: "synth", env }));
      const config = out.objects.find((o) => o.object.metadata?.name === "cilium-config");
      expect(config?.object.data["kube-proxy-replacement"]).toBe("false");
      expect(out.files.get("kind.yaml")).toMatch(/kubeProxyMode: iptables/);
    });
  });
});

const previous = ciliumChart("cilium/chart-1.19.6");
if ("unavailable" in previous) noteSkip("rendering the real Cilium 1.19.6 chart", previous.unavailable);

describe.skipIf("unavailable" in previous)("the real Cilium 1.19.6 chart, still pinned", () => {
  it("renders through the artifact step for a lab without Gateway API", async () => {
    const chartPath = "path" in previous ? previous.path : "";
    const helm = (helmBinary() as { path: string }).path;
    const cacheDir = mkdtempSync(join(tmpdir(), "labs-cilium-119-"));
    writeBlob(cacheDir, readFileSync(chartPath), pin("cilium/chart-1.19.6").sha256);
    const env = { LABS_CACHE_DIR: cacheDir, LABS_HELM: helm, LABS_OFFLINE: "1", PATH: "" };
    const s = spec(false, { cni: { name: "cilium", options: { version: "1.19.6" } } });
    const out = await synthLab(
      s,
      await prepareArtifacts(s, {}, { out: () => {}, err: () => {} }, { scope: "synth", env }),
    );
    expect(out.lock.charts.map((c) => `${c.id} ${c.version}`)).toEqual(["cilium/chart-1.19.6 1.19.6"]);
    expect(out.lab.findings.map((f) => f.path)).toEqual(["cni"]);
  });
});
