/**
 * Targets that never answer, to prove `timeout` (and `unreachable`) honestly:
 *
 * - `createDropNamespace()` (root, `ip` + `nft` or `iptables`): a network namespace of our own,
 *   joined to the host by a veth pair on a random 169.254.x.y/30 link, with filter rules inside:
 *   SYNs to `dropPort` are dropped (what a NetworkPolicy deny does), `hostUnreachablePort` and
 *   `netUnreachablePort` are rejected with ICMP, any other port is refused by the kernel.
 * - `startStalledListener()` (any user): a listening socket in a stopped child process whose
 *   accept queue we fill first; Linux then drops further SYNs, so connects time out.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";

export interface Blackhole {
  host: string;
  /** TCP port whose SYNs vanish. */
  port: number;
  /** How the silence is made, for test and bench notes. */
  how: string;
  close: () => Promise<void>;
}

export interface DropNamespace extends Blackhole {
  name: string;
  /** The host's end of the veth link: reachable from inside the namespace. */
  hostIp: string;
  /** Port answered with ICMP host unreachable (EHOSTUNREACH). */
  hostUnreachablePort: number;
  /** Port answered with ICMP net unreachable (ENETUNREACH). */
  netUnreachablePort: number;
  /** Removes the drop rule: the port then refuses (no listener) instead of timing out. */
  liftDrop: () => void;
}

const DROP_PORT = 9;
const HOST_UNREACHABLE_PORT = 10;
const NET_UNREACHABLE_PORT = 11;

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not running as root";
  if (!hasCommand("ip")) return "the `ip` command is missing (apt-get install -y iproute2)";
  if (!hasCommand("nft") && !hasCommand("iptables")) {
    return "neither `nft` nor `iptables` is installed (apt-get install -y nftables)";
  }
  return undefined;
}

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function run(args: string[], input?: string): string {
  return execFileSync(args[0]!, args.slice(1), { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
}

export async function createDropNamespace(): Promise<DropNamespace> {
  const why = netnsUnavailable();
  if (why) throw new Error(`cannot create a network namespace: ${why}`);
  const suffix = Math.random().toString(36).slice(2, 8);
  const name = `labs-prober-${suffix}`;
  const hostIf = `lph${suffix}`;
  const nsIf = `lpn${suffix}`;
  const { hostIp, nsIp } = freeLinkAddresses();
  const inNs = (args: string[], input?: string) => run(["ip", "netns", "exec", name, ...args], input);
  run(["ip", "netns", "add", name]);
  try {
    run(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    run(["ip", "link", "set", nsIf, "netns", name]);
    run(["ip", "addr", "add", `${hostIp}/30`, "dev", hostIf]);
    run(["ip", "link", "set", hostIf, "up"]);
    inNs(["ip", "addr", "add", `${nsIp}/30`, "dev", nsIf]);
    inNs(["ip", "link", "set", nsIf, "up"]);
    inNs(["ip", "link", "set", "lo", "up"]);
    const liftDrop = installRules(inNs);
    return {
      name,
      hostIp,
      host: nsIp,
      port: DROP_PORT,
      hostUnreachablePort: HOST_UNREACHABLE_PORT,
      netUnreachablePort: NET_UNREACHABLE_PORT,
      how: `netns ${name}: SYN to ${nsIp}:${DROP_PORT} dropped by a filter rule`,
      liftDrop,
      close: async () => deleteNamespace(name, hostIf),
    };
  } catch (err) {
    deleteNamespace(name, hostIf);
    throw err;
  }
}

function installRules(inNs: (args: string[], input?: string) => string): () => void {
  if (hasCommand("nft")) {
    inNs(
      ["nft", "-f", "-"],
      `table ip labs_probe {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport ${DROP_PORT} drop comment "drop"
    udp dport ${DROP_PORT} drop
    tcp dport ${HOST_UNREACHABLE_PORT} reject with icmp type host-unreachable
    tcp dport ${NET_UNREACHABLE_PORT} reject with icmp type net-unreachable
  }
}
`,
    );
    return () => {
      const listing = inNs(["nft", "-a", "list", "chain", "ip", "labs_probe", "input"]);
      const handle = /comment "drop" # handle (\d+)/.exec(listing)?.[1];
      if (handle) inNs(["nft", "delete", "rule", "ip", "labs_probe", "input", "handle", handle]);
    };
  }
  const drop = ["INPUT", "-p", "tcp", "--dport", String(DROP_PORT), "-j", "DROP"];
  inNs(["iptables", "-A", ...drop]);
  inNs(["iptables", "-A", "INPUT", "-p", "udp", "--dport", String(DROP_PORT), "-j", "DROP"]);
  for (const [port, reject] of [
    [HOST_UNREACHABLE_PORT, "icmp-host-unreachable"],
    [NET_UNREACHABLE_PORT, "icmp-net-unreachable"],
  ] as const) {
    inNs([
      "iptables",
      "-A",
      "INPUT",
      "-p",
      "tcp",
      "--dport",
      String(port),
      "-j",
      "REJECT",
      "--reject-with",
      reject,
    ]);
  }
  return () => {
    inNs(["iptables", "-D", ...drop]);
  };
}

/** A random 169.254.x.y/30 link not already configured on this host. */
function freeLinkAddresses(): { hostIp: string; nsIp: string } {
  const used = run(["ip", "-o", "-4", "addr", "show"]);
  for (let i = 0; i < 20; i++) {
    const x = 1 + Math.floor(Math.random() * 254);
    const y = 4 * Math.floor(Math.random() * 63);
    const prefix = `169.254.${x}.`;
    if (used.includes(`${prefix}${y + 1}/`) || used.includes(`${prefix}${y + 2}/`)) continue;
    return { hostIp: `${prefix}${y + 1}`, nsIp: `${prefix}${y + 2}` };
  }
  throw new Error("no free 169.254.x.y/30 link address found");
}

function deleteNamespace(name: string, hostIf: string): void {
  try {
    run(["ip", "netns", "del", name]);
  } catch {
    // Already gone.
  }
  try {
    run(["ip", "link", "del", hostIf]);
  } catch {
    // Deleting the namespace deleted the pair.
  }
}

/**
 * A loopback port whose SYNs are dropped, without root: the listener lives in a child process
 * stopped with SIGSTOP (it never accepts), and its accept queue is filled with our own idle
 * connections. Linux then drops new SYNs: connect() waits, and the probe's timer ends it.
 */
export async function startStalledListener(host = "127.0.0.1", port = 0): Promise<Blackhole> {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `const s = require("node:net").createServer();
       s.listen({ port: ${port}, host: ${JSON.stringify(host)}, backlog: 1 }, () => {
         process.stdout.write(s.address().port + "\\n");
         process.kill(process.pid, "SIGSTOP");
       });`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const bound = await new Promise<number>((resolve, reject) => {
    child.stdout!.once("data", (data) => resolve(Number(String(data).trim())));
    child.once("exit", (code) => reject(new Error(`stalled listener exited with ${code}`)));
  });
  const fillers = await fillAcceptQueue(host, bound);
  return {
    host,
    port: bound,
    how: `a stopped listener on ${host}:${bound} with a full accept queue (${fillers.length} idle connections)`,
    close: async () => {
      for (const socket of fillers) socket.destroy();
      await killChild(child);
    },
  };
}

async function fillAcceptQueue(host: string, port: number): Promise<net.Socket[]> {
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 64; i++) {
    const socket = net.connect(port, host);
    socket.on("error", () => {});
    const connected = await Promise.race([
      once(socket, "connect").then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300)),
    ]);
    if (!connected) {
      socket.destroy();
      return fillers;
    }
    fillers.push(socket);
  }
  throw new Error("the accept queue never filled: SYNs would not be dropped");
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

/** The most honest blackhole available: a namespace drop rule as root, else a stalled listener. */
export async function openBlackhole(): Promise<Blackhole> {
  return netnsUnavailable() === undefined ? createDropNamespace() : startStalledListener();
}
