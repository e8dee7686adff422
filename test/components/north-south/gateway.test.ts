import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { routeBackends } from "../../../lib/components/apps/route-backends.ts";
import type { ChartRender } from "../../../lib/components/component.ts";
import {
  APP_GATEWAY,
  APP_ROUTES,
  appGateway,
  appRoutes,
} from "../../../lib/components/gateway/app-routes.ts";
import { CILIUM_GATEWAY_CLASS } from "../../../lib/components/gateway/cilium.ts";
import { envoyGatewayClass, envoyGatewayRender } from "../../../lib/components/gateway/envoy-gateway.ts";
import {
  ENVOY_GATEWAY_CLASS,
  ENVOY_GATEWAY_IMAGE,
  ENVOY_GATEWAY_NODE_PORT,
  ENVOY_PROXY_CONFIG,
  ENVOY_PROXY_IMAGE,
  envoyGatewayValues,
  envoyProxy,
  filterEnvoyGatewayRender,
} from "../../../lib/components/gateway/envoy-gateway-values.ts";
import { GATEWAY_API_CRD_NAMES } from "../../../lib/components/gateway/gateway-api-crds.ts";
import { checkLab } from "../../../lib/components/resolve.ts";
import type { K8sObject } from "../../../lib/model/k8s-object.ts";
import { parseLabSpec } from "../../../lib/model/lab-spec.ts";
import { renderChart } from "../../../lib/runtime/helm.ts";
import { envoyGatewayChartFromModule } from "../../support/envoy-gateway-chart.ts";
import { helmBinary } from "../../support/helm-binary.ts";
import { noteSkip } from "../support/upstream.ts";
import {
  crdValidator,
  errorsOf,
  GATEWAY_API_DIR,
  lab,
  objectsOf,
  resolved,
  sharedUpstreamPresent,
  synth,
} from "./support.ts";

const APPS = ["echo", "echo-v2"];
const eg = { kubeProxyMode: "nftables", northSouth: { gateway: "envoy-gateway" }, apps: APPS } as const;

const specErrors = (input: object) =>
  checkLab(parseLabSpec(lab(input)))
    .findings.filter((f) => f.level === "error")
    .map((f) => `${f.path}: ${f.message}`);

describe("the apps' Gateway and HTTPRoutes as typed objects", () => {
  const b = routeBackends(resolved({ apps: APPS }));
  const [main, split] = appRoutes(b);
  const rule = (name: string) => main!.spec.rules!.find((r) => r.name === name)!;

  it("validate against the Gateway API models", () => {
    expect(() => appGateway("any-class", b.namespace).validate()).not.toThrow();
    for (const r of [main!, split!]) expect(() => r.validate()).not.toThrow();
  });

  it("route /v2 by path and X-Version: 2 by header to echo-v2, everything else to echo", () => {
    expect(rule("v2-path").matches).toEqual([{ path: { type: "PathPrefix", value: "/v2" } }]);
    expect(rule("v2-path").backendRefs).toEqual([{ name: "echo-v2", port: 80 }]);
    expect(rule("v2-header").matches![0]!.headers).toEqual([
      { type: "Exact", name: "X-Version", value: "2" },
    ]);
    expect(rule("v2-header").backendRefs).toEqual([{ name: "echo-v2", port: 80 }]);
    expect(rule("echo").backendRefs).toEqual([{ name: "echo", port: 80 }]);
  });

  it("split split.labs.test 80/20 between echo and echo-v2", () => {
    expect(split!.spec.hostnames).toEqual([APP_ROUTES.splitHost]);
    expect(split!.spec.rules![0]!.backendRefs).toEqual([
      { name: "echo", port: 80, weight: 80 },
      { name: "echo-v2", port: 80, weight: 20 },
    ]);
  });

  it("set a header naming the rule on every request, so probes can prove which rule ran", () => {
    for (const r of [...main!.spec.rules!, ...split!.spec.rules!]) {
      expect(r.filters).toEqual([
        {
          type: "RequestHeaderModifier",
          requestHeaderModifier: { set: [{ name: "X-Labs-Route", value: expect.any(String) }] },
        },
      ]);
    }
    const tags = [...main!.spec.rules!, ...split!.spec.rules!].map(
      (r) => r.filters![0]!.requestHeaderModifier!.set![0]!.value,
    );
    expect(new Set(tags).size).toBe(tags.length);
  });

  it("attach to the Gateway's HTTP listener", () => {
    const gw = appGateway("c", b.namespace);
    expect(gw.spec.listeners.map((l) => [l.name, l.protocol, l.port])).toEqual([["http", "HTTP", 80]]);
    for (const r of [main!, split!])
      expect(r.spec.parentRefs).toEqual([{ name: APP_GATEWAY.name, sectionName: APP_GATEWAY.listener }]);
  });
});

if (!sharedUpstreamPresent)
  noteSkip("Gateway API objects against the v1.6.1 CRDs", "../shared/upstream is absent");

describe.skipIf(!sharedUpstreamPresent)("Gateway API objects in synthesized labs", () => {
  it("validate against the models and the real v1.6.1 standard CRD schemas", async () => {
    const out = await synth(eg);
    expect(out.schema.notChecked.filter((k) => k.includes("gateway.networking.k8s.io"))).toEqual([]);
    expect(out.issues.filter((i) => i.rule === "schema" && i.level === "error")).toEqual([]);
    const validators: Record<string, ReturnType<typeof crdValidator>> = {
      Gateway: crdValidator(
        `${GATEWAY_API_DIR}/gateway.networking.k8s.io_gateways.yaml`,
        "gateways.gateway.networking.k8s.io",
        "v1",
      ),
      HTTPRoute: crdValidator(
        `${GATEWAY_API_DIR}/gateway.networking.k8s.io_httproutes.yaml`,
        "httproutes.gateway.networking.k8s.io",
        "v1",
      ),
      GatewayClass: crdValidator(
        `${GATEWAY_API_DIR}/gateway.networking.k8s.io_gatewayclasses.yaml`,
        "gatewayclasses.gateway.networking.k8s.io",
        "v1",
      ),
    };
    let checked = 0;
    for (const [kind, valid] of Object.entries(validators)) {
      for (const o of objectsOf(out, kind)) {
        expect(valid(o), `${kind} ${o.metadata?.name}: ${JSON.stringify(valid.errors)}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(4); // GatewayClass, Gateway, two HTTPRoutes
    // The validator fails a route whose weight is out of range: the check can fail.
    const [route] = objectsOf(out, "HTTPRoute");
    const bad = structuredClone(route!);
    bad.spec.rules[0].backendRefs[0].weight = -1;
    expect(validators.HTTPRoute!(bad)).toBe(false);
  });

  it("install the pinned standard CRDs once, server-side, with an Established gate", async () => {
    const out = await synth({
      ...eg,
      northSouth: { gateway: "cloud-provider-kind", ingress: "cloud-provider-kind" },
      loadBalancer: "cloud-provider-kind",
    });
    const crds = objectsOf(out, "CustomResourceDefinition").map((c) => c.metadata?.name);
    expect(crds.filter((n) => n?.endsWith(".gateway.networking.k8s.io")).sort()).toEqual(
      [...GATEWAY_API_CRD_NAMES].sort(),
    );
    const labJson = JSON.parse(out.files.get("lab.json")!);
    const crdStage = labJson.stages.find((s: { name: string }) => s.name === "crds");
    expect(crdStage.serverSide).toBe(true);
    expect(crdStage.gates).toContainEqual(
      expect.objectContaining({ kind: "crds-established", names: GATEWAY_API_CRD_NAMES }),
    );
    // cloud-provider-kind manages Gateway API here: the safe-upgrades policy would block it (#10 defect 4).
    expect(objectsOf(out, "ValidatingAdmissionPolicy")).toEqual([]);
    expect(errorsOf(out)).toEqual([]);
  });
});

describe("Envoy Gateway on kind", () => {
  it("exposes the Envoy Service on a fixed NodePort that kind maps to the lab's host port", async () => {
    const proxy = envoyProxy();
    const service = proxy.spec.provider.kubernetes.envoyService;
    expect(service).toMatchObject({ type: "NodePort", externalTrafficPolicy: "Cluster" });
    expect(service.patch.value.spec.ports).toEqual([
      { port: APP_GATEWAY.port, nodePort: ENVOY_GATEWAY_NODE_PORT },
    ]);
    const l = resolved({ ...eg, hostPorts: { gatewayHttp: 9080 } });
    const s = l.components.find((c) => c.component.kind === "gateway")!;
    expect(s.component.kindConfig!(s.options, l).extraPortMappings).toEqual([
      { containerPort: ENVOY_GATEWAY_NODE_PORT, hostPort: 9080 },
    ]);
  });

  it("points its GatewayClass at those settings", () => {
    const gc = envoyGatewayClass();
    expect(() => gc.validate()).not.toThrow();
    expect(gc.spec).toMatchObject({
      controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
      parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: ENVOY_PROXY_CONFIG },
    });
  });

  it("renders its chart with pinned images, IfNotPresent, and without the chart's Gateway API policy", () => {
    const values = envoyGatewayValues() as {
      global: { images: Record<string, { image: string; pullPolicy: string }> };
      crds: { enabled: boolean; gatewayAPI: { safeUpgradePolicy: { enabled: boolean } } };
    };
    expect(values.global.images.envoyGateway).toEqual({
      image: ENVOY_GATEWAY_IMAGE,
      pullPolicy: "IfNotPresent",
    });
    expect(values.global.images.envoyProxy).toEqual({ image: ENVOY_PROXY_IMAGE, pullPolicy: "IfNotPresent" });
    expect(values.crds).toEqual({ enabled: true, gatewayAPI: { safeUpgradePolicy: { enabled: false } } });
    expect(JSON.stringify(values)).not.toMatch(/latest|Always/);
    expect(envoyGatewayRender()).toMatchObject({ release: "eg", namespace: "envoy-gateway-system" });
  });

  it("keeps its own CRDs from the render and drops the chart's Gateway API ones", () => {
    const crd = (name: string, group: string): K8sObject => ({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name },
      spec: { group },
    });
    const { crds, platform } = filterEnvoyGatewayRender([
      crd("envoyproxies.gateway.envoyproxy.io", "gateway.envoyproxy.io"),
      crd("httproutes.gateway.networking.k8s.io", "gateway.networking.k8s.io"),
      crd("xbackendtrafficpolicies.gateway.networking.x-k8s.io", "gateway.networking.x-k8s.io"),
      {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: { name: "safe-upgrades.gateway.networking.k8s.io" },
      },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "envoy-gateway", namespace: "envoy-gateway-system" },
      },
    ]);
    expect(crds.map((c) => c.metadata?.name)).toEqual(["envoyproxies.gateway.envoyproxy.io"]);
    expect(platform.map((c) => c.kind)).toEqual(["Deployment"]);
  });

  it("lists the Envoy image it deploys at runtime in the lock", async () => {
    if (!sharedUpstreamPresent)
      return noteSkip("the Envoy Gateway lock check", "../shared/upstream is absent");
    const out = await synth(eg);
    expect(out.lock.images.map((i: { image: string }) => i.image)).toContain(ENVOY_PROXY_IMAGE);
    expect(objectsOf(out, "GatewayClass").map((g) => g.metadata?.name)).toEqual([ENVOY_GATEWAY_CLASS]);
    expect(errorsOf(out)).toEqual([]);
  });
});

/**
 * The chart: Envoy Gateway publishes it only as an OCI artifact on Docker Hub, which these
 * machines cannot reach. Set LABS_ENVOY_GATEWAY_CHART to the published gateway-helm-v1.9.0.tgz
 * (or an unpacked chart folder) to render that; without it, the chart is assembled from the
 * source in Go module github.com/envoyproxy/gateway@v1.9.0 the way the release job packages it
 * (test/support/envoy-gateway-chart.ts, which says what may differ from the published archive).
 */
const published = process.env.LABS_ENVOY_GATEWAY_CHART;
const helm = helmBinary();
const chartWork =
  !published && sharedUpstreamPresent ? mkdtempSync(join(tmpdir(), "labs-eg-chart-")) : undefined;
const moduleChart = chartWork ? await envoyGatewayChartFromModule(chartWork) : undefined;
const chartPath = published ?? (moduleChart && "path" in moduleChart ? moduleChart.path : undefined);
const chartSource = published
  ? `the published archive ${published}`
  : "assembled from its Go module's source, not the published archive";
const chartMissing = !sharedUpstreamPresent
  ? "../shared/upstream is absent"
  : published && !existsSync(published)
    ? `LABS_ENVOY_GATEWAY_CHART=${published} does not exist`
    : moduleChart && "unavailable" in moduleChart
      ? `the chart is not at hand (set LABS_ENVOY_GATEWAY_CHART to the published archive) and cannot be assembled from its Go module: ${moduleChart.unavailable}`
      : "unavailable" in helm
        ? helm.unavailable
        : undefined;
if (chartMissing) {
  noteSkip("rendering the Envoy Gateway chart (values and typed objects are tested above)", chartMissing);
  if (chartWork) rmSync(chartWork, { recursive: true, force: true });
} else if (moduleChart && "path" in moduleChart)
  console.log(`Envoy Gateway's chart: ${moduleChart.provenance}`);

describe.skipIf(!!chartMissing)(`Envoy Gateway's chart (${chartSource})`, () => {
  afterAll(() => {
    if (chartWork) rmSync(chartWork, { recursive: true, force: true });
  });

  it("renders with labs' values into a lab that lints clean", async () => {
    const render = envoyGatewayRender();
    const yaml = await renderChart({
      helm: (helm as { path: string }).path,
      chartPath: chartPath!,
      releaseName: render.release,
      namespace: render.namespace,
      values: render.values,
      kubeVersion: "v1.36.1",
    });
    const out = await synth(eg, (r: ChartRender) => (r.id === render.id ? yaml : ""));
    expect(errorsOf(out)).toEqual([]);
    const crdGroups = out.objects
      .filter((o) => o.object.kind === "CustomResourceDefinition")
      .map((o) => `${o.stage}:${o.object.spec.group}`);
    expect(crdGroups).toContain("crds:gateway.envoyproxy.io");
    // Gateway API CRDs come once, from the pins (standard channel), never from the chart.
    const gatewayApi = out.objects.filter((o) => o.object.spec?.group === "gateway.networking.k8s.io");
    expect(
      gatewayApi.every(
        (o) => o.object.metadata?.annotations?.["gateway.networking.k8s.io/channel"] === "standard",
      ),
    ).toBe(true);
    // labs' EnvoyProxy against the chart's own EnvoyProxy CRD schema.
    const crd = objectsOf(out, "CustomResourceDefinition").find(
      (c) => c.metadata?.name === "envoyproxies.gateway.envoyproxy.io",
    )!;
    const schema = crd.spec.versions.find((v: { name: string }) => v.name === "v1alpha1").schema
      .openAPIV3Schema;
    const valid = new Ajv({ strict: false, allErrors: true, validateFormats: false, logger: false }).compile(
      schema,
    );
    const [proxy] = objectsOf(out, "EnvoyProxy");
    expect(valid(proxy), JSON.stringify(valid.errors)).toBe(true);
    const controller = objectsOf(out, "Deployment").find((d) => d.metadata?.name === "envoy-gateway")!;
    expect(controller.spec.template.spec.containers[0]).toMatchObject({
      image: ENVOY_GATEWAY_IMAGE,
      imagePullPolicy: "IfNotPresent",
    });
  });
});

describe("Cilium's Gateway API", () => {
  const cilium = {
    cni: { name: "cilium", options: { kubeProxyReplacement: true } },
    kubeProxyMode: "none" as const,
    northSouth: { gateway: "cilium" },
    loadBalancer: "cloud-provider-kind",
    apps: APPS,
  };

  it("needs the Cilium CNI, and a load balancer for its Gateway's Service", () => {
    expect(specErrors({ northSouth: { gateway: "cilium" }, apps: APPS })).toEqual([
      expect.stringMatching(
        /^northSouth.gateway: the cilium gateway is Cilium's own Gateway API implementation, but the lab's CNI is kindnet/,
      ),
    ]);
    expect(specErrors({ ...cilium, loadBalancer: undefined })).toEqual([
      expect.stringMatching(/^northSouth.gateway: Cilium exposes each Gateway as a LoadBalancer Service/),
    ]);
    expect(specErrors(cilium)).toEqual([]);
  });

  it("writes the cilium GatewayClass unless Cilium's chart rendered one", async () => {
    if (!sharedUpstreamPresent)
      return noteSkip("the Cilium GatewayClass check", "../shared/upstream is absent");
    const written = await synth(cilium);
    expect(objectsOf(written, "GatewayClass")).toEqual([
      expect.objectContaining({
        spec: expect.objectContaining({ controllerName: "io.cilium/gateway-controller" }),
      }),
    ]);
    expect(objectsOf(written, "Gateway")[0]!.spec.gatewayClassName).toBe(CILIUM_GATEWAY_CLASS);
    const fromChart = stringify({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: CILIUM_GATEWAY_CLASS },
      spec: { controllerName: "io.cilium/gateway-controller" },
    });
    const rendered = await synth(cilium, (r) => (r.id === "cilium" ? fromChart : ""));
    const classes = rendered.objects.filter((o) => o.object.kind === "GatewayClass");
    expect(classes.map((c) => c.stage)).toEqual(["cni"]);
    expect(errorsOf(rendered)).toEqual([]);
  });
});

describe("cloud-provider-kind's Gateway API", () => {
  it("needs cloud-provider-kind running as the load balancer", () => {
    expect(specErrors({ northSouth: { gateway: "cloud-provider-kind" }, apps: APPS })).toEqual([
      expect.stringMatching(
        /^northSouth.gateway: cloud-provider-kind's Gateway API runs inside cloud-provider-kind/,
      ),
    ]);
  });

  it("waits for its class to be Accepted and the Gateway to be Programmed", () => {
    const l = resolved({
      northSouth: { gateway: "cloud-provider-kind" },
      loadBalancer: "cloud-provider-kind",
      apps: APPS,
    });
    const s = l.components.find((c) => c.component.kind === "gateway")!;
    const gates = s.component.gates!(s.options, l).map((g) =>
      `${g.stage} ${g.kind} ${"resource" in g ? g.resource : ""} ${"condition" in g ? g.condition : ""}`.trim(),
    );
    expect(gates).toEqual([
      "crds crds-established",
      "platform condition gatewayclass/cloud-provider-kind Accepted",
      "apps condition gateway/labs-gateway Programmed",
    ]);
  });
});
