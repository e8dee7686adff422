/**
 * The engine plan: the JSON document the prober runs, on the host or inside a probe pod, with
 * concrete addresses. Not the lab's `ProbesPlan` (../probes-plan.ts), which is symbolic: the
 * resolver turns that into one engine plan per source once the cluster's facts are known.
 *
 * The validator is hand-written on purpose: this file is bundled into the prober that runs in a
 * bare `node` image, so it must not pull in zod or any other package. It checks every field,
 * rejects unknown ones (a typo such as `expects` must not silently drop an expectation) and
 * reports the path of each bad field, e.g. `probes[3].port`.
 *
 * Adding a probe kind: declare its type here, add it to `Probe`, write its validator and add
 * one line to `KIND_VALIDATORS`; then one runner file beside this one and one line in
 * `registry.ts`.
 */
import { isIP } from "node:net";
import { EXIT, LabError } from "../../model/errors.ts";
import { OUTCOMES, type Outcome } from "./outcome.ts";

export const PLAN_VERSION = 1;

/** What the prober uses when the plan says nothing. */
export const PROBE_DEFAULTS = {
  /** Limit for one attempt: one connection, one request, one lookup. */
  timeoutMs: 2_000,
  /** How long an expected-reachable probe keeps re-attempting failures. */
  retryWindowMs: 3_000,
  /** First pause between re-attempts; doubles up to `maxBackoffMs`. */
  backoffMs: 100,
  maxBackoffMs: 1_000,
  /** Attempts of an expected-blocked probe: a block is only confirmed when seen this many times. */
  blockedAttempts: 2,
  /**
   * The attempts of an expected-blocked probe run at once, each started this long after the
   * previous one: separate connections (their own source ports, their own conntrack entries), so
   * two independent observations in one timeout instead of two timeouts back to back.
   */
  blockedStaggerMs: 100,
  maxBodyBytes: 16 * 1024,
  captureHeaders: ["content-type", "location", "server"],
  coverageWindowMs: 10_000,
  coverageMaxRequests: 1_000,
  convergenceIntervalMs: 200,
  convergenceWindowMs: 30_000,
  /** Probes in flight at once. Probes mostly wait on the network, so this can be high. */
  concurrency: 128,
  /** The whole plan must finish within this; probes still running are cut and reported. */
  deadlineMs: 300_000,
} as const;

export type Expect = "reachable" | "blocked";
export const PROBE_KINDS = ["tcp", "http", "udp", "dns", "latency", "coverage", "convergence"] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export interface EnginePlan {
  version: 1;
  probes: Probe[];
  /** Probes in flight at once (default `PROBE_DEFAULTS.concurrency`). */
  concurrency?: number;
  /** Deadline for the whole plan, in ms. */
  deadlineMs?: number;
  /** Defaults for every probe of this plan. */
  defaults?: { timeoutMs?: number; retryWindowMs?: number };
}

export type Probe =
  | TcpProbe
  | HttpProbe
  | UdpProbe
  | DnsProbe
  | LatencyProbe
  | CoverageProbe
  | ConvergenceProbe;
export type ProbeOf<K extends ProbeKind> = Extract<Probe, { kind: K }>;

interface ProbeCommon {
  /** Unique in the plan; the result carries it back. */
  id: string;
  /** Limit for one attempt, in ms. */
  timeoutMs?: number;
}

/**
 * Single-shot probes can say what they expect, which sets the flake discipline: expected-reachable
 * probes re-attempt failures within `retryWindowMs`; expected-blocked probes are attempted twice
 * and never retried into a pass.
 */
interface Expectable {
  expect?: Expect;
  retryWindowMs?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

/** Where to read a value from an HTTP response. */
export type FieldSource =
  | { from: "body" }
  | { from: "header"; name: string }
  | { from: "json"; path: string };

export interface HttpRequestSpec {
  /** http:// or https:// URL; the host part may be a name or an IP. */
  url: string;
  method?: string;
  /** Host header, e.g. an Ingress host when the URL names the node IP. Also the TLS SNI. */
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  insecureSkipVerify?: boolean;
  /** TLS server name; defaults to `host`, else the URL's host name (when it is not an IP). */
  serverName?: string;
  /** Response headers to carry in the result (case-insensitive). */
  captureHeaders?: string[];
  maxBodyBytes?: number;
  /**
   * Statuses that count as `connected`; others give `http-status`. Default 200–299: redirects are
   * never followed, and a 3xx is not the answer a check asked for.
   */
  successStatus?: number[];
  /** Which backend answered. Default: the body, when the path ends in `/hostname`. */
  backendFrom?: FieldSource;
  /** The client address the server saw (`ip:port`). Default: the body, when the path ends in `/clientip`. */
  clientIpFrom?: FieldSource;
  /**
   * Asked first (GET, same host and headers) on a kept-alive connection that then carries the
   * request itself; its body names the backend (agnhost `/hostname`). For paths balanced per
   * connection (Services, L4 load balancers), both answers then come from one backend, so what
   * the request shows (e.g. `/clientip`) can be tied to the pod that saw it.
   */
  backendPath?: string;
}

export interface TcpProbe extends ProbeCommon, Expectable, HostPort {
  kind: "tcp";
}

export interface HttpProbe extends ProbeCommon, Expectable, HttpRequestSpec {
  kind: "http";
}

export interface UdpProbe extends ProbeCommon, Expectable, HostPort {
  kind: "udp";
  /** Sent as one datagram. agnhost netexec answers `hostname`, `echo <msg>` and `clientip`. */
  payload: string;
}

export interface DnsProbe extends ProbeCommon, Expectable {
  kind: "dns";
  name: string;
  type?: "A" | "AAAA" | "SRV";
  /** `ip`, `ip:port` or `[ipv6]:port`. Default: the servers of /etc/resolv.conf. */
  server?: string;
  /**
   * `resolver` (default) asks the DNS server directly and reports the rcode; `lookup` uses
   * getaddrinfo like most programs do (search domains, /etc/hosts), A/AAAA only, no `server`.
   */
  resolver?: "resolver" | "lookup";
}

/** The probe a latency or convergence probe repeats. */
export type SubProbe = ({ kind: "tcp" } & HostPort) | ({ kind: "http" } & HttpRequestSpec);

export interface LatencyProbe extends ProbeCommon {
  kind: "latency";
  /** Number of requests (or TCP connections). */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  target: SubProbe;
}

export interface CoverageProbe extends ProbeCommon {
  kind: "coverage";
  request: HttpRequestSpec;
  /**
   * Backend names that must all answer (e.g. pod names behind a ClusterIP), read from each
   * response by `request.backendFrom`, by default the whole body (agnhost `/hostname`).
   */
  backends: string[];
  /** Keep asking for this long (ms). */
  windowMs?: number;
  maxRequests?: number;
  /**
   * Make exactly this many requests (within the window) and count the answers per backend, e.g.
   * to measure a traffic split, instead of stopping once every backend has answered.
   */
  sample?: number;
  /**
   * Keep asking until at least this many requests were made, even once every backend answered:
   * a stray backend (a pod outside the Service, a dead endpoint) that takes a share of the
   * connections shows only if enough are made.
   */
  minRequests?: number;
}

export interface ConvergenceTarget {
  outcome?: Outcome;
  status?: number;
  backend?: string;
}

export interface ConvergenceProbe extends ProbeCommon {
  kind: "convergence";
  probe: SubProbe;
  intervalMs?: number;
  /** Give up after this long (ms). */
  windowMs?: number;
  /** Stop when a poll matches this; without it, stop when the outcome (or status) first changes. */
  until?: ConvergenceTarget;
}

export interface PlanProblem {
  path: string;
  message: string;
}

/** Every problem of a plan; empty when the plan is valid. */
export function checkPlan(input: unknown): PlanProblem[] {
  const problems: PlanProblem[] = [];
  if (!isRecord(input)) {
    problems.push({ path: "(plan)", message: `expected a JSON object, got ${describe(input)}` });
    return problems;
  }
  const plan = new FieldReader(input, "", problems);
  const version = plan.get("version");
  if (version !== PLAN_VERSION) {
    plan.fail(
      "version",
      `expected ${PLAN_VERSION}, got ${describe(version)} (this prober reads plan version 1)`,
    );
  }
  plan.int("concurrency", 1, 10_000);
  plan.int("deadlineMs", 1, 24 * 3600_000);
  const defaults = plan.object("defaults");
  if (defaults) {
    defaults.int("timeoutMs", 1, 600_000);
    defaults.int("retryWindowMs", 0, 600_000);
    defaults.rejectUnknown();
  }
  const probes = plan.get("probes");
  if (!Array.isArray(probes)) {
    plan.fail("probes", `expected an array of probes, got ${describe(probes)}`);
  } else {
    const ids = new Map<string, number>();
    probes.forEach((probe, i) => {
      const path = `probes[${i}]`;
      if (!isRecord(probe)) {
        problems.push({ path, message: `expected a probe object, got ${describe(probe)}` });
        return;
      }
      const id = probe["id"];
      if (typeof id === "string" && ids.has(id)) {
        problems.push({ path: `${path}.id`, message: `duplicate id "${id}" (also probes[${ids.get(id)}])` });
      } else if (typeof id === "string") ids.set(id, i);
      checkProbe(new FieldReader(probe, path, problems));
    });
  }
  plan.rejectUnknown();
  return problems;
}

/** The plan, typed, or a `LabError` (exit code 2) naming the first bad field. */
export function parsePlan(input: unknown): EnginePlan {
  const problems = checkPlan(input);
  const first = problems[0];
  if (first) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    throw new LabError(
      `invalid probe plan: ${first.path}: ${first.message}${more}`,
      "fix the plan generator or the plan file",
      EXIT.usage,
    );
  }
  return input as unknown as EnginePlan;
}

type KindValidator = (probe: FieldReader) => void;

const KIND_VALIDATORS: Record<ProbeKind, KindValidator> = {
  tcp: (p) => {
    checkExpectable(p);
    checkHostPort(p);
  },
  http: (p) => {
    checkExpectable(p);
    checkHttpRequest(p);
  },
  udp: (p) => {
    checkExpectable(p);
    checkHostPort(p);
    p.string("payload", { required: true, allowEmpty: true });
  },
  dns: checkDns,
  latency: (p) => {
    p.int("requests", 1, 100_000, true);
    p.int("concurrency", 1, 1_000, true);
    checkSubProbe(p, "target");
  },
  coverage: (p) => {
    const request = p.object("request", true);
    if (request) {
      checkHttpRequest(request);
      request.rejectUnknown();
    }
    const backends = p.stringList("backends", true);
    if (backends && backends.length === 0) p.fail("backends", "expected at least one backend name");
    if (backends && new Set(backends).size !== backends.length)
      p.fail("backends", "backend names must be unique");
    p.int("windowMs", 1, 600_000);
    p.int("maxRequests", 1, 1_000_000);
    p.int("sample", 1, 1_000_000);
    p.int("minRequests", 1, 1_000_000);
  },
  convergence: (p) => {
    checkSubProbe(p, "probe");
    p.int("intervalMs", 1, 60_000);
    p.int("windowMs", 1, 3_600_000);
    const until = p.object("until");
    if (until) {
      until.oneOf("outcome", OUTCOMES);
      until.int("status", 100, 599);
      until.string("backend");
      if (Object.keys(until.obj).length === 0)
        p.fail("until", "name at least one of outcome, status, backend");
      until.rejectUnknown();
    }
  },
};

function checkProbe(p: FieldReader): void {
  p.string("id", { required: true, pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,252}$/ });
  p.int("timeoutMs", 1, 600_000);
  const kind = p.oneOf("kind", PROBE_KINDS, true);
  // Without a known kind the other fields cannot be judged; the kind problem is enough.
  if (!kind) return;
  KIND_VALIDATORS[kind](p);
  p.rejectUnknown();
}

function checkExpectable(p: FieldReader): void {
  p.oneOf("expect", ["reachable", "blocked"] as const);
  p.int("retryWindowMs", 0, 600_000);
}

function checkHostPort(p: FieldReader): void {
  p.string("host", { required: true, check: hostProblem });
  p.int("port", 1, 65_535, true);
}

function checkSubProbe(parent: FieldReader, key: string): void {
  const sub = parent.object(key, true);
  if (!sub) return;
  const kind = sub.oneOf("kind", ["tcp", "http"] as const, true);
  if (!kind) return;
  if (kind === "tcp") checkHostPort(sub);
  else checkHttpRequest(sub);
  sub.rejectUnknown();
}

function checkHttpRequest(p: FieldReader): void {
  p.string("url", {
    required: true,
    check: (url) => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return "expected an absolute http:// or https:// URL";
      }
      return parsed.protocol === "http:" || parsed.protocol === "https:"
        ? undefined
        : `expected http:// or https://, got ${parsed.protocol}//`;
    },
  });
  p.string("method", { pattern: /^[A-Z]{1,16}$/, patternHint: "an upper-case HTTP method such as GET" });
  p.string("host", { pattern: HOST_HEADER_PATTERN, patternHint: "a host name, optionally with :port" });
  const headers = p.stringMap("headers");
  if (headers) {
    for (const name of Object.keys(headers)) {
      if (!HEADER_NAME.test(name)) p.fail(`headers.${name}`, "not a valid HTTP header name");
      if (name.toLowerCase() === "host")
        p.fail(`headers.${name}`, "set the Host header with the `host` field");
    }
  }
  p.string("body", { allowEmpty: true });
  p.bool("insecureSkipVerify");
  p.string("serverName", { pattern: DNS_NAME, patternHint: "a DNS name" });
  const capture = p.stringList("captureHeaders");
  capture?.forEach((name, i) => {
    if (!HEADER_NAME.test(name)) p.fail(`captureHeaders[${i}]`, "not a valid HTTP header name");
  });
  p.int("maxBodyBytes", 0, 10 * 1024 * 1024);
  const statuses = p.get("successStatus");
  if (statuses !== undefined) {
    if (!Array.isArray(statuses) || statuses.length === 0) {
      p.fail("successStatus", `expected a non-empty array of HTTP statuses, got ${describe(statuses)}`);
    } else {
      statuses.forEach((s, i) => {
        if (!Number.isInteger(s) || (s as number) < 100 || (s as number) > 599) {
          p.fail(`successStatus[${i}]`, `expected an HTTP status 100–599, got ${describe(s)}`);
        }
      });
    }
  }
  checkFieldSource(p, "backendFrom");
  checkFieldSource(p, "clientIpFrom");
  p.string("backendPath", { pattern: /^\/[^\s]*$/, patternHint: "an absolute path such as /hostname" });
}

function checkFieldSource(parent: FieldReader, key: string): void {
  const source = parent.object(key);
  if (!source) return;
  const from = source.oneOf("from", ["body", "header", "json"] as const, true);
  if (from === "header")
    source.string("name", { required: true, pattern: HEADER_NAME, patternHint: "a header name" });
  if (from === "json")
    source.string("path", { required: true, pattern: /^[^.]+(\.[^.]+)*$/, patternHint: "a.b.c" });
  source.rejectUnknown();
}

function checkDns(p: FieldReader): void {
  checkExpectable(p);
  p.string("name", { required: true, pattern: DNS_NAME, patternHint: "a DNS name" });
  const type = p.oneOf("type", ["A", "AAAA", "SRV"] as const);
  const resolver = p.oneOf("resolver", ["resolver", "lookup"] as const);
  const server = p.string("server", {
    check: (s) => (parseDnsServer(s) ? undefined : "expected ip, ip:port or [ipv6]:port"),
  });
  if (resolver === "lookup" && server !== undefined) {
    p.fail("server", "the `lookup` resolver uses the system configuration; drop `server` or use `resolver`");
  }
  if (resolver === "lookup" && type === "SRV")
    p.fail("type", "the `lookup` resolver answers A and AAAA only");
}

/** Splits a DNS server address into ip and port, or undefined when it is not one. */
export function parseDnsServer(server: string): { ip: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(server);
  if (bracketed) return ipAndPort(bracketed[1]!, bracketed[2], 6);
  if (isIP(server) === 6) return { ip: server, port: 53 };
  const [ip, port, ...rest] = server.split(":");
  if (rest.length > 0 || ip === undefined) return undefined;
  return ipAndPort(ip, port, 4);
}

function ipAndPort(ip: string, port: string | undefined, family: 4 | 6) {
  const n = port === undefined ? 53 : Number(port);
  if (isIP(ip) !== family || !Number.isInteger(n) || n < 1 || n > 65_535) return undefined;
  return { ip, port: n };
}

const DNS_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})$/;
const HOST_HEADER_PATTERN = /^[A-Za-z0-9_.\-[\]:]{1,260}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function hostProblem(host: string): string | undefined {
  return isIP(host) !== 0 || DNS_NAME.test(host)
    ? undefined
    : "expected a DNS name or an IP address (no port, no brackets)";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

interface StringRule {
  required?: boolean;
  allowEmpty?: boolean;
  pattern?: RegExp;
  patternHint?: string;
  check?: (value: string) => string | undefined;
}

/** Reads the fields of one JSON object, records problems with their path, remembers what was read. */
class FieldReader {
  private readonly read = new Set<string>();

  constructor(
    readonly obj: Record<string, unknown>,
    private readonly path: string,
    private readonly problems: PlanProblem[],
  ) {}

  get(key: string): unknown {
    this.read.add(key);
    return this.obj[key];
  }

  fail(key: string, message: string): void {
    this.problems.push({ path: this.path ? `${this.path}.${key}` : key, message });
  }

  private missing(key: string, value: unknown, required: boolean): boolean {
    if (value !== undefined) return false;
    if (required) this.fail(key, "required");
    return true;
  }

  string(key: string, rule: StringRule = {}): string | undefined {
    const value = this.get(key);
    if (this.missing(key, value, rule.required ?? false)) return undefined;
    if (typeof value !== "string") return this.wrong(key, "a string", value);
    if (value === "" && !rule.allowEmpty) return this.wrong(key, "a non-empty string", value);
    if (rule.pattern && value !== "" && !rule.pattern.test(value)) {
      return this.wrong(key, rule.patternHint ?? `a string matching ${rule.pattern}`, value);
    }
    const problem = rule.check?.(value);
    if (problem) {
      this.fail(key, `${problem}, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  int(key: string, min: number, max: number, required = false): number | undefined {
    const value = this.get(key);
    if (this.missing(key, value, required)) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      return this.wrong(key, `an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  bool(key: string): boolean | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") return this.wrong(key, "true or false", value);
    return value;
  }

  oneOf<T extends string>(key: string, values: readonly T[], required = false): T | undefined {
    const value = this.get(key);
    if (this.missing(key, value, required)) return undefined;
    if (typeof value !== "string" || !(values as readonly string[]).includes(value)) {
      return this.wrong(key, `one of ${values.join(", ")}`, value);
    }
    return value as T;
  }

  stringList(key: string, required = false): string[] | undefined {
    const value = this.get(key);
    if (this.missing(key, value, required)) return undefined;
    if (!Array.isArray(value)) return this.wrong(key, "an array of strings", value);
    let ok = true;
    value.forEach((item, i) => {
      if (typeof item !== "string" || item === "") {
        this.fail(`${key}[${i}]`, `expected a non-empty string, got ${describe(item)}`);
        ok = false;
      }
    });
    return ok ? (value as string[]) : undefined;
  }

  stringMap(key: string): Record<string, string> | undefined {
    const value = this.get(key);
    if (value === undefined) return undefined;
    if (!isRecord(value)) return this.wrong(key, "an object of strings", value);
    let ok = true;
    for (const [name, item] of Object.entries(value)) {
      if (typeof item !== "string") {
        this.fail(`${key}.${name}`, `expected a string, got ${describe(item)}`);
        ok = false;
      }
    }
    return ok ? (value as Record<string, string>) : undefined;
  }

  object(key: string, required = false): FieldReader | undefined {
    const value = this.get(key);
    if (this.missing(key, value, required)) return undefined;
    if (!isRecord(value)) return this.wrong(key, "an object", value);
    return new FieldReader(value, this.path ? `${this.path}.${key}` : key, this.problems);
  }

  /** Call last: every field not read by a check is unknown. */
  rejectUnknown(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.read.has(key)) this.fail(key, "unknown field");
    }
  }

  private wrong(key: string, expected: string, value: unknown): undefined {
    this.fail(key, `expected ${expected}, got ${describe(value)}`);
    return undefined;
  }
}
