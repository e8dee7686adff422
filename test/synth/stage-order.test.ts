/**
 * #10 defect 1: every stage file lists its Namespaces (then CRDs) before the objects that live in
 * them, because `kubectl apply` applies a file in order; and lint refuses any object the API
 * server would see before its Namespace or its CRD.
 */
import { ApiObject, App } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { findLabs } from "../../lib/catalogue.ts";
import { LabError } from "../../lib/model/errors.ts";
import type { K8sObject } from "../../lib/model/k8s-object.ts";
import { Lab } from "../../lib/synth/lab.ts";
import { orderForApply } from "../../lib/synth/stage-order.ts";
import { synthLab } from "../../lib/synth/synth.ts";

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJSON() as K8sObject);
const obj = (kind: string, name: string, namespace?: string): K8sObject => ({
  apiVersion: kind === "CustomResourceDefinition" ? "apiextensions.k8s.io/v1" : "v1",
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

/** Index of the first object in `list` that lives in `ns`, and of the Namespace `ns`. */
function positions(list: K8sObject[], ns: string) {
  return {
    namespace: list.findIndex((o) => o.kind === "Namespace" && o.metadata?.name === ns),
    firstInside: list.findIndex((o) => o.metadata?.namespace === ns),
  };
}

describe("stage order", () => {
  it("puts Namespaces, then CRDs, first and keeps the order of everything else", () => {
    const input = [
      obj("ConfigMap", "a", "x"),
      obj("CustomResourceDefinition", "widgets.example.com"),
      obj("Namespace", "x"),
      obj("Service", "b", "x"),
      obj("Namespace", "y"),
    ];
    expect(orderForApply(input).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      "Namespace/x",
      "Namespace/y",
      "CustomResourceDefinition/widgets.example.com",
      "ConfigMap/a",
      "Service/b",
    ]);
  });

  it("writes the probes stage with labs-probes and labs-netpol before anything in them", async () => {
    const [entry] = await findLabs(["kindnet-iptables"]);
    const out = await synthLab(entry!.spec);
    const probes = docs(out.files.get("0004-probes.k8s.yaml")!);
    for (const ns of ["labs-probes", "labs-netpol"]) {
      const p = positions(probes, ns);
      expect(p.namespace, ns).toBeGreaterThanOrEqual(0);
      expect(p.firstInside, ns).toBeGreaterThan(p.namespace);
    }
    // Every stage file: no object before a Namespace or CRD written after it.
    for (const [name, text] of out.files) {
      if (!name.endsWith(".k8s.yaml")) continue;
      const list = docs(text);
      const lastFirst = list
        .map((o) => ["Namespace", "CustomResourceDefinition"].includes(o.kind))
        .lastIndexOf(true);
      const firstOther = list.findIndex((o) => !["Namespace", "CustomResourceDefinition"].includes(o.kind));
      if (lastFirst >= 0 && firstOther >= 0) expect(lastFirst, name).toBeLessThan(firstOther);
    }
    expect(out.issues.filter((i) => i.rule === "apply-order")).toEqual([]);
  });

  it("orders the charts `cdk8s synth` writes the same way (the library path)", () => {
    const app = new App({ outdir: "unused" });
    const lab = new Lab(app, "demo", { spec: { name: "demo", description: "ordering" } });
    const probes = lab.stages.probes.toJson() as K8sObject[];
    expect(probes[0]).toMatchObject({ kind: "Namespace" });
    expect(positions(probes, "labs-probes").firstInside).toBeGreaterThan(
      positions(probes, "labs-probes").namespace,
    );
  });

  it("refuses an object applied in a stage before its Namespace, naming the object, the rule and the fix", async () => {
    const [entry] = await findLabs(["kindnet-iptables"]);
    const err = await synthLab(entry!.spec, {
      extend: (lab) => {
        new ApiObject(lab.stages.apps, "early", obj("ConfigMap", "early", "labs-probes"));
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).message).toContain(
      'error: [apply-order] apps: ConfigMap labs-probes/early: is applied before Namespace labs-probes (stage probes): the API server refuses it with namespaces "labs-probes" not found (fix: create Namespace labs-probes in stage apps or an earlier one (ensureNamespace), or move this object to stage probes or later)',
    );
  });

  it("refuses a custom resource applied before the stage of its CRD", async () => {
    const [entry] = await findLabs(["kindnet-iptables"]);
    const out = await synthLab(entry!.spec, {
      allowErrors: true,
      extend: (lab) => {
        new ApiObject(lab.stages.cni, "widget", {
          apiVersion: "example.com/v1",
          kind: "Widget",
          metadata: { name: "w" },
        });
        new ApiObject(lab.stages.platform, "widget-crd", {
          ...obj("CustomResourceDefinition", "widgets.example.com"),
          spec: {
            group: "example.com",
            scope: "Cluster",
            names: { kind: "Widget", plural: "widgets" },
            versions: [
              { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
            ],
          },
        });
      },
    });
    expect(out.issues.filter((i) => i.rule === "apply-order")).toEqual([
      expect.objectContaining({
        level: "error",
        stage: "cni",
        object: "Widget w",
        message: expect.stringContaining("before the CRD widgets.example.com"),
        fix: "put CRD widgets.example.com in stage crds (gated on Established) and this object in a later stage",
      }),
    ]);
  });
});
