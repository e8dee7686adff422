/**
 * Servers that lie, each in one way a broken network or a broken pod does, for the verdict
 * integrity tests: on loopback in-process (`startLiar`), or inside a network namespace as a child
 * process (`node --import tsx liars.ts '<json config>'`, see netns-lab.ts).
 *
 * Broken answers are written byte by byte on raw sockets, so each lie is exactly the one named.
 */
import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { pathToFileURL } from "node:url";
import { startDnsServer, type Zone } from "./dns-server.ts";

export type Personality =
  /** agnhost netexec: /hostname, /clientip, /header?key=, /echo?msg=&code=, anything else the time. */
  | { kind: "netexec"; name: string; override?: string }
  /** Accepts the connection, reads the request, never answers. */
  | { kind: "silent" }
  /** Answers the request with a TCP RST. */
  | { kind: "reset-on-request" }
  /** Closes (FIN) as soon as the request arrives, without a response. */
  | { kind: "close-on-request" }
  /** `Content-Length: 100`, 6 bytes of body, then FIN or RST. */
  | { kind: "short-body"; ending: "fin" | "rst" }
  /** A chunked body cut before its last chunk, then FIN. */
  | { kind: "chunked-cut" }
  /** Answers every request with a redirect. */
  | { kind: "redirect"; status: 301 | 302 | 307 }
  /** Sends the status line, then nothing. */
  | { kind: "slow-headers" }
  /** Sends bytes that are not HTTP, then FIN. */
  | { kind: "garbage" }
  /** netexec, but closes the connection after every response (no keep-alive). */
  | { kind: "close-after-each"; name: string }
  /** Answers 200 with an empty body on every path. */
  | { kind: "empty-200" }
  /**
   * An L4 proxy: each connection goes to the next target, from the proxy's own address (or from
   * `from`, as a node that SNATs to its own address would).
   */
  | { kind: "proxy"; targets: { host: string; port: number }[]; from?: string };

export interface Listener {
  host: string;
  port: number;
  personality: Personality;
}

export interface LiarsConfig {
  listeners: Listener[];
  /** DNS servers, on port 53 unless said otherwise. */
  dns?: { host: string; port?: number; zone: Zone }[];
}

type Closer = () => Promise<void>;

export interface Liar {
  port: number;
  close: Closer;
}

/** Starts one liar (port 0: any free port); resolves once it listens. */
export async function startLiar(l: Listener): Promise<Liar> {
  const p = l.personality;
  if (p.kind === "netexec" || p.kind === "close-after-each") {
    const server = http.createServer(
      netexecHandler(p.name, p.kind === "close-after-each", p.kind === "netexec" ? p.override : undefined),
    );
    server.keepAliveTimeout = 5_000;
    return listen(server, l);
  }
  if (p.kind === "proxy") return listen(proxyServer(p.from ?? l.host, p.targets), l);
  return listen(
    net.createServer((socket) => {
      socket.on("error", () => {});
      rawLie(p, socket);
    }),
    l,
  );
}

/** With `override` (agnhost's --http-override), every request is served as that path. */
function netexecHandler(name: string, closeEach: boolean, override?: string): http.RequestListener {
  return (req, res) => {
    const url = new URL(override ?? req.url ?? "/", "http://x");
    if (closeEach) res.setHeader("connection", "close");
    const socket = req.socket;
    let body: string;
    if (url.pathname === "/hostname") body = name;
    else if (url.pathname === "/clientip") {
      const ip = socket.remoteAddress ?? "";
      body = `${ip.includes(":") ? `[${ip}]` : ip}:${socket.remotePort}`;
    } else if (url.pathname === "/header") {
      const value = req.headers[(url.searchParams.get("key") ?? "").toLowerCase()];
      body = Array.isArray(value) ? value.join(",") : (value ?? "");
    } else if (url.pathname === "/echo") {
      body = url.searchParams.get("msg") ?? "";
      res.statusCode = Number(url.searchParams.get("code") ?? 200);
    } else body = `NOW: ${new Date().toISOString()}`;
    res.setHeader("content-type", "text/plain");
    res.end(body);
  };
}

function rawLie(p: Exclude<Personality, { kind: "netexec" | "close-after-each" | "proxy" }>, s: net.Socket) {
  const onRequest = (act: () => void) => s.once("data", act);
  switch (p.kind) {
    case "silent":
      s.resume();
      return;
    case "reset-on-request":
      return onRequest(() => s.resetAndDestroy());
    case "close-on-request":
      return onRequest(() => s.end());
    case "short-body":
      return onRequest(() => {
        s.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\necho-a");
        setTimeout(() => (p.ending === "rst" ? s.resetAndDestroy() : s.end()), 20);
      });
    case "chunked-cut":
      return onRequest(() => {
        s.write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\necho-a\r\n",
        );
        setTimeout(() => s.end(), 20);
      });
    case "redirect":
      return onRequest(() => {
        s.end(
          `HTTP/1.1 ${p.status} Moved\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        );
      });
    case "slow-headers":
      return onRequest(() => s.write("HTTP/1.1 200 OK\r\n"));
    case "garbage":
      return onRequest(() => s.end("SSH-2.0-OpenSSH_9.2\r\n"));
    case "empty-200":
      return onRequest(() => s.end("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  }
}

/** Round-robin L4 proxy that connects from its own address, like cloud-provider-kind's Envoy. */
function proxyServer(own: string, targets: { host: string; port: number }[]): net.Server {
  let next = 0;
  return net.createServer((client) => {
    const target = targets[next++ % targets.length]!;
    const upstream = net.connect({ host: target.host, port: target.port, localAddress: own });
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("error", drop);
      s.on("close", drop);
    }
  });
}

async function listen(server: net.Server, l: Listener): Promise<Liar> {
  server.listen(l.port, l.host);
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        if ("closeAllConnections" in server) (server as http.Server).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts every listener and DNS server of a config. */
export async function startLiars(config: LiarsConfig): Promise<Closer> {
  const closers = (await Promise.all(config.listeners.map(startLiar))).map((l) => l.close);
  for (const d of config.dns ?? []) {
    const dns = await startDnsServer(d.zone, d.host, d.port ?? 53);
    closers.push(dns.close);
  }
  return async () => {
    await Promise.all(closers.map((c) => c()));
  };
}

// Run as a child process inside a network namespace: start, say "ready", serve until killed.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  startLiars(JSON.parse(process.argv[2] ?? "{}") as LiarsConfig).then(
    () => process.stdout.write("ready\n"),
    (err: unknown) => {
      process.stderr.write(`liars: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
