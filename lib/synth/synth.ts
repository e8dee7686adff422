import { accessSync, constants, existsSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ApiObject, App } from "cdk8s";
import type { ArtifactReader, RenderedChartReader } from "../components/component.ts";
import {
  type AnyLab,
  artifactsOf,
  clusterVariablesOf,
  gatesOf,
  inspectionsOf,
  postCreateOf,
  type ResolvedLab,
  runtimeObjectsOf,
  serviceDataplaneOf,
  sideContainersOf,
} from "../components/resolve.ts";
import { ORIGIN_METADATA } from "../components/upstream-manifest.ts";
import { makeDir } from "../files/make-dir.ts";
import { EXIT, LabError } from "../model/errors.ts";
import type { K8sObject } from "../model/k8s-object.ts";
import {
  type HostPathVariable,
  type HostPort,
  LAB_JSON_VERSION,
  type LabJson,
  labJsonSchema,
  STAGES,
  type StageName,
  type StagePlan,
} from "../model/lab-json.ts";
import { stringifyYamlDocuments } from "../model/yaml.ts";
import { PROBER_IMAGE, PROBER_IMAGE_DIGEST } from "../probes/stage/probe-clients.ts";
import { formatIssue, type ObjectIssue } from "../validate/issue.ts";
import { lintObjects } from "../validate/lint.ts";
import { identity, type LocatedObject } from "../validate/object-ref.ts";
import { validateSchemas } from "../validate/schema.ts";
import { imagesOf } from "./images.ts";
import { Lab } from "./lab.ts";
import { buildLock, type LabLock } from "./lock.ts";

export interface SynthOptions {
  /** Reads pinned upstream files from the cache (synth never downloads). */
  readArtifact?: ArtifactReader;
  /** Reads Helm charts rendered in the artifact step. */
  readRenderedChart?: RenderedChartReader;
  /** Return the output even when lint finds errors (for `labs lint`). @default false */
  allowErrors?: boolean;
  /**
   * Digests learnt on first download (pins without a published sha256), by artifact id: the
   * lock records them instead of the pin's placeholder.
   */
  recorded?: Record<string, string>;
  /** Changes the constructed lab before it is rendered: add or patch objects, as a cdk8s user would. */
  extend?: (lab: Lab) => void;
}

export interface SynthOutput {
  lab: ResolvedLab;
  /** File name → content, in write order. */
  files: Map<string, string>;
  objects: LocatedObject[];
  issues: ObjectIssue[];
  schema: { checked: number; notChecked: string[] };
  lock: LabLock;
}

export const stageFileName = (stage: StageName) =>
  `${String(STAGES.indexOf(stage)).padStart(4, "0")}-${stage}.k8s.yaml`;

function originsOf(lab: Lab): Map<string, "upstream"> {
  const map = new Map<string, "upstream">();
  for (const c of lab.node.findAll()) {
    if (c instanceof ApiObject && c.node.metadata.some((m) => m.type === ORIGIN_METADATA)) {
      map.set(identity(c.toJson() as K8sObject), "upstream");
    }
  }
  return map;
}

/** Runs every construct's own validation (cdk8s-plus checks), as `cdk8s synth` does first. */
function validateConstructs(app: App): void {
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((m) => `${c.node.path}: ${m}`));
  if (errors.length) throw new LabError(`constructs failed validation:\n${errors.join("\n")}`);
}

/** Pure, in-memory synth of one lab: construct, render, validate, lint, lock. */
export async function synthLab(spec: AnyLab, options: SynthOptions = {}): Promise<SynthOutput> {
  const app = new App({ outdir: "unused" });
  const construct = new Lab(app, "lab", {
    spec,
    readArtifact: options.readArtifact,
    readRenderedChart: options.readRenderedChart,
  });
  const lab = construct.resolved;
  options.extend?.(construct);
  validateConstructs(app);
  const origins = originsOf(construct);

  const objects: LocatedObject[] = [];
  const stageDocs = new Map<StageName, K8sObject[]>();
  for (const stage of STAGES) {
    const docs = construct.stages[stage].toJson() as K8sObject[];
    stageDocs.set(stage, docs);
    for (const object of docs)
      objects.push({ stage, object, origin: origins.get(identity(object)) ?? "labs" });
  }

  const schema = await validateSchemas(objects);
  const issues = [...schema.issues, ...lintObjects(objects, { runtimeObjects: runtimeObjectsOf(lab) })];
  const errors = issues.filter((i) => i.level === "error");
  if (errors.length && !options.allowErrors) {
    throw new LabError(
      `${lab.spec.name}: synthesized objects are invalid, nothing was written:\n${errors.map(formatIssue).join("\n")}`,
      `run \`labs lint ${lab.spec.name}\` for the full report`,
      EXIT.failed,
    );
  }

  const files = new Map<string, string>();
  files.set("kind.yaml", stringifyYamlDocuments([construct.cluster.toJson()]));
  const gates = [...gatesOf(lab), ...construct.probes.gates];
  const stagePlans: StagePlan[] = STAGES.map((stage) => ({
    name: stage,
    file: stageFileName(stage),
    // `labs up` applies every stage with `kubectl apply --server-side` (lib/runtime/kubectl.ts):
    // CRDs such as Calico's are too big for client-side apply's annotation.
    serverSide: true,
    objects: stageDocs.get(stage)!.length,
    gates: gates.filter((g) => g.stage === stage),
  }));
  for (const stage of STAGES) files.set(stageFileName(stage), stringifyYamlDocuments(stageDocs.get(stage)!));

  const sideContainers = sideContainersOf(lab);
  const extraImages = [
    ...sideContainers.map((c) => c.image),
    ...lab.components.flatMap((s) => s.component.images?.(s.options, lab) ?? []),
  ];
  const images = imagesOf(objects, extraImages);
  const labJson = describeLab(
    lab,
    stagePlans,
    sideContainers,
    construct.cluster.hostPorts,
    construct.hostPathVariables,
  );
  files.set("lab.json", `${JSON.stringify(labJson, null, 2)}\n`);
  files.set("probes.plan.json", `${JSON.stringify(construct.probes.plan, null, 2)}\n`);
  const lock = buildLock({
    lab: lab.spec.name,
    nodeImage: lab.spec.nodeImage,
    kubeVersion: lab.kubeVersion,
    artifacts: artifactsOf(lab).map((a) =>
      options.recorded?.[a.id] ? { ...a, sha256: options.recorded[a.id]! } : a,
    ),
    images,
    imageDigests: { [PROBER_IMAGE]: PROBER_IMAGE_DIGEST },
    files: Object.fromEntries(files),
  });
  files.set("lab.lock.json", `${JSON.stringify(lock, null, 2)}\n`);
  return {
    lab,
    files,
    objects,
    issues,
    schema: { checked: schema.checked, notChecked: schema.notChecked },
    lock,
  };
}

/**
 * What the runtime and reports need to know about a synthesized lab, besides the manifests.
 * Checked against lab.json's schema here, so a drift between what synth writes and what the
 * runtime reads fails at synth, in the tests, not in a user's `labs up`.
 */
function describeLab(
  lab: ResolvedLab,
  stages: StagePlan[],
  sideContainers: LabJson["sideContainers"],
  hostPorts: HostPort[],
  hostPathVariables: readonly HostPathVariable[],
): LabJson {
  const described: LabJson = {
    labVersion: LAB_JSON_VERSION,
    name: lab.spec.name,
    description: lab.spec.description,
    clusterName: lab.clusterName,
    kubernetes: `v${lab.kubeVersion.major}.${lab.kubeVersion.minor}.${lab.kubeVersion.patch}`,
    nodes: lab.spec.nodes,
    network: {
      ipFamily: lab.spec.ipFamily,
      podSubnet: lab.spec.podSubnet,
      serviceSubnet: lab.spec.serviceSubnet,
    },
    components: lab.components.map((s) => ({
      kind: s.component.kind,
      name: s.component.name,
      title: s.component.title,
      version: s.version,
      options: s.options,
    })),
    capabilities: lab.claims,
    warnings: lab.findings.map((f) => ({ path: f.path, message: f.message, fix: f.fix })),
    stages,
    inspections: inspectionsOf(lab),
    serviceDataplane: serviceDataplaneOf(lab),
    sideContainers,
    // kubectl steps right after `kind create cluster`, before stage crds (see ClusterStep).
    postCreate: postCreateOf(lab),
    // `${NAME}` in stage files: the runtime fills them in once the cluster exists (see ClusterVariable).
    clusterVariables: clusterVariablesOf(lab),
    hostPorts,
    // `${NAME}` in kind.yaml's hostPaths: the runtime picks the entry of the Docker engine's
    // architecture and resolves `${LABS_CACHE_DIR}` in its path (see HostPathVariable).
    hostPathVariables: [...hostPathVariables],
  };
  const checked = labJsonSchema.safeParse(described);
  if (!checked.success) {
    throw new LabError(
      `${lab.spec.name}: lab.json does not match its schema: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      "this is a bug in labs: report it with the lab file",
      EXIT.failed,
    );
  }
  return described;
}

/** Writes a synth output to `dir` (created if needed). Refuses clearly when it cannot write. */
export function writeSynth(out: SynthOutput, dir: string): string[] {
  try {
    makeDir(dir);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const parent = existsSync(dir) ? dir : dirname(dir);
    throw new LabError(
      `cannot write to ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      `choose a writable directory with --out, or fix the permissions of ${parent}`,
      EXIT.environment,
    );
  }
  const written: string[] = [];
  for (const [name, content] of out.files) {
    const path = join(dir, name);
    try {
      writeFileSync(path, content);
    } catch (e) {
      throw new LabError(
        `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        "choose a writable directory with --out",
        EXIT.environment,
      );
    }
    written.push(path);
  }
  return written;
}
