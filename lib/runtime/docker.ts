/**
 * Docker, as labs uses it: the user's engine (labs never installs or starts one), the `kind`
 * network, `docker exec` into node containers, and the side containers a lab runs next to its
 * cluster (cloud-provider-kind). Argument builders are exported so tests can assert on them.
 */

import type { SideContainer } from "../components/component.ts";
import {
  CLUSTER_LABEL,
  HOST_WIDE_LABEL,
  LAB_LABEL,
  sideContainerRunArgv,
} from "../components/lb/side-container-commands.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { lastLines, type RunResult } from "./process.ts";
import type { Toolchain } from "./toolchain.ts";

export interface DockerInfo {
  serverVersion: string;
  /** Memory the engine can give containers (the Docker Desktop VM's memory on macOS). */
  memTotalBytes: number;
  cpus: number;
  /** "1" or "2" as the engine reports it. */
  cgroupVersion?: string;
  operatingSystem?: string;
  /** The engine's CPU (`x86_64`, `aarch64`): the kind nodes' architecture. */
  architecture?: string;
}

export type DockerProbe =
  | { state: "missing" }
  | { state: "unreachable"; detail: string; permissionDenied: boolean }
  | { state: "ok"; info: DockerInfo };

/** Labels every container labs starts, so `labs down` finds exactly its own. */
export { CLUSTER_LABEL, HOST_WIDE_LABEL, LAB_LABEL };

export async function probeDocker(tc: Toolchain): Promise<DockerProbe> {
  if (!tc.has("docker")) return { state: "missing" };
  const r = await tc.run("docker", ["info", "--format", "{{json .}}"], { timeoutMs: 30_000 });
  const info = parseDockerInfo(r.stdout);
  if (!r.ok || !info) {
    const detail = lastLines(r.stderr || r.stdout, 2) || `docker info exited ${r.exitCode}`;
    return { state: "unreachable", detail, permissionDenied: /permission denied/i.test(r.stderr) };
  }
  return { state: "ok", info };
}

export function parseDockerInfo(stdout: string): DockerInfo | undefined {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(stdout.trim()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  // A client that cannot reach its daemon still prints the JSON skeleton, with no server version.
  if (typeof raw.ServerVersion !== "string" || raw.ServerVersion === "") return undefined;
  return {
    serverVersion: raw.ServerVersion,
    memTotalBytes: typeof raw.MemTotal === "number" ? raw.MemTotal : 0,
    cpus: typeof raw.NCPU === "number" ? raw.NCPU : 0,
    cgroupVersion: typeof raw.CgroupVersion === "string" ? raw.CgroupVersion : undefined,
    operatingSystem: typeof raw.OperatingSystem === "string" ? raw.OperatingSystem : undefined,
    architecture: typeof raw.Architecture === "string" ? raw.Architecture : undefined,
  };
}

/** The engine's facts, or a LabError that says why Docker cannot be used and what to do. */
export async function requireDocker(tc: Toolchain): Promise<DockerInfo> {
  const probe = await probeDocker(tc);
  if (probe.state === "ok") return probe.info;
  throw dockerError(probe);
}

export function dockerError(probe: Exclude<DockerProbe, { state: "ok" }>): LabError {
  if (probe.state === "missing") {
    return new LabError(
      "Docker is not installed: labs runs kind clusters in your Docker engine",
      "install Docker Engine (Linux) or Docker Desktop (macOS): https://docs.docker.com/get-docker/",
      EXIT.environment,
    );
  }
  if (probe.permissionDenied) {
    return new LabError(
      `Docker is running but this user may not use it: ${probe.detail}`,
      "add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again)",
      EXIT.environment,
    );
  }
  return new LabError(
    `the Docker daemon is not running or not reachable: ${probe.detail}`,
    "start Docker (Linux: `sudo systemctl start docker`; macOS: open Docker Desktop) until `docker info` works",
    EXIT.environment,
  );
}

/** Subnets of the `kind` Docker network, or undefined when kind has not created it yet. */
export async function kindNetworkSubnets(tc: Toolchain): Promise<string[] | undefined> {
  const r = await tc.run("docker", ["network", "inspect", "kind", "--format", "{{json .IPAM.Config}}"]);
  if (!r.ok) return undefined;
  const config = dockerJson<{ Subnet?: string }[] | null>(r);
  return (config ?? []).map((c) => c.Subnet).filter((s): s is string => Boolean(s));
}

export async function dockerExec(
  tc: Toolchain,
  container: string,
  command: readonly string[],
  timeoutMs = 30_000,
): Promise<RunResult> {
  return tc.run("docker", ["exec", container, ...command], { timeoutMs });
}

/**
 * `docker run` arguments for a side container, labelled with its lab: the component's own
 * command (asserted as data in its tests), without the leading `docker`. VM-only arguments are
 * already folded in by the caller (side-containers.ts).
 */
export function sideContainerRunArgs(side: SideContainer, lab: string, cluster: string): string[] {
  return sideContainerRunArgv(side, { lab, cluster, dockerInVm: false }).slice(1);
}

export interface ContainerState {
  running: boolean;
  image: string;
  /** The arguments after the image (Config.Cmd). */
  args: string[];
  labels: Record<string, string>;
  id: string;
}

export async function containerState(tc: Toolchain, name: string): Promise<ContainerState | undefined> {
  const r = await tc.run("docker", ["container", "inspect", name, "--format", "{{json .}}"]);
  if (!r.ok) return undefined;
  const raw = dockerJson<{
    Id?: string;
    State?: { Running?: boolean };
    Config?: { Image?: string; Cmd?: string[] | null; Labels?: Record<string, string> | null };
  }>(r);
  return {
    id: raw.Id ?? "",
    running: Boolean(raw.State?.Running),
    image: raw.Config?.Image ?? "",
    args: raw.Config?.Cmd ?? [],
    labels: raw.Config?.Labels ?? {},
  };
}

/** Names of containers (running or not) that carry `label=value`. */
export async function containersLabelled(tc: Toolchain, label: string, value: string): Promise<string[]> {
  const r = await tc.run("docker", [
    "ps",
    "--all",
    "--filter",
    `label=${label}=${value}`,
    "--format",
    "{{.Names}}",
  ]);
  if (!r.ok) return [];
  return r.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}

export interface ContainerRow {
  name: string;
  image: string;
  running: boolean;
  /** The values of the labels asked for ("" when a container does not carry one). */
  labels: Record<string, string>;
}

/**
 * Every container (running or not) with its image, state and the values of `labels`; only those
 * carrying the label key `withLabel` when given.
 */
export async function listContainers(
  tc: Toolchain,
  labels: readonly string[],
  withLabel?: string,
): Promise<ContainerRow[]> {
  const format = ["{{.Names}}", "{{.Image}}", "{{.State}}", ...labels.map((l) => `{{.Label "${l}"}}`)].join(
    "\t",
  );
  const r = await tc.run("docker", [
    "ps",
    "--all",
    ...(withLabel ? ["--filter", `label=${withLabel}`] : []),
    "--format",
    format,
  ]);
  if (!r.ok) return [];
  return r.stdout
    .split("\n")
    .filter((l) => l.trim())
    .map((line) => {
      const [name = "", image = "", state = "", ...values] = line.split("\t");
      return {
        name,
        image,
        running: state === "running",
        labels: Object.fromEntries(labels.map((l, i) => [l, values[i] ?? ""])),
      };
    });
}

export async function removeContainer(tc: Toolchain, name: string): Promise<RunResult> {
  return tc.run("docker", ["rm", "--force", name]);
}

export async function imagePresent(tc: Toolchain, image: string): Promise<boolean> {
  return (await tc.run("docker", ["image", "inspect", "--format", "{{.Id}}", image])).ok;
}

export async function pullImage(tc: Toolchain, image: string): Promise<RunResult> {
  return tc.run("docker", ["pull", image], { timeoutMs: 15 * 60_000 });
}

/** The container id of a node, to tell the cluster labs created from a later one of the same name. */
export async function containerId(tc: Toolchain, name: string): Promise<string | undefined> {
  const r = await tc.run("docker", ["container", "inspect", name, "--format", "{{.Id}}"]);
  return r.ok ? r.stdout.trim() || undefined : undefined;
}

/**
 * What docker printed for `--format '{{json …}}'`. Anything but JSON there is a broken engine or
 * client, said so: it must not pass for "no such network" or "no such container".
 */
function dockerJson<T>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout.trim()) as T;
  } catch {
    throw new LabError(
      `\`${r.command}\` printed something that is not JSON: ${r.stdout.trim().slice(0, 120)}`,
      "check the Docker engine and client (`docker info`)",
      EXIT.environment,
    );
  }
}
