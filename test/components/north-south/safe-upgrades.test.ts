/**
 * #10 defect 4: Gateway API's safe-upgrades ValidatingAdmissionPolicy denies the v1.5.0 CRDs that
 * cloud-provider-kind v0.11.1 creates when it starts, and admission runs before AlreadyExists,
 * so its controllers never start. Labs leave the policy out where cloud-provider-kind manages
 * Gateway API; lint refuses a lab whose policy blocks one of its own controllers.
 */
import { ApiObject, type ApiObjectProps } from "cdk8s";
import { describe, expect, it } from "vitest";
import { gatewayApiPins } from "../../../lib/components/gateway/gateway-api-crds.ts";
import type { K8sObject } from "../../../lib/model/k8s-object.ts";
import { synthLab } from "../../../lib/synth/synth.ts";
import { KNOWN_POLICIES } from "../../../lib/validate/admission.ts";
import { noteSkip, sharedUpstreamPresent, upstreamObjects } from "../support/upstream.ts";
import { emptyRender, lab, objectsOf, resolved, sharedReader, synth } from "./support.ts";

const POLICY = "safe-upgrades.gateway.networking.k8s.io";
const VAP_FILE = "gateway-api/v1.6.1/standard/gateway.networking.k8s.io_vap_safeupgrades.yaml";
const crd = (version: string | undefined): K8sObject => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: {
    name: "gateways.gateway.networking.k8s.io",
    ...(version ? { annotations: { "gateway.networking.k8s.io/bundle-version": version } } : {}),
  },
  spec: { group: "gateway.networking.k8s.io" },
});

const cpkLab = {
  apps: ["echo", "echo-v2"],
  northSouth: { gateway: "cloud-provider-kind", ingress: "cloud-provider-kind" },
  loadBalancer: "cloud-provider-kind",
};
const egLab = {
  apps: ["echo", "echo-v2"],
  northSouth: { gateway: "envoy-gateway" },
  loadBalancer: "cloud-provider-kind",
};

describe("the safe-upgrades policy as labs reads it", () => {
  const policy = KNOWN_POLICIES.find((p) => p.name === POLICY)!;
  it("denies Gateway API CRDs of bundles v1.0 to v1.5 and v0, admits v1.6 and release candidates", () => {
    expect(policy.denies(crd("v1.5.0"))).toMatch(/bundle-version v1.5.0 is before v1.6/);
    expect(policy.denies(crd("v0.8.1"))).toBeDefined();
    expect(policy.denies(crd(undefined))).toMatch(/no gateway.networking.k8s.io\/bundle-version/);
    expect(policy.denies(crd("v1.6.1"))).toBeUndefined();
    expect(policy.denies(crd("v1.5.0-rc.1"))).toBeUndefined();
    expect(policy.denies({ ...crd("v1.5.0"), spec: { group: "example.com" } })).toBeUndefined();
  });

  it.skipIf(!sharedUpstreamPresent)("mirrors the expressions of the real v1.6.1 policy", () => {
    const [vap] = upstreamObjects(VAP_FILE);
    const cel = vap!.spec.validations.map((v: { expression: string }) => v.expression).join("\n");
    expect(cel).toContain(
      "!matches(object.metadata.annotations['gateway.networking.k8s.io/bundle-version'], 'v1.[0-5].\\\\d+')",
    );
    expect(cel).toContain(
      "matches(object.metadata.annotations['gateway.networking.k8s.io/bundle-version'], '-(rc)')",
    );
    expect(vap!.spec.matchConstraints.resourceRules[0].operations).toEqual(["CREATE", "UPDATE"]);
  });
});

describe("which labs install the policy", () => {
  it("leaves it out where cloud-provider-kind manages Gateway API, keeps it elsewhere", () => {
    const ids = (input: object) => gatewayApiPins(resolved(input)).map((p) => p.id);
    expect(ids(cpkLab)).not.toContain("gateway-api/standard/vap_safeupgrades");
    expect(ids({ ...cpkLab, northSouth: { ingress: "cloud-provider-kind" } })).not.toContain(
      "gateway-api/standard/vap_safeupgrades",
    );
    // Envoy Gateway (or Cilium) with cloud-provider-kind as load balancer only: its gateway channel
    // is off, it creates no CRDs, and the policy stays.
    expect(ids(egLab)).toContain("gateway-api/standard/vap_safeupgrades");
  });
});

if (!sharedUpstreamPresent)
  noteSkip("synthesized labs with the safe-upgrades policy", "../shared/upstream is absent");

describe.skipIf(!sharedUpstreamPresent)("synthesized labs and the policy", () => {
  it("writes no policy into a cloud-provider-kind Gateway lab, and lint finds nothing", async () => {
    const out = await synth(cpkLab);
    expect(objectsOf(out, "ValidatingAdmissionPolicy")).toEqual([]);
    expect(out.lock.artifacts.map((a) => a.id)).not.toContain("gateway-api/standard/vap_safeupgrades");
    expect(out.issues.filter((i) => i.level === "error")).toEqual([]);
  });

  it("keeps the policy for Envoy Gateway behind cloud-provider-kind's load balancer", async () => {
    const out = await synth(egLab);
    expect(objectsOf(out, "ValidatingAdmissionPolicy").map((v) => v.metadata?.name)).toEqual([POLICY]);
    expect(out.issues.filter((i) => i.rule === "admission-blocks-controller")).toEqual([]);
  });

  it("refuses the policy next to cloud-provider-kind's Gateway API, naming the object, the rule and the fix", async () => {
    const out = await synthLab(lab(cpkLab), {
      readArtifact: sharedReader(),
      readRenderedChart: emptyRender,
      allowErrors: true,
      // The defect as it was: the policy installed with the CRDs.
      extend: (l) =>
        upstreamObjects(VAP_FILE).forEach((o, i) => {
          new ApiObject(l.stages.crds, `vap-${i}`, o as ApiObjectProps);
        }),
    });
    const issues = out.issues.filter((i) => i.rule === "admission-blocks-controller");
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      level: "error",
      stage: "crds",
      object: `ValidatingAdmissionPolicy ${POLICY}`,
      fix: "leave the policy out of labs where cloud-provider-kind v0.11.1 creates those objects (ensureGatewayApiCrds does so where cloud-provider-kind manages Gateway API)",
    });
    expect(issues[0]!.message).toContain(
      "refuses what cloud-provider-kind v0.11.1 creates when it starts (backendtlspolicies.gateway.networking.k8s.io, gatewayclasses.gateway.networking.k8s.io",
    );
    expect(issues[0]!.message).toContain("its controllers never start");
  });
});
