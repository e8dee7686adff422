/**
 * `http`: one HTTP or HTTPS request on a fresh connection. A fresh connection each time matters:
 * kube-proxy and its replacements balance per connection, so keep-alive would pin one backend.
 *
 * The attempt resolves the name first (its own step, address.ts), then records how far it got:
 * handshake, request sent, body read. An answer counts only when it arrived whole: a body shorter
 * than its Content-Length, or a chunked body without its last chunk, is a reset mid-response.
 * Redirects are never followed: a 3xx is an answer with that status, judged like any other.
 *
 * With `backendPath`, the attempt first asks that path (agnhost `/hostname`) on a kept-alive
 * connection and then sends its own request on the same connection: both answers come from the
 * one backend the connection was balanced to, so a `/clientip` answer can be tied to its pod.
 */
import type { ClientRequest, IncomingMessage } from "node:http";
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";
import { isIP } from "node:net";
import {
  isFailedLookup,
  lookupFailureReport,
  pinnedLookup,
  type ResolvedHost,
  resolveHost,
  splitHostPort,
} from "./address.ts";
import type { AttemptContext, AttemptReport } from "./context.ts";
import { backendSource, clientIpSource, readField } from "./fields.ts";
import type { HttpRequestSpec } from "./plan.ts";
import { PROBE_DEFAULTS } from "./plan.ts";
import type { LookupEvidence, Phase, ProbeTarget, Protocol } from "./result.ts";
import { bounded, failureReport, now, since, timeoutReport } from "./timing.ts";

const USER_AGENT = "labs-prober/1";

/** What the attempt has seen so far; failures and timeouts report it. */
interface Progress {
  protocol: Protocol;
  seen: ProbeTarget;
  start: number;
  phase: Phase;
  lookup?: LookupEvidence;
  connectMs?: number;
  localAddress?: string;
  localPort?: number;
  /** Set once an identity request (`backendPath`) answered. */
  backend?: string;
}

function evidence(p: Progress): Partial<AttemptReport> {
  const e: Partial<AttemptReport> = {};
  if (p.lookup) e.lookup = p.lookup;
  if (p.connectMs !== undefined) e.connectMs = p.connectMs;
  if (p.localAddress) e.localAddress = p.localAddress;
  if (p.localPort) e.localPort = p.localPort;
  // A completed handshake is an answer from the target's host, whatever came after it.
  if (p.connectMs !== undefined) e.reached = true;
  return e;
}

export async function httpAttempt(spec: HttpRequestSpec, ctx: AttemptContext): Promise<AttemptReport> {
  const start = now();
  const url = new URL(spec.url);
  const protocol: Protocol = url.protocol === "https:" ? "https" : "http";
  const seen: ProbeTarget = { asked: spec.url };
  const resolved = await resolveHost(url.hostname, ctx);
  if (isFailedLookup(resolved)) return lookupFailureReport(protocol, seen, start, resolved);
  seen.resolved = resolved.address;
  const p: Progress = { protocol, seen, start, phase: "connect" };
  if (resolved.lookup) p.lookup = resolved.lookup;
  const failed = (err: unknown) => failureReport(protocol, seen, start, err, p.phase, evidence(p));

  return bounded(
    ctx,
    (finish) => {
      const client = protocol === "https" ? https : http;
      const agent = spec.backendPath ? new client.Agent({ keepAlive: true, maxSockets: 1 }) : undefined;
      const requests: ClientRequest[] = [];
      let first: Socket | undefined;
      // Set while a body is read: a connection error then cuts the body short.
      let cutBody: ((err: unknown) => void) | undefined;
      const send = (path: string | undefined, onResponse: (r: IncomingMessage) => void) => {
        const target = path === undefined ? url : new URL(path, url);
        const request = client.request(target, requestOptions(spec, url, resolved, agent));
        requests.push(request);
        request.on("socket", (socket) => {
          if (requests.length > 1) {
            // The probe's own request must ride the connection the identity request used.
            if (socket !== first) {
              finish({
                ...failed(new Error("not the same connection")),
                outcome: "error",
                error: `the server closed the connection after ${spec.backendPath}, so the answer cannot be tied to the backend that gave it`,
              });
            }
            p.phase = "response";
            return;
          }
          first = socket as Socket;
          watchHandshake(first, protocol, p);
        });
        request.on("response", (response) => {
          p.phase = "body";
          onResponse(response);
        });
        request.on("error", (err) => (cutBody ? cutBody(err) : finish(failed(err))));
        request.end(spec.body);
      };
      const answer = (response: IncomingMessage) => {
        cutBody = readBody(response, spec.maxBodyBytes ?? PROBE_DEFAULTS.maxBodyBytes, (body) => {
          cutBody = undefined;
          if (body.cut) return finish(cutShort(body, response, failed));
          p.phase = "done";
          finish(responseReport(spec, response, body.text, body.truncated, p));
        });
      };
      if (spec.backendPath) {
        send(spec.backendPath, (response) => {
          cutBody = readBody(response, PROBE_DEFAULTS.maxBodyBytes, (body) => {
            cutBody = undefined;
            if (body.cut) return finish(cutShort(body, response, failed));
            const status = response.statusCode ?? 0;
            const name = body.text.trim();
            if (status < 200 || status > 299 || name === "") {
              return finish({
                ...failed(new Error("no backend name")),
                outcome: status < 200 || status > 299 ? "http-status" : "error",
                status,
                reached: true,
                error: `the identity request ${spec.backendPath} answered HTTP ${status} ${JSON.stringify(name.slice(0, 60))}: it does not name a backend`,
              });
            }
            p.backend = name;
            p.phase = "response";
            send(undefined, answer);
          });
        });
      } else {
        send(undefined, answer);
      }
      return () => {
        for (const r of requests) r.destroy();
        agent?.destroy();
      };
    },
    () => timeoutReport(protocol, seen, start, ctx, p.phase, evidence(p)),
    failed,
  );
}

/** Follows the handshake of a fresh connection: connect time, own address, TLS. */
function watchHandshake(socket: Socket, protocol: Protocol, p: Progress): void {
  const connected = () => {
    p.connectMs = since(p.start);
    p.localAddress = socket.localAddress;
    p.localPort = socket.localPort;
    p.phase = protocol === "https" ? "tls" : "response";
  };
  if (socket.connecting) socket.once("connect", connected);
  else connected();
  if (protocol === "https") socket.once("secureConnect", () => (p.phase = "response"));
}

function requestOptions(
  spec: HttpRequestSpec,
  url: URL,
  resolved: ResolvedHost,
  agent: http.Agent | undefined,
): https.RequestOptions {
  const headers: Record<string, string> = { "user-agent": USER_AGENT, ...spec.headers };
  if (spec.host) headers["host"] = spec.host;
  const options: https.RequestOptions = {
    method: spec.method ?? "GET",
    headers,
    // No shared agent: a new connection per attempt, closed after it (backendPath keeps exactly
    // one connection for the attempt's two requests).
    agent: agent ?? false,
    lookup: pinnedLookup(resolved),
  };
  if (url.protocol === "https:") {
    options.rejectUnauthorized = !spec.insecureSkipVerify;
    const servername = tlsServerName(spec, url);
    if (servername) options.servername = servername;
  }
  return options;
}

/** SNI: explicit, else the Host header, else the URL host; never an IP (TLS forbids it). */
export function tlsServerName(spec: HttpRequestSpec, url: URL): string | undefined {
  const fromHost = spec.host
    ? splitHostPort(spec.host)
      ? undefined
      : spec.host.replace(/:\d+$/, "")
    : undefined;
  const candidate = spec.serverName ?? fromHost ?? url.hostname;
  return isIP(candidate.replace(/^\[(.*)\]$/, "$1")) ? undefined : candidate;
}

interface Body {
  text: string;
  /** Stopped reading at the probe's limit (the rest was not needed as evidence). */
  truncated: boolean;
  /** The connection ended before the message did. */
  cut: boolean;
  bytes: number;
  err?: unknown;
}

/**
 * Reads the body up to `limit` bytes. The message must end as HTTP says it ends (Content-Length
 * reached, last chunk seen): Node's parser sets `complete` only then. Stopping at the limit is the
 * probe's own choice and keeps what arrived. Returns how to end it as cut (a connection error).
 */
function readBody(
  response: IncomingMessage,
  limit: number,
  done: (body: Body) => void,
): (err: unknown) => void {
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  const end = (truncated: boolean, cut: boolean, err?: unknown) => {
    if (ended) return;
    ended = true;
    const body: Body = { text: Buffer.concat(chunks).toString("utf8"), truncated, cut, bytes: size };
    if (err !== undefined) body.err = err;
    done(body);
  };
  response.on("data", (chunk: Buffer) => {
    if (ended) return;
    const room = limit - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size = limit;
      end(true, false);
      response.destroy();
      return;
    }
    chunks.push(chunk);
    size += chunk.length;
  });
  response.on("end", () => end(false, !response.complete));
  response.on("error", (err) => end(false, true, err));
  response.on("aborted", () => end(false, true));
  response.on("close", () => end(false, !response.complete));
  return (err) => end(false, true, err);
}

/** A response whose connection ended before the message did: a reset mid-response. */
function cutShort(
  body: Body,
  response: IncomingMessage,
  failed: (err: unknown) => AttemptReport,
): AttemptReport {
  const length = response.headers["content-length"];
  const framing =
    length !== undefined
      ? `${body.bytes} of the ${length} bytes its Content-Length announced`
      : /chunked/i.test(String(response.headers["transfer-encoding"] ?? ""))
        ? `${body.bytes} bytes of a chunked body, without its last chunk`
        : `${body.bytes} bytes`;
  const report = failed(
    Object.assign(new Error(`the connection ended after ${framing}`), { code: "ECONNRESET" }),
  );
  report.status = response.statusCode ?? 0;
  report.reached = true;
  report.phase = "body";
  return report;
}

function responseReport(
  spec: HttpRequestSpec,
  response: IncomingMessage,
  body: string,
  truncated: boolean,
  p: Progress,
): AttemptReport {
  const status = response.statusCode ?? 0;
  const accepted = spec.successStatus ? spec.successStatus.includes(status) : status >= 200 && status < 300;
  const report: AttemptReport = {
    protocol: p.protocol,
    target: { ...p.seen },
    outcome: accepted ? "connected" : "http-status",
    reached: true,
    phase: "done",
    ms: since(p.start),
    status,
    body,
    ...evidence(p),
  };
  const headers = capturedHeaders(response, spec.captureHeaders ?? PROBE_DEFAULTS.captureHeaders);
  if (Object.keys(headers).length > 0) report.headers = headers;
  if (truncated) report.bodyTruncated = true;
  if (!accepted) report.detail = `HTTP ${status} ${response.statusMessage ?? ""}`.trim();
  const view = { headers: response.headers, body };
  if (p.backend !== undefined) {
    report.backend = p.backend;
    report.backendVia = "same-connection";
  } else {
    const backendFrom = backendSource(spec);
    const backend = backendFrom && readField(backendFrom, view);
    if (backend !== undefined) {
      report.backend = backend;
      report.backendVia = "response";
    }
  }
  const clientFrom = clientIpSource(spec);
  const client = clientFrom && readField(clientFrom, view);
  const address = client === undefined ? undefined : splitHostPort(client);
  if (address) {
    report.clientIp = address.ip;
    if (address.port !== undefined) report.clientPort = address.port;
  }
  return report;
}

function capturedHeaders(response: IncomingMessage, names: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = response.headers[name.toLowerCase()];
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}
