import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareArtifacts } from "../../lib/cli/commands/artifacts.ts";
import type { Io } from "../../lib/cli/output.ts";
import { CILIUM_CHART, cilium, ciliumRender } from "../../lib/components/cni/cilium.ts";
import { checkLab, type ResolvedLab } from "../../lib/components/resolve.ts";
import { parseManifest } from "../../lib/components/upstream-manifest.ts";
import { parseLabSpec } from "../../lib/model/lab-spec.ts";
import { renderChart } from "../../lib/runtime/helm.ts";
import { synthLab } from "../../lib/synth/synth.ts";
import { writeBlob } from "../../lib/upstream/cache.ts";
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
    expect(render.chart.sha256).toBe("21c43cf53841f9ab0375047d95aa4c64051ea52bbd2c679416e6408f5f1c9179");
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
    expect(cilium.rules!({ kubeProxyReplacement: false }, lab)).toEqual([
      expect.objectContaining({
        level: "error",
        path: "cni.options.kubeProxyReplacement",
        message: "Cilium's Gateway API implementation needs Cilium's kube-proxy replacement",
      }),
    ]);
    expect(
      cilium.rules!({ kubeProxyReplacement: true }, withGateway(checkLab(spec(true)).lab!, "cilium")),
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
      serviceProxy: "cilium ebpf",
    });
    expect(checkLab(spec(false)).lab!.capabilities.serviceProxy).toBe("kube-proxy iptables");
  });

  it("gates on the agent, Envoy and operator, and shows the tunnel device", () => {
    const lab = checkLab(spec(true)).lab!;
    const gates = cilium.gates!({ kubeProxyReplacement: true }, lab);
    expect(gates).toContainEqual(expect.objectContaining({ kind: "daemonset-rolled-out", name: "cilium" }));
    expect(gates).toContainEqual(
      expect.objectContaining({ kind: "deployment-available", name: "cilium-operator" }),
    );
    const vxlan = cilium.inspections!({ kubeProxyReplacement: true }, lab).find(
      (i) => i.id === "cilium-vxlan-device",
    );
    expect(vxlan?.command).toEqual(["ip", "-d", "link", "show", "cilium_vxlan"]);
  });
});

const chart = ciliumChart();
if ("unavailable" in chart) noteSkip("rendering the real Cilium chart", chart.unavailable);

describe.skipIf("unavailable" in chart)("the real Cilium 1.19.6 chart", () => {
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
      expect(cni.map((o) => identity(o.object))).toEqual(rendered.map(identity));
      expect(cni.every((o) => o.origin === "upstream")).toBe(true);
      for (const r of rendered)
        expect(cni.find((o) => identity(o.object) === identity(r))!.object).toEqual(withoutNulls(r));
      // The lock records the chart by version and digest.
      expect(out.lock.charts).toEqual([
        {
          id: "cilium/chart",
          version: "1.19.6",
          url: "https://helm.cilium.io/cilium-1.19.6.tgz",
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
