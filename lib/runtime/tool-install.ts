/**
 * Installs the pinned kind or kubectl into the labs cache when the user has none. The binary is
 * downloaded with the artifact layer's hardened download, checked against the sha256 pinned in
 * tool-pins.ts, and the checksum file the project publishes is fetched and must agree with the
 * pin. What was verified is recorded next to the binary (`verified.json`).
 */
import { chmodSync, copyFileSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { EXIT, LabError } from "../model/errors.ts";
import { writeBlob } from "../upstream/cache.ts";
import { type DownloadOptions, download } from "../upstream/download.ts";
import { hostPlatform, parseChecksumFile, type ToolPin, toolPin } from "./tool-pins.ts";
import { installedToolPath, type Toolchain } from "./toolchain.ts";

export interface InstallRecord {
  tool: "kind" | "kubectl";
  version: string;
  platform: string;
  url: string;
  path: string;
  /** The digest of the installed bytes (equal to the pin). */
  sha256: string;
  /** The published checksum file and what it said (equal to the pin). */
  checksumUrl: string;
  publishedSha256: string;
  verifiedAt: string;
}

export interface InstallOptions {
  cacheDir: string;
  download?: Partial<DownloadOptions>;
  /** Where to put the binary; defaults to the labs cache's tools folder. */
  target?: string;
}

/** The pin for this machine, or a LabError naming the platforms that have binaries. */
export function pinForHost(tool: "kind" | "kubectl"): ToolPin {
  const platform = hostPlatform();
  if (!platform) {
    throw new LabError(
      `labs has no pinned ${tool} binary for ${process.platform}/${process.arch}`,
      `install ${tool} yourself and put it on PATH (or set LABS_${tool.toUpperCase()})`,
      EXIT.environment,
    );
  }
  return toolPin(tool, platform);
}

export async function installTool(pin: ToolPin, opts: InstallOptions): Promise<InstallRecord> {
  const published = parseChecksumFile((await download(pin.checksumUrl, undefined, opts.download)).toString());
  if (published !== pin.sha256) {
    throw new LabError(
      `the published checksum of ${pin.tool} ${pin.version} (${pin.checksumUrl}) is ${published ?? "unreadable"}, labs pins ${pin.sha256}: nothing was installed`,
      `install ${pin.tool} yourself, or report this: the upstream file may have changed`,
      EXIT.environment,
    );
  }
  // download() checks the sha256 before returning a byte.
  const bytes = await download(pin.url, pin.sha256, opts.download);
  const blob = writeBlob(opts.cacheDir, bytes, pin.sha256);
  const target =
    opts.target ?? installedToolPath(opts.cacheDir, pin.tool) ?? join(opts.cacheDir, "tools", pin.tool);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  copyFileSync(blob, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  const record: InstallRecord = {
    tool: pin.tool,
    version: pin.version,
    platform: pin.platform,
    url: pin.url,
    path: target,
    sha256: pin.sha256,
    checksumUrl: pin.checksumUrl,
    publishedSha256: published,
    verifiedAt: new Date().toISOString(),
  };
  writeFileSync(join(dirname(target), "verified.json"), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export interface EnsureToolsOptions {
  /** Install without asking (`--yes`). */
  yes?: boolean;
  /** Asks the user; only given when stdin and stdout are a terminal. */
  ask?: (question: string) => Promise<boolean>;
  /** The command the user ran, for the message that tells them how to accept (`labs up x`). */
  command: string;
  onInstalled?: (record: InstallRecord) => void;
  download?: Partial<DownloadOptions>;
  /** For tests: the pin to install instead of the host's. */
  pinFor?: (tool: "kind" | "kubectl") => ToolPin;
  /** `--offline` / `LABS_OFFLINE=1`: never download; a missing tool is an error naming the way out. */
  offline?: boolean;
}

/**
 * Makes sure kind and kubectl can be run: offers to install the pinned version of a missing one
 * (interactive only on a terminal; `--yes` accepts; otherwise a clear error with the command).
 */
export async function ensureClusterTools(tc: Toolchain, opts: EnsureToolsOptions): Promise<void> {
  for (const tool of ["kind", "kubectl"] as const) {
    if (tc.has(tool)) continue;
    const pin = (opts.pinFor ?? pinForHost)(tool);
    const where = join(tc.cacheDir, "tools");
    const offer = `${tool} is not installed. Install ${tool} ${pin.version} (${pin.platform}, sha256-verified) into ${where}?`;
    const yourself = `install ${tool} yourself and put it on PATH (or set LABS_${tool.toUpperCase()})`;
    if (opts.offline) {
      throw new LabError(
        `${tool} is not installed, and offline mode (--offline or LABS_OFFLINE=1) forbids downloading it`,
        `unset LABS_OFFLINE to let \`${opts.command}\` download the pinned ${tool} ${pin.version}, or ${yourself}`,
        EXIT.environment,
      );
    }
    const accepted = opts.yes || (opts.ask ? await opts.ask(offer) : false);
    if (!accepted) {
      throw new LabError(
        `${tool} is not installed${opts.ask ? " (installation declined)" : ""}`,
        `run \`${opts.command} --yes\` to install the pinned ${tool} ${pin.version} into the labs cache, or install ${tool} yourself (or set LABS_${tool.toUpperCase()})`,
        EXIT.environment,
      );
    }
    let record: InstallRecord;
    try {
      record = await installTool(pin, { cacheDir: tc.cacheDir, download: opts.download });
    } catch (e) {
      // The download layer's fix names artifact flags (--mirror, --offline) that install does not take.
      if (e instanceof LabError && e.message.startsWith("download failed"))
        throw new LabError(e.message, `check the network (or proxy), or ${yourself}`, e.exitCode);
      throw e;
    }
    tc.relocate(tool);
    opts.onInstalled?.(record);
  }
}
