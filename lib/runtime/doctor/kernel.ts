/**
 * What the host kernel offers the kind nodes (they share it): loaded modules, built-in ones, the
 * kernel config, and the BPF filesystem. Parsers are pure; `readKernelFacts` reads the files
 * where this machine has them (a kernel without module support has no /proc/modules, and many
 * have no /proc/config.gz: the facts say "unknown" rather than guess).
 */
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { gunzipSync } from "node:zlib";

export interface KernelFacts {
  release: string;
  /** Loaded modules (/proc/modules); undefined when the file is absent. */
  loaded?: string[];
  /** Modules built into the kernel (modules.builtin); undefined when absent. */
  builtin?: string[];
  /** Loadable module files present for this kernel (modules.dep); undefined when absent. */
  available?: string[];
  /** CONFIG_… → y | m, from /proc/config.gz or /boot/config-<release>. */
  config?: Record<string, string>;
  configSource?: string;
  /** A bpf filesystem is mounted at /sys/fs/bpf. */
  bpffs: boolean;
}

export type FeatureState =
  | "loaded"
  | "builtin"
  /** A loadable module that is not loaded yet (kube-proxy or the CNI load it on demand). */
  | "loadable"
  | "absent"
  | "unknown";

export interface KernelFeature {
  module: string;
  config: string;
}

export const IP_VS: KernelFeature = { module: "ip_vs", config: "CONFIG_IP_VS" };
export const NF_TABLES: KernelFeature = { module: "nf_tables", config: "CONFIG_NF_TABLES" };

export function parseProcModules(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.split(" ")[0]!.trim())
    .filter(Boolean);
}

/** `kernel/net/netfilter/ipvs/ip_vs.ko.zst: …` → `ip_vs` (modules.dep and modules.builtin alike). */
export function parseModuleList(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.split(":")[0]!.trim())
    .filter(Boolean)
    .map((p) =>
      p
        .slice(p.lastIndexOf("/") + 1)
        .replace(/\.ko(\.\w+)?$/, "")
        .replace(/-/g, "_"),
    );
}

export function parseKernelConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_[A-Z0-9_]+)=(.+)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"|"$/g, "");
  }
  return out;
}

/** Whether `/proc/mounts` shows a bpf filesystem at /sys/fs/bpf. */
export function hasBpffs(procMounts: string): boolean {
  return procMounts.split("\n").some((l) => {
    const [, mountpoint, type] = l.split(" ");
    return mountpoint === "/sys/fs/bpf" && type === "bpf";
  });
}

export function featureState(k: KernelFacts, f: KernelFeature): FeatureState {
  if (k.loaded?.includes(f.module)) return "loaded";
  if (k.builtin?.includes(f.module) || k.config?.[f.config] === "y") return "builtin";
  if (k.available?.includes(f.module) || k.config?.[f.config] === "m") return "loadable";
  if (k.config) return "absent";
  return "unknown";
}

/** eBPF datapaths need the bpf() syscall, a JIT is strongly advised, and a bpf filesystem. */
export function bpfState(k: KernelFacts): { state: "ok" | "absent" | "unknown"; missing: string[] } {
  const missing: string[] = [];
  if (k.config) {
    if (k.config.CONFIG_BPF_SYSCALL !== "y") missing.push("CONFIG_BPF_SYSCALL");
    if (k.config.CONFIG_BPF_JIT !== "y") missing.push("CONFIG_BPF_JIT");
  }
  if (!k.bpffs) missing.push("bpf filesystem at /sys/fs/bpf");
  if (missing.length) return { state: "absent", missing };
  return { state: k.config ? "ok" : "unknown", missing };
}

/** A kernel file's text; undefined when this host has no such file or lets us not read it (then the fact is "unknown"). */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Reads the kernel facts of this Linux host. */
export function readKernelFacts(): KernelFacts {
  const rel = release();
  const modulesDir = `/lib/modules/${rel}`;
  const modules = readText("/proc/modules");
  const builtin = readText(`${modulesDir}/modules.builtin`);
  const dep = readText(`${modulesDir}/modules.dep`);
  let config: string | undefined;
  let configSource: string | undefined;
  try {
    config = gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
    configSource = "/proc/config.gz";
  } catch {
    // No /proc/config.gz (a kernel built without IKCONFIG_PROC): distributions ship /boot/config-*.
    config = readText(`/boot/config-${rel}`);
    if (config) configSource = `/boot/config-${rel}`;
  }
  return {
    release: rel,
    loaded: modules === undefined ? undefined : parseProcModules(modules),
    builtin: builtin === undefined ? undefined : parseModuleList(builtin),
    available: dep === undefined ? undefined : parseModuleList(dep),
    config: config === undefined ? undefined : parseKernelConfig(config),
    configSource,
    bpffs: hasBpffs(readText("/proc/mounts") ?? ""),
  };
}
