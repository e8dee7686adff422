/**
 * Deliberately broken labs: a real catalogue lab's synthesized files with one defect written in,
 * the way a component or synth bug would write it. The defect goes into the stage files after
 * synth, so the API server (not labs' own ordering or lint) is what must catch it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Gate } from "../../lib/components/component.ts";
import { stringifyYamlDocuments } from "../../lib/model/yaml.ts";
import { writeJsonAtomic } from "../../lib/runtime/state.ts";
import type { PreparedHarnessLab } from "./lab-cluster.ts";
import type { K8sObject } from "./manifests.ts";
import { stageObjects } from "./manifests.ts";

export interface BrokenLab {
  id: string;
  title: string;
  /** The base lab from the catalogue. */
  base: string;
  /** Writes the defect into the prepared lab. */
  breakIt(lab: PreparedHarnessLab): void;
  /** The stage the failure must name. */
  stage: string;
  /** Text the failure must contain: the object and what the API server said. */
  expect: RegExp[];
}

/** Rewrites one stage file (and its object count in lab.json) through `edit`. */
export function editStage(
  lab: PreparedHarnessLab,
  stageName: string,
  edit: (objects: K8sObject[]) => K8sObject[],
  extraGates: Gate[] = [],
): void {
  const labJson = lab.state.readLabJson();
  const stage = labJson.stages.find((s) => s.name === stageName);
  if (!stage) throw new Error(`${lab.name} has no stage ${stageName}`);
  const objects = edit(stageObjects(lab.state.synthDir, stage));
  writeFileSync(join(lab.state.synthDir, stage.file), stringifyYamlDocuments(objects));
  stage.objects = objects.length;
  stage.gates = [...stage.gates, ...extraGates];
  writeJsonAtomic(join(lab.state.synthDir, "lab.json"), labJson);
  lab.labJson = labJson;
}

const WIDGET_CRD: K8sObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.labs.example" },
  spec: {
    group: "labs.example",
    names: { kind: "Widget", plural: "widgets", singular: "widget", listKind: "WidgetList" },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: { spec: { type: "object", properties: { size: { type: "integer" } } } },
          },
        },
      },
    ],
  },
};

export const BROKEN_LABS: BrokenLab[] = [
  {
    id: "namespace-after-object",
    title: "an object before its Namespace",
    base: "kindnet-iptables",
    stage: "apps",
    breakIt: (lab) =>
      editStage(lab, "apps", (objects) => [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "greeting", namespace: "late" },
          data: { hello: "world" },
        },
        ...objects,
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "late" } },
      ]),
    expect: [/ConfigMap late\/greeting/, /namespaces "late" not found/],
  },
  {
    id: "custom-resource-before-crd",
    title: "a custom resource before its CRD",
    base: "kindnet-iptables",
    stage: "apps",
    breakIt: (lab) => {
      editStage(lab, "apps", (objects) => [
        ...objects,
        {
          apiVersion: "labs.example/v1",
          kind: "Widget",
          metadata: { name: "gizmo", namespace: "demo" },
          spec: { size: 3 },
        },
      ]);
      // The CRD arrives one stage too late.
      editStage(lab, "probes", (objects) => [WIDGET_CRD, ...objects]);
    },
    expect: [/Widget demo\/gizmo/, /no matches for kind "Widget"/],
  },
  {
    id: "node-selector-matches-no-node",
    title: "a pod whose nodeSelector matches no node",
    base: "kindnet-iptables",
    stage: "apps",
    breakIt: (lab) =>
      editStage(
        lab,
        "apps",
        (objects) => [
          ...objects,
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "pinned", namespace: "demo" },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: "pinned" } },
              template: {
                metadata: { labels: { app: "pinned" } },
                spec: {
                  // kindnet-iptables labels no node ingress-ready (only ingress-nginx labs do).
                  nodeSelector: { "ingress-ready": "true" },
                  containers: [
                    {
                      name: "pause",
                      image: "registry.k8s.io/pause:3.10.2",
                      resources: { requests: { cpu: "10m", memory: "16Mi" } },
                    },
                  ],
                },
              },
            },
          },
        ],
        [
          {
            stage: "apps",
            kind: "deployment-available",
            namespace: "demo",
            name: "pinned",
            timeoutSeconds: 20,
            description: "every pinned replica is Available",
          },
        ],
      ),
    expect: [
      /deployment-available demo\/pinned/,
      /didn't match Pod's node affinity\/selector/,
      /Pod demo\/pinned-/,
    ],
  },
  {
    id: "gateway-api-cel",
    title: "a Gateway API object that breaks a CEL rule of its CRD",
    base: "kindnet-cloud-provider-kind",
    stage: "apps",
    breakIt: (lab) =>
      editStage(lab, "apps", (objects) => {
        const gateway = objects.find((o) => o.kind === "Gateway");
        if (!gateway) throw new Error(`${lab.name} has no Gateway in its apps stage`);
        return [
          ...objects,
          {
            apiVersion: "gateway.networking.k8s.io/v1",
            kind: "HTTPRoute",
            metadata: { name: "mixed-filter", namespace: gateway.metadata?.namespace },
            spec: {
              parentRefs: [{ name: gateway.metadata?.name }],
              rules: [
                {
                  // A RequestHeaderModifier filter that also carries a urlRewrite: the CRD's CEL
                  // rule says urlRewrite must be nil unless the type is URLRewrite.
                  filters: [
                    {
                      type: "RequestHeaderModifier",
                      requestHeaderModifier: { set: [{ name: "X-Lab", value: "broken" }] },
                      urlRewrite: { hostname: "elsewhere.example" },
                    },
                  ],
                  backendRefs: [{ name: "echo", port: 80 }],
                },
              ],
            },
          },
        ];
      }),
    expect: [
      /HTTPRoute demo\/mixed-filter/,
      /filter\.urlRewrite must be nil if the filter\.type is not URLRewrite/,
    ],
  },
];

/** The text of a stage file, for messages. */
export function stageText(lab: PreparedHarnessLab, stage: string): string {
  const file = lab.labJson.stages.find((s) => s.name === stage)?.file;
  return file ? readFileSync(join(lab.state.synthDir, file), "utf8") : "";
}
