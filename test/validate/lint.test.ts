import { describe, expect, it } from "vitest";
import type { K8sObject } from "../../lib/model/k8s-object.ts";
import { lintObjects } from "../../lib/validate/lint.ts";
import type { LocatedObject } from "../../lib/validate/object-ref.ts";

const at = (object: K8sObject, origin: "labs" | "upstream" = "labs"): LocatedObject => ({
  stage: "apps",
  object,
  origin,
});
const ns = (name: string) => at({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const deployment = (labels: Record<string, string>, container: object = {}) =>
  at({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "demo" },
    spec: {
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: "c",
              image: "nginx:1.27",
              resources: { requests: { cpu: "10m", memory: "8Mi" } },
              ...container,
            },
          ],
        },
      },
    },
  });
const service = (name: string, selector: Record<string, string>, ports = [{ name: "http", port: 80 }]) =>
  at({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "demo" }, spec: { selector, ports } });

const rules = (objects: LocatedObject[]) =>
  lintObjects(objects).map((i) => `${i.level} ${i.rule}: ${i.object}: ${i.message}`);

describe("cross-reference lint", () => {
  it("passes a consistent set of objects", () => {
    expect(rules([ns("demo"), deployment({ app: "web" }), service("web", { app: "web" })])).toEqual([]);
  });

  it("finds a Service whose selector matches no pod template", () => {
    expect(rules([ns("demo"), deployment({ app: "web" }), service("web", { app: "wbe" })])).toEqual([
      "error service-selector: Service demo/web: selector app=wbe matches no pod template in namespace demo",
    ]);
  });

  it("finds a namespace that is used but never created", () => {
    expect(rules([deployment({ app: "web" }), service("web", { app: "web" })])).toContain(
      'error namespace: Deployment demo/web: namespace "demo" is used but never created in this lab',
    );
  });

  it("finds duplicates by group, kind, namespace and name", () => {
    expect(rules([ns("demo"), ns("demo")])).toEqual([
      "error duplicate: Namespace demo: defined twice (first in stage apps)",
    ]);
  });

  it.each([
    ["nginx:latest", /uses nginx:latest: pin a version/],
    ["nginx", /without a tag \(means :latest\)/],
    ["registry.local:5000/nginx", /without a tag/],
  ])("refuses the unpinned image %s", (image, pattern) => {
    expect(rules([ns("demo"), deployment({ app: "web" }, { image })]).join("\n")).toMatch(pattern);
  });

  it("accepts an image with a registry port and a tag, or a digest", () => {
    expect(
      rules([ns("demo"), deployment({ app: "web" }, { image: "registry.local:5000/nginx:1.27" })]),
    ).toEqual([]);
    expect(
      rules([ns("demo"), deployment({ app: "web" }, { image: `nginx@sha256:${"a".repeat(64)}` })]),
    ).toEqual([]);
  });

  it("refuses imagePullPolicy Always", () => {
    expect(rules([ns("demo"), deployment({ app: "web" }, { imagePullPolicy: "Always" })]).join()).toMatch(
      /imagePullPolicy Always/,
    );
  });

  it("requires resource requests on labs' own containers, and only warns for upstream ones", () => {
    const bare = { resources: {} };
    expect(rules([ns("demo"), deployment({ app: "web" }, bare)])).toEqual([
      "error requests: Deployment demo/web: container c sets no cpu request",
    ]);
    const upstream = { ...deployment({ app: "web" }, bare), origin: "upstream" as const };
    expect(rules([ns("demo"), upstream])).toEqual([
      "warning requests: Deployment demo/web: container c sets no cpu request",
    ]);
  });

  it("checks Ingress backends name an existing Service and port", () => {
    const ingress = at({
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "web", namespace: "demo" },
      spec: {
        rules: [
          {
            http: {
              paths: [
                {
                  path: "/a",
                  pathType: "Prefix",
                  backend: { service: { name: "web", port: { number: 8080 } } },
                },
                {
                  path: "/b",
                  pathType: "Prefix",
                  backend: { service: { name: "gone", port: { name: "http" } } },
                },
              ],
            },
          },
        ],
      },
    });
    expect(rules([ns("demo"), deployment({ app: "web" }), service("web", { app: "web" }), ingress])).toEqual([
      "error ingress-backend: Ingress demo/web: backend Service demo/web has no port 8080 (it has http:80)",
      "error ingress-backend: Ingress demo/web: backend Service demo/gone does not exist in this lab",
    ]);
  });

  it("checks HTTPRoute backendRefs, across namespaces too", () => {
    const route = at({
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "r", namespace: "demo" },
      spec: {
        rules: [
          {
            backendRefs: [
              { name: "web", port: 80 },
              { name: "web", namespace: "other", port: 80 },
              { name: "web", port: 81 },
            ],
          },
        ],
      },
    });
    expect(rules([ns("demo"), deployment({ app: "web" }), service("web", { app: "web" }), route])).toEqual([
      "error route-backend: HTTPRoute demo/r: backend Service other/web does not exist in this lab",
      "error route-backend: HTTPRoute demo/r: backend Service demo/web has no port 81 (it has http:80)",
    ]);
  });

  it("knows cluster-scoped kinds, including those a lab's own CRDs declare", () => {
    const crd = at({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "installations.operator.tigera.io" },
      spec: { scope: "Cluster", names: { kind: "Installation" } },
    });
    const installation = at({
      apiVersion: "operator.tigera.io/v1",
      kind: "Installation",
      metadata: { name: "default" },
    });
    expect(rules([crd, installation])).toEqual([]);
    expect(rules([installation])).toEqual([
      "warning namespace: Installation default: has no namespace: it lands in whatever namespace kubectl's context names",
    ]);
  });
});
