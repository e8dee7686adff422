import { describe, expect, it } from "vitest";
import {
  AGNHOST_IMAGE,
  ECHO,
  ECHO_EXTERNAL,
  ECHO_NODE_PORT_HTTP,
  ECHO_NODE_PORT_UDP,
  ECHO_V2,
  podFqdn,
  serviceFqdn,
  VERSION_LABEL,
  WEB,
} from "../../lib/components/apps/names.ts";
import type { K8sObject } from "../../lib/model/k8s-object.ts";
import { type SynthOutput, synthLab } from "../../lib/synth/synth.ts";
import { containersOf, podTemplateOf } from "../../lib/validate/pod-templates.ts";

/** The sample apps need no upstream file: they synthesize anywhere. */
async function apps(extra: object = {}): Promise<SynthOutput> {
  return synthLab({
    name: "apps-test",
    description: "the sample apps",
    apps: ["echo", "echo-v2", "web", "external-name"],
    ...extra,
  });
}
const find = (out: SynthOutput, kind: string, name: string): K8sObject => {
  const o = out.objects.find((x) => x.object.kind === kind && x.object.metadata?.name === name);
  if (!o) throw new Error(`${kind} ${name} not synthesized`);
  return o.object;
};

describe("the sample apps", () => {
  it("synthesize with no lint or schema error, every object in the apps stage", async () => {
    const out = await apps();
    expect(out.issues.filter((i) => i.level !== "note")).toEqual([]);
    const appObjects = out.objects.filter((o) => o.object.metadata?.namespace === "demo");
    expect(appObjects.length).toBeGreaterThan(10);
    expect(new Set(appObjects.map((o) => o.stage))).toEqual(new Set(["apps"]));
  });

  it("run pinned agnhost with IfNotPresent, small requests and a memory limit", async () => {
    const out = await apps();
    const workloads = out.objects
      .map((o) => o.object)
      .filter((o) => podTemplateOf(o) && o.metadata?.namespace === "demo");
    expect(workloads.map((w) => `${w.kind}/${w.metadata?.name}`)).toEqual([
      "Deployment/echo",
      "Deployment/echo-v2",
      "StatefulSet/web",
    ]);
    for (const w of workloads) {
      for (const c of containersOf(w)) {
        expect(c.image).toBe(AGNHOST_IMAGE);
        expect(c.imagePullPolicy).toBe("IfNotPresent");
        expect(c.resources?.requests).toEqual({ cpu: "10m", memory: "16Mi" });
      }
    }
  });

  it("give echo every Service type, with fixed nodePorts and both traffic policies", async () => {
    const out = await apps();
    const svc = (name: string) => find(out, "Service", name).spec;
    expect(svc(ECHO.services.clusterIP).type).toBe("ClusterIP");
    expect(svc(ECHO.services.headless).clusterIP).toBe("None");
    const nodePort = svc(ECHO.services.nodePort);
    expect(nodePort.type).toBe("NodePort");
    expect(
      nodePort.ports.map((p: { name: string; nodePort: number; protocol: string }) => [
        p.name,
        p.protocol,
        p.nodePort,
      ]),
    ).toEqual([
      ["http", "TCP", ECHO_NODE_PORT_HTTP],
      ["udp", "UDP", ECHO_NODE_PORT_UDP],
    ]);
    expect(svc(ECHO.services.loadBalancer)).toMatchObject({
      type: "LoadBalancer",
      externalTrafficPolicy: "Cluster",
    });
    expect(svc(ECHO.services.loadBalancerLocal)).toMatchObject({
      type: "LoadBalancer",
      externalTrafficPolicy: "Local",
    });
    for (const name of Object.values(ECHO.services)) expect(svc(name).selector).toEqual({ app: ECHO.app });
  });

  it("label echo and echo-v2 pods with their version, and let v2 answer every path with its name", async () => {
    const out = await apps();
    const echoPod = podTemplateOf(find(out, "Deployment", ECHO.deployment))!;
    const v2Pod = podTemplateOf(find(out, "Deployment", ECHO_V2.deployment))!;
    expect(echoPod.metadata?.labels).toMatchObject({ app: "echo", [VERSION_LABEL]: "v1" });
    expect(v2Pod.metadata?.labels).toMatchObject({ app: "echo-v2", [VERSION_LABEL]: "v2" });
    expect(v2Pod.spec.containers[0].args).toContain("--http-override=/hostname");
    expect(echoPod.spec.containers[0].args).not.toContain("--http-override=/hostname");
    expect(find(out, "Service", ECHO_V2.service).spec.selector).toEqual({ app: "echo-v2" });
  });

  it("run web as a StatefulSet governed by its headless Service", async () => {
    const out = await apps();
    const sts = find(out, "StatefulSet", WEB.statefulSet);
    const svc = find(out, "Service", WEB.service);
    expect(sts.spec.serviceName).toBe(svc.metadata?.name);
    expect(svc.spec.clusterIP).toBe("None");
    expect(svc.spec.selector).toEqual(sts.spec.selector.matchLabels);
    expect(sts.spec.replicas).toBe(2);
    // netexec reports /healthz ready only while its UDP server runs, so UDP must stay on.
    const container = sts.spec.template.spec.containers[0];
    expect(container.readinessProbe.httpGet.path).toBe("/healthz");
    expect(container.args).not.toContain("--udp-port=-1");
    expect(podFqdn("web-0", WEB.service, "demo")).toBe("web-0.web.demo.svc.cluster.local");
  });

  it("make echo-external a CNAME to echo unless the lab names a target", async () => {
    const out = await apps();
    expect(find(out, "Service", ECHO_EXTERNAL.service).spec).toEqual({
      type: "ExternalName",
      externalName: serviceFqdn(ECHO.services.clusterIP, "demo"),
    });
    const custom = await apps({
      apps: ["echo", { name: "external-name", options: { target: "example.com" } }],
    });
    expect(find(custom, "Service", ECHO_EXTERNAL.service).spec.externalName).toBe("example.com");
  });

  it("follow the namespace option", async () => {
    const out = await apps({
      apps: [
        { name: "echo", options: { namespace: "shop" } },
        { name: "web", options: { namespace: "shop", replicas: 3 } },
      ],
    });
    expect(find(out, "Deployment", "echo").metadata?.namespace).toBe("shop");
    expect(find(out, "StatefulSet", "web").spec.replicas).toBe(3);
    expect(
      out.objects
        .map((o) => o.object)
        .filter((o) => o.kind === "Namespace")
        .map((o) => o.metadata?.name),
    ).toContain("shop");
  });

  it("wait for each workload before the next stage", async () => {
    const out = await apps();
    const gates = JSON.parse(out.files.get("lab.json")!).stages.find(
      (s: { name: string }) => s.name === "apps",
    ).gates;
    expect(gates.map((g: { kind: string; name: string }) => `${g.kind} ${g.name}`)).toEqual(
      expect.arrayContaining([
        "deployment-available echo",
        "deployment-available echo-v2",
        "statefulset-ready web",
      ]),
    );
  });
});
