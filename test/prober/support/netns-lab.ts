/**
 * A tiny emulated cluster in two network namespaces, built by the test (root, `ip`, `nft`):
 *
 *   client ns  10.77.0.2  ── veth ──  cluster ns  10.77.0.1 and 10.77.0.10 … 10.77.0.60
 *   (the prober bundle runs here,      (pods, Services, proxies, DNS servers: liars.ts in a child
 *    as in a probe pod)                 process; NetworkPolicy as nftables rules on its input)
 *
 * The client's /etc/resolv.conf is /etc/netns/<client>/resolv.conf (bind-mounted by `ip netns
 * exec`), so DNS can be made to answer, to say NXDOMAIN, or to stay silent.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { EnginePlan } from "../../../lib/probes/prober/plan.ts";
import type { LiarsConfig } from "./liars.ts";
import { type ProberRun, proberInNetns } from "./prober-in-netns.ts";

export const CLIENT_IP = "10.77.0.2";
export const at = (n: number) => `10.77.0.${n}`;
/** The cluster ns holds every address from .10 to this one. */
const LAST = 60;

const LIARS = fileURLToPath(new URL("./liars.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Why the emulated cluster cannot be built here, or undefined when it can. */
export function netnsLabUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not running as root";
  for (const [tool, pkg] of [
    ["ip", "iproute2"],
    ["nft", "nftables"],
  ] as const) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `the \`${tool}\` command is missing (apt-get install -y ${pkg})`;
    }
  }
  return undefined;
}

function run(args: string[], input?: string): string {
  return execFileSync(args[0]!, args.slice(1), { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

export type BundleRun = ProberRun;

export interface NetnsLab {
  client: string;
  cluster: string;
  /** Writes the client's resolv.conf (read by each `ip netns exec`). */
  resolvConf(text: string): void;
  /** Replaces the cluster's NetworkPolicy emulation: nft rules for its input chain. */
  policy(rules: string[]): void;
  /** Runs the real prober bundle in the client namespace, as a probe pod runs it. */
  prober(plan: EnginePlan): Promise<BundleRun>;
  close(): Promise<void>;
}

export async function createNetnsLab(liars: LiarsConfig): Promise<NetnsLab> {
  const why = netnsLabUnavailable();
  if (why) throw new Error(`cannot build the emulated cluster: ${why}`);
  const suffix = Math.random().toString(36).slice(2, 8);
  const client = `labs-adv-c-${suffix}`;
  const cluster = `labs-adv-k-${suffix}`;
  const inNs = (ns: string, args: string[], input?: string) =>
    run(["ip", "netns", "exec", ns, ...args], input);
  const etc = `/etc/netns/${client}`;
  let servers: ChildProcess | undefined;
  const close = async () => {
    if (servers && servers.exitCode === null) {
      const exited = new Promise((resolve) => servers!.once("exit", resolve));
      servers.kill("SIGKILL");
      await exited;
    }
    for (const ns of [client, cluster]) {
      try {
        run(["ip", "netns", "del", ns]);
      } catch {
        // Already gone.
      }
    }
    rmSync(etc, { recursive: true, force: true });
  };
  try {
    run(["ip", "netns", "add", client]);
    run(["ip", "netns", "add", cluster]);
    run(["ip", "link", "add", `lac${suffix}`, "type", "veth", "peer", "name", `lak${suffix}`]);
    run(["ip", "link", "set", `lac${suffix}`, "netns", client]);
    run(["ip", "link", "set", `lak${suffix}`, "netns", cluster]);
    inNs(client, ["ip", "addr", "add", `${CLIENT_IP}/24`, "dev", `lac${suffix}`]);
    inNs(cluster, ["ip", "addr", "add", `${at(1)}/24`, "dev", `lak${suffix}`]);
    for (let n = 10; n <= LAST; n++)
      inNs(cluster, ["ip", "addr", "add", `${at(n)}/32`, "dev", `lak${suffix}`]);
    for (const [ns, dev] of [
      [client, `lac${suffix}`],
      [cluster, `lak${suffix}`],
    ] as const) {
      inNs(ns, ["ip", "link", "set", "lo", "up"]);
      inNs(ns, ["ip", "link", "set", dev, "up"]);
    }
    mkdirSync(etc, { recursive: true });
    writeFileSync(`${etc}/resolv.conf`, `nameserver ${at(53)}\n`);

    servers = spawn(
      "ip",
      ["netns", "exec", cluster, process.execPath, "--import", "tsx", LIARS, JSON.stringify(liars)],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let err = "";
      servers!.stderr!.on("data", (d) => {
        err += String(d);
      });
      servers!.stdout!.once("data", () => resolve());
      servers!.once("exit", (code) => reject(new Error(`the cluster's servers exited with ${code}: ${err}`)));
    });
  } catch (err) {
    await close();
    throw err;
  }

  return {
    client,
    cluster,
    resolvConf: (text) => writeFileSync(`${etc}/resolv.conf`, text),
    policy: (rules) => {
      try {
        inNs(cluster, ["nft", "delete", "table", "ip", "labs_policy"]);
      } catch {
        // No policy yet.
      }
      inNs(
        cluster,
        ["nft", "-f", "-"],
        `table ip labs_policy {\n  chain input {\n    type filter hook input priority 0; policy accept;\n${rules.map((r) => `    ${r}`).join("\n")}\n  }\n}\n`,
      );
    },
    prober: (plan) => proberInNetns(client, plan, { name: "probe-a", ip: CLIENT_IP }),
    close,
  };
}
