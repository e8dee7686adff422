import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { ArtifactRef } from "../../lib/model/artifact-ref.ts";
import { ensureRendered, findHelm, helmEnv, helmVersion, renderChart } from "../../lib/runtime/helm.ts";
import { isInterrupted, type RunResult } from "../../lib/runtime/process.ts";
import { writeBlob } from "../../lib/upstream/cache.ts";
import { sha256Hex } from "../../lib/upstream/digest.ts";
import { type ChartRenderRequest, renderedChartReader, valuesYaml } from "../../lib/upstream/render-cache.ts";
import { helmBinary } from "../support/helm-binary.ts";

describe("valuesYaml", () => {
  it("writes the same bytes whatever order keys were set in", () => {
    const a = valuesYaml({
      hubble: { tls: { auto: { method: "cronJob" } }, enabled: true },
      ipam: { mode: "kubernetes" },
    });
    const b = valuesYaml({
      ipam: { mode: "kubernetes" },
      hubble: { enabled: true, tls: { auto: { method: "cronJob" } } },
    });
    expect(a).toBe(b);
    expect(a.indexOf("hubble:")).toBeLessThan(a.indexOf("ipam:"));
    expect(a.indexOf("enabled:")).toBeLessThan(a.indexOf("tls:"));
  });

  it("keeps strings that look like booleans as strings", () => {
    expect(valuesYaml({ create: "true" })).toBe('create: "true"\n');
  });
});

describe("findHelm", () => {
  it("explains how to get helm when there is none", () => {
    expect(() => findHelm({ PATH: "" })).toThrow("helm is not installed");
    try {
      findHelm({ PATH: "" });
    } catch (e) {
      expect((e as { fix?: string }).fix).toMatch(/install helm .*or set LABS_HELM/);
    }
  });

  it("rejects a LABS_HELM that is not executable", () => {
    expect(() => findHelm({ LABS_HELM: "/nonexistent/helm" })).toThrow(
      "LABS_HELM=/nonexistent/helm is not an executable file",
    );
  });
});

describe("renderedChartReader", () => {
  it("asks for the artifact step when a chart has not been rendered", () => {
    const cache = mkdtempSync(join(tmpdir(), "labs-render-"));
    const chart: ArtifactRef = {
      id: "x/chart",
      url: "https://example.test/x.tgz",
      sha256: "e".repeat(64),
      type: "chart",
    };
    const read = renderedChartReader(cache, "v4.1.4");
    expect(() =>
      read({ chart, releaseName: "x", namespace: "x", values: {}, kubeVersion: "v1.36.1" }),
    ).toThrow(/has not been rendered with helm v4\.1\.4/);
    rmSync(cache, { recursive: true, force: true });
  });
});

const helm = helmBinary();
const noHelm = "unavailable" in helm ? helm.unavailable : undefined;
if (noHelm) console.log(`skipping helm rendering tests: ${noHelm}`);

describe.skipIf(noHelm !== undefined)("rendering a chart with helm", () => {
  const helmPath = (helm as { path: string }).path;
  let work: string;
  let chartTgz: string;
  let randomTgz: string;

  /** A small chart: a CRD in crds/, a ConfigMap that uses values and the release namespace. */
  async function packageChart(name: string, configMap: string): Promise<string> {
    const dir = join(work, name);
    mkdirSync(join(dir, "templates"), { recursive: true });
    mkdirSync(join(dir, "crds"));
    writeFileSync(join(dir, "Chart.yaml"), `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`);
    writeFileSync(join(dir, "values.yaml"), "greeting: hello\nreplicas: 1\n");
    writeFileSync(
      join(dir, "crds", "widgets.yaml"),
      [
        "apiVersion: apiextensions.k8s.io/v1",
        "kind: CustomResourceDefinition",
        "metadata:",
        "  name: widgets.labs.test",
        "spec:",
        "  group: labs.test",
        "  names: { kind: Widget, plural: widgets }",
        "  scope: Namespaced",
        "  versions: [{ name: v1, served: true, storage: true, schema: { openAPIV3Schema: { type: object } } }]",
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "templates", "configmap.yaml"), configMap);
    await execa(helmPath, ["package", dir, "--destination", work]);
    return join(work, `${name}-0.1.0.tgz`);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "labs-helm-test-"));
    chartTgz = await packageChart(
      "demo",
      [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: {{ .Release.Name }}-greeting",
        "  namespace: {{ .Release.Namespace }}",
        "data:",
        "  greeting: {{ .Values.greeting | quote }}",
        "  replicas: {{ .Values.replicas | quote }}",
        "  kube: {{ .Capabilities.KubeVersion.Version | quote }}",
        "",
      ].join("\n"),
    );
    randomTgz = await packageChart(
      "random",
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  key: {{ randAlphaNum 16 | quote }}\n",
    );
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const render = () =>
    renderChart({
      helm: helmPath,
      chartPath: chartTgz,
      releaseName: "demo",
      namespace: "labs-demo",
      values: { greeting: "hi from labs", replicas: 3 },
      kubeVersion: "v1.36.1",
    });

  it("includes the chart's CRDs and applies the values, namespace and kube version", async () => {
    const docs = parseAllDocuments(await render()).map((d) => d.toJS());
    const crd = docs.find((d) => d?.kind === "CustomResourceDefinition");
    const cm = docs.find((d) => d?.kind === "ConfigMap");
    expect(crd?.metadata.name).toBe("widgets.labs.test");
    expect(cm?.metadata).toEqual({ name: "demo-greeting", namespace: "labs-demo" });
    expect(cm?.data).toEqual({ greeting: "hi from labs", replicas: "3", kube: "v1.36.1" });
  });

  it("renders byte-identical output twice", async () => {
    expect(await render()).toBe(await render());
  });

  it("reports helm's own error when the chart cannot be rendered", async () => {
    await expect(
      renderChart({
        helm: helmPath,
        chartPath: join(work, "nope.tgz"),
        releaseName: "x",
        namespace: "x",
        values: {},
        kubeVersion: "v1.36.1",
      }),
    ).rejects.toThrow(/helm template failed: .*nope\.tgz/);
  });

  describe("in the artifact step, for synth", () => {
    let cacheDir: string;
    let request: ChartRenderRequest;
    beforeAll(() => {
      cacheDir = join(work, "cache");
      const bytes = readFileSync(chartTgz);
      writeBlob(cacheDir, bytes);
      const chart: ArtifactRef = {
        id: "demo/chart",
        url: "https://charts.test/demo-0.1.0.tgz",
        sha256: sha256Hex(bytes),
        type: "chart",
      };
      request = {
        chart,
        releaseName: "demo",
        namespace: "labs-demo",
        values: { greeting: "cached" },
        kubeVersion: "v1.36.1",
      };
    });

    it("renders into the cache once; synth then reads the YAML without helm", async () => {
      const events: string[] = [];
      const [first] = await ensureRendered([request], {
        cacheDir,
        helm: helmPath,
        onProgress: (e) => events.push(e.kind),
      });
      const version = await helmVersion(helmPath);
      expect(first).toMatchObject({ id: "demo/chart", helmVersion: version });
      const yaml = renderedChartReader(cacheDir, version)(request);
      expect(sha256Hex(yaml)).toBe(first?.sha256);
      expect(yaml).toContain('greeting: "cached"');
      await ensureRendered([request], { cacheDir, helm: helmPath, onProgress: (e) => events.push(e.kind) });
      expect(events).toEqual(["rendered", "render-hit"]);
    });

    it("runs helm like every other tool: logged, cancellable, with only the environment it needs", async () => {
      const commands: RunResult[] = [];
      const env = { ...process.env, KUBECONFIG: "/nonexistent/kubeconfig", HELM_DEBUG: "true" };
      const other = { ...request, releaseName: "logged" };
      await ensureRendered([other], { cacheDir, helm: helmPath, env, onCommand: (r) => commands.push(r) });
      // The version (part of the render key), then the render twice (it must not vary).
      expect(commands.map((c) => c.command.split(" ").slice(0, 2).join(" "))).toEqual([
        `${helmPath} version`,
        `${helmPath} template`,
        `${helmPath} template`,
      ]);
      expect(commands.every((c) => c.ok)).toBe(true);
      expect(helmEnv(env)).not.toHaveProperty("KUBECONFIG");
      expect(helmEnv(env)).not.toHaveProperty("HELM_DEBUG");
      expect(helmEnv({ PATH: "/bin", HOME: "/h", HELM_CACHE_HOME: "/c", AWS_SECRET: "x" })).toEqual({
        PATH: "/bin",
        HOME: "/h",
        HELM_CACHE_HOME: "/c",
      });
      const stop = new AbortController();
      stop.abort();
      const again = { ...request, releaseName: "cancelled" };
      const cancelled = ensureRendered([again], { cacheDir, helm: helmPath, signal: stop.signal });
      await expect(cancelled.catch((e: unknown) => isInterrupted(e))).resolves.toBe(true);
    });

    it("keys renders by values: other values are another render", async () => {
      const version = await helmVersion(helmPath);
      const other = { ...request, values: { greeting: "different" } };
      expect(() => renderedChartReader(cacheDir, version)(other)).toThrow(/has not been rendered/);
      expect(() => renderedChartReader(cacheDir, "v0.0.0")(request)).toThrow(
        /has not been rendered with helm v0\.0\.0/,
      );
    });

    it("refuses a chart that renders differently each time", async () => {
      const bytes = readFileSync(randomTgz);
      writeBlob(cacheDir, bytes);
      const chart: ArtifactRef = {
        id: "random/chart",
        url: "https://charts.test/random.tgz",
        sha256: sha256Hex(bytes),
        type: "chart",
      };
      const req = { chart, releaseName: "r", namespace: "r", values: {}, kubeVersion: "v1.36.1" };
      await expect(ensureRendered([req], { cacheDir, helm: helmPath })).rejects.toThrow(
        /renders differently each time/,
      );
    });
  });
});
