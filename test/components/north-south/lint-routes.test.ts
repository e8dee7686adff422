import { describe, expect, it } from "vitest";
import { routeBackends } from "../../../lib/components/apps/route-backends.ts";
import { appGateway, appRoutes } from "../../../lib/components/gateway/app-routes.ts";
import { checkLab } from "../../../lib/components/resolve.ts";
import type { K8sObject } from "../../../lib/model/k8s-object.ts";
import { parseLabSpec } from "../../../lib/model/lab-spec.ts";
import { lintObjects } from "../../../lib/validate/lint.ts";
import type { LocatedObject } from "../../../lib/validate/object-ref.ts";
import { lab, resolved } from "./support.ts";

const at = (object: K8sObject): LocatedObject => ({ stage: "apps", object, origin: "labs" });
const json = (m: { toJSON(): unknown }) => m.toJSON() as K8sObject;

const b = routeBackends(resolved({ apps: ["echo", "echo-v2"] }));
const ns: K8sObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: b.namespace } };
const service = (name: string, port = 80): K8sObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: b.namespace },
  spec: { ports: [{ name: "http", port }] },
});
const gatewayClass: K8sObject = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "c" },
  spec: { controllerName: "example.com/c" },
};

function lint(objects: K8sObject[]): string[] {
  return lintObjects(objects.map(at))
    .filter((i) => i.level === "error" && (i.rule.startsWith("route") || i.rule.endsWith("-class")))
    .map((i) => `${i.rule} ${i.object}: ${i.message}`);
}

const routes = appRoutes(b).map(json);
const gateway = json(appGateway("c", b.namespace));
const complete = [ns, gatewayClass, gateway, service("echo"), service("echo-v2"), ...routes];

describe("lint over the apps' routes", () => {
  it("passes when every backend, parent and class exists", () => {
    expect(lint(complete)).toEqual([]);
  });

  it("catches a route to a missing Service", () => {
    const withoutV2 = complete.filter((o) => o.metadata?.name !== "echo-v2");
    expect(lint(withoutV2)).toEqual([
      "route-backend HTTPRoute demo/echo: backend Service demo/echo-v2 does not exist in this lab",
      "route-backend HTTPRoute demo/echo: backend Service demo/echo-v2 does not exist in this lab",
      "route-backend HTTPRoute demo/echo-split: backend Service demo/echo-v2 does not exist in this lab",
    ]);
  });

  it("catches a route to a port the Service does not have, or to no port at all", () => {
    const moved = complete.map((o) =>
      o.metadata?.name === "echo" && o.kind === "Service" ? service("echo", 8080) : o,
    );
    expect(lint(moved)).toEqual([
      "route-backend HTTPRoute demo/echo: backend Service demo/echo has no port 80 (it has http:8080)",
      "route-backend HTTPRoute demo/echo-split: backend Service demo/echo has no port 80 (it has http:8080)",
    ]);
    const portless = structuredClone(routes[1]!);
    delete portless.spec.rules[0].backendRefs[0].port;
    expect(lint([...complete.filter((o) => o.metadata?.name !== "echo-split"), portless])).toEqual([
      "route-backend HTTPRoute demo/echo-split: backendRef to Service echo has no port (required for Services)",
    ]);
  });

  it("catches a route whose Gateway or listener is missing, and a Gateway without its class", () => {
    const noGateway = complete.filter((o) => o.kind !== "Gateway");
    expect(lint(noGateway)).toEqual([
      "route-parent HTTPRoute demo/echo: parent Gateway demo/labs-gateway does not exist in this lab",
      "route-parent HTTPRoute demo/echo-split: parent Gateway demo/labs-gateway does not exist in this lab",
    ]);
    const renamed = structuredClone(gateway);
    renamed.spec.listeners[0].name = "web";
    expect(lint(complete.map((o) => (o.kind === "Gateway" ? renamed : o)))).toContain(
      "route-parent HTTPRoute demo/echo: parent Gateway demo/labs-gateway has no listener http (it has web)",
    );
    expect(lint(complete.filter((o) => o.kind !== "GatewayClass"))).toEqual([
      "gateway-class Gateway demo/labs-gateway: GatewayClass c does not exist in this lab: no controller would program this Gateway",
    ]);
  });

  it("catches an Ingress naming a class the lab does not have", () => {
    const ingress: K8sObject = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "i", namespace: b.namespace },
      spec: { ingressClassName: "nginx", rules: [] },
    };
    expect(lint([ns, ingress])).toEqual([
      "ingress-class Ingress demo/i: IngressClass nginx does not exist in this lab: no controller would serve this Ingress",
    ]);
  });

  it("refuses, before synth, a gateway whose apps are missing or apart", () => {
    const errors = (input: object) =>
      checkLab(parseLabSpec(lab(input)))
        .findings.filter((f) => f.level === "error")
        .map((f) => `${f.path}: ${f.message}`);
    expect(errors({ northSouth: { gateway: "envoy-gateway" } })).toEqual([
      "northSouth.gateway: Envoy Gateway routes traffic to the echo and echo-v2 apps, but the lab lacks echo-v2",
    ]);
    expect(
      errors({
        northSouth: { gateway: "envoy-gateway" },
        apps: ["echo", { name: "echo-v2", options: { namespace: "other" } }],
      }),
    ).toEqual([
      'northSouth.gateway: Envoy Gateway needs echo and echo-v2 in one namespace (echo is in "demo", echo-v2 in "other")',
    ]);
  });
});
