/**
 * Per-lab state on the host: `$LABS_STATE_DIR/<lab>`, else `$XDG_STATE_HOME/labs/<lab>`, else
 * `~/.local/state/labs/<lab>`. It holds the lab's kubeconfig, the concrete kind config, the
 * synthesized files the cluster was built from, the marker that says labs created the cluster,
 * stage timings, command logs, verify results and diagnostics bundles.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type {
  ClusterStep,
  ClusterVariable,
  Gate,
  HostPathVariable,
  Inspection,
  SideContainer,
} from "../components/component.ts";
import { CLUSTER_PREFIX } from "../model/defaults.ts";

export function stateRoot(
  env: NodeJS.ProcessEnv = process.env,
  home: string = env.HOME ?? homedir(),
): string {
  if (env.LABS_STATE_DIR) return env.LABS_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "labs");
  return join(home, ".local", "state", "labs");
}

export const clusterNameOf = (lab: string) => `${CLUSTER_PREFIX}${lab}`;

/** The files of one lab's state folder. */
export class LabState {
  readonly dir: string;
  constructor(
    readonly root: string,
    readonly lab: string,
  ) {
    this.dir = join(root, lab);
  }
  get kubeconfig() {
    return join(this.dir, "kubeconfig");
  }
  get kindConfig() {
    return join(this.dir, "kind.yaml");
  }
  get marker() {
    return join(this.dir, "cluster.json");
  }
  /** The synthesized files (lab.json, stages, lock, probe plan) the cluster was built from. */
  get synthDir() {
    return join(this.dir, "synth");
  }
  /** The stage files as applied: the synthesized ones with the cluster variables filled in. */
  get appliedDir() {
    return join(this.dir, "applied");
  }
  get timings() {
    return join(this.dir, "timings.json");
  }
  get logsDir() {
    return join(this.dir, "logs");
  }
  get resultsDir() {
    return join(this.dir, "results");
  }
  get diagnosticsDir() {
    return join(this.dir, "diagnostics");
  }
  get clusterName() {
    return clusterNameOf(this.lab);
  }
  ensure(): this {
    mkdirSync(this.dir, { recursive: true });
    return this;
  }
  readMarker(): ClusterMarker | undefined {
    return readJson<ClusterMarker>(this.marker);
  }
  writeMarker(marker: ClusterMarker): void {
    writeJsonAtomic(this.marker, marker);
  }
  removeMarker(): void {
    rmSync(this.marker, { force: true });
  }
  /** lab.json of the synth the cluster was built from. */
  readLabJson(): LabJson | undefined {
    return readJson<LabJson>(join(this.synthDir, "lab.json"));
  }
}

/**
 * The marker: written before `kind create` (phase `creating`) and completed after it, so a
 * cluster interrupted half-way is recognised as labs' own and recreated, not converged.
 */
export interface ClusterMarker {
  markerVersion: 1;
  createdBy: "labs";
  labsVersion: string;
  lab: string;
  cluster: string;
  phase: "creating" | "created";
  createdAt: string;
  kubeconfig: string;
  /** The control-plane container, to tell labs' cluster from a later one of the same name. */
  controlPlaneId?: string;
  /** The lab's post-create steps ran (they run once, after `kind create cluster`). */
  postCreateDone?: boolean;
}

/** What the runtime reads from a synthesized lab.json (written by lib/synth/synth.ts). */
export interface LabJson {
  labVersion: number;
  name: string;
  description?: string;
  clusterName: string;
  kubernetes: string;
  nodes: { controlPlanes: number; workers: number };
  network: { ipFamily: string; podSubnet: string; serviceSubnet: string };
  components: { kind: string; name: string; title: string; version?: string; options: unknown }[];
  capabilities: Record<string, { value: unknown; reason: string; by: string }>;
  warnings?: { path: string; message: string; fix?: string }[];
  stages: StageJson[];
  inspections: InspectionJson[];
  sideContainers: SideContainerJson[];
  hostPorts: HostPortJson[];
  /** `${NAME}` variables in kind.yaml's host paths (absent in labs synthesized before they existed). */
  hostPathVariables?: HostPathVariable[];
  /** kubectl steps run once right after `kind create cluster`, before the first stage. */
  postCreate?: ClusterStep[];
  /** `${NAME}` values in stage files, filled in by `labs up` once the cluster exists. */
  clusterVariables?: ClusterVariable[];
}

export interface StageJson {
  name: string;
  file: string;
  serverSide: boolean;
  objects: number;
  gates: Gate[];
}
export type InspectionJson = Inspection;
export type SideContainerJson = SideContainer;
export interface HostPortJson {
  listenAddress: string;
  hostPort: number;
  protocol: string;
}

/** Every lab that has a state folder. */
export function listLabStates(root: string): LabState[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => new LabState(root, d.name))
    .sort((a, b) => a.lab.localeCompare(b.lab));
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Writes through a temp file and a rename, so an interrupted write never leaves half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** A timestamp usable in file names: 2026-11-22T03-21-00Z. */
export function fileStamp(date = new Date()): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/:/g, "-");
}
