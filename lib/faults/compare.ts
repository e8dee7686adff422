/**
 * `labs verify` on a broken lab: the verdicts against the fault's signature. Where the failures
 * point is read from the verdicts alone (what the failed checks' paths have in common that the
 * passing ones lack), then set beside the fault: "the probes point at DNS: 10 of the 10 failed
 * checks resolve a name, none that does still passes — as expected for `coredns-scaled-to-zero`".
 */
import type { Layer } from "../probes/probes-plan.ts";
import { VERDICTS, type VerdictStatus } from "../probes/verdicts/verdict.ts";
import { type CheckSignature, EXPECTS, type Expect } from "./signature.ts";

export interface Surprise {
  id: string;
  expected: Expect;
  verdict: VerdictStatus;
  why?: string;
}

export interface PointsAt {
  key: string;
  /** "DNS", "Service echo.demo", "node labs-x-worker", … */
  words: string;
  /** Failed checks whose path crosses it, of all failed checks. */
  failed: number;
  of: number;
  /** Checks whose path crosses it that still passed. */
  stillPassing: number;
  /** A probe whose checks all passed and do not cross it, for contrast. */
  contrast?: string;
}

/** One check of the signature beside what the run saw. */
export interface CheckComparison {
  id: string;
  expected: Expect;
  /** The check's verdict, or `missing` when the run had no such check. */
  observed: VerdictStatus | "missing";
  /** The verdict is what `expected` allows (a skipped or missing check contradicts nothing). */
  matches: boolean;
  why?: string;
}

export interface FaultCheck {
  /** The fault's id, or undefined for a mystery fault. */
  fault?: string;
  /** The fault is a mystery (`labs break --mystery`): its id and signature stay hidden. */
  mystery: boolean;
  /** Every check did what the signature says (may-fail checks either way). */
  matches: boolean;
  surprises: Surprise[];
  pointsAt?: PointsAt;
  /**
   * Every check of the signature, expected beside observed. Left out for a mystery: the whole
   * signature would give the answer away (the surprises alone are shown, as the console does).
   */
  checks?: CheckComparison[];
  /** One line for the console. */
  summary: string;
}

interface KeyWords {
  words: string;
  /** What the checks do, as in "10 failed checks <verb>". */
  verb: string;
  /** Smaller is more specific: ties go to the most specific key. */
  rank: number;
}

function describeKey(key: string): KeyWords {
  const i = key.indexOf(":");
  const kind = i < 0 ? key : key.slice(0, i);
  const rest = i < 0 ? "" : key.slice(i + 1);
  switch (kind) {
    case "service": {
      const [ns, name] = rest.split("/");
      return { words: `Service ${name}.${ns}`, verb: `go through Service ${name}.${ns}`, rank: 1 };
    }
    case "pods": {
      const [a, b] = rest.split("|");
      return { words: `the pod network between ${a} and ${b}`, verb: `cross between ${a} and ${b}`, rank: 0 };
    }
    case "node":
      return { words: `node ${rest}`, verb: `involve ${rest}`, rank: 2 };
    case "namespace":
      return { words: `the pods of namespace ${rest}`, verb: `end at a pod in ${rest}`, rank: 3 };
    case "dataplane":
      return { words: `the nodes' ${rest}`, verb: `inspect ${rest}`, rank: 4 };
    case "dns-upstream":
      return { words: "CoreDNS's upstream", verb: "resolve a name outside the cluster", rank: 4 };
    case "dns":
      return { words: "DNS", verb: "resolve a name", rank: 5 };
    case "ingress":
      return { words: "the ingress", verb: "go through the ingress", rank: 5 };
    case "gateway":
      return { words: "the gateway", verb: "go through the gateway", rank: 5 };
    case "load-balancer":
      return { words: "the load balancer", verb: "go through a LoadBalancer IP", rank: 5 };
    case "service-proxy":
      return { words: "the service network", verb: "go through a Service address", rank: 6 };
    case "policy":
      return { words: "NetworkPolicy", verb: "depend on NetworkPolicy", rank: 7 };
    case "pod-network":
      return { words: "the pod network", verb: "cross between nodes", rank: 8 };
    default:
      return { words: key, verb: `cross ${key}`, rank: 9 };
  }
}

const failed = (v: VerdictStatus) => v === "fail" || v === "error";

function surprise(expected: Expect, verdict: VerdictStatus): boolean {
  if (verdict === "skipped") return false;
  if (expected === "may-fail") return false;
  if (expected === "passes") return verdict !== "pass";
  return verdict === "pass";
}

/** Where the failures point: the crossing shared by most failed checks and fewest passing ones. */
export function pointsAt(
  verdicts: { id: string; verdict: VerdictStatus; probe?: string }[],
  crossings: Record<string, string[]>,
): PointsAt | undefined {
  const bad = verdicts.filter((v) => failed(v.verdict));
  if (!bad.length) return undefined;
  const good = verdicts.filter((v) => v.verdict === "pass");
  const keys = new Set(bad.flatMap((v) => crossings[v.id] ?? []));
  const scored = [...keys].map((key) => ({
    key,
    failed: bad.filter((v) => crossings[v.id]?.includes(key)).length,
    stillPassing: good.filter((v) => crossings[v.id]?.includes(key)).length,
    ...describeKey(key),
  }));
  scored.sort(
    (a, b) =>
      b.failed - b.stillPassing - (a.failed - a.stillPassing) || b.failed - a.failed || a.rank - b.rank,
  );
  const best = scored[0];
  if (!best) return undefined;
  const untouched = new Map<string, boolean>();
  for (const v of verdicts) {
    if (!v.probe || v.verdict === "skipped") continue;
    const ok = v.verdict === "pass" && !(crossings[v.id] ?? []).includes(best.key);
    untouched.set(v.probe, (untouched.get(v.probe) ?? true) && ok);
  }
  const contrast = [...untouched].find(([, ok]) => ok)?.[0];
  return {
    key: best.key,
    words: best.words,
    failed: best.failed,
    of: bad.length,
    stillPassing: best.stillPassing,
    ...(contrast ? { contrast } : {}),
  };
}

/** Compares a run's verdicts with the signature of the fault the lab is broken by. */
export function compareWithFault(
  verdicts: { id: string; verdict: VerdictStatus; probe?: string; layer?: Layer }[],
  signature: CheckSignature[],
  crossings: Record<string, string[]>,
  fault: string | undefined,
): FaultCheck {
  const byId = new Map(verdicts.map((v) => [v.id, v]));
  const surprises: Surprise[] = [];
  const checks: CheckComparison[] = [];
  for (const s of signature) {
    const v = byId.get(s.id);
    const odd = !!v && surprise(s.expect, v.verdict);
    const why = s.why ? { why: s.why } : {};
    checks.push({ id: s.id, expected: s.expect, observed: v?.verdict ?? "missing", matches: !odd, ...why });
    if (v && odd) surprises.push({ id: s.id, expected: s.expect, verdict: v.verdict, ...why });
  }
  const known = verdicts.filter((v) => signature.some((s) => s.id === v.id));
  const at = pointsAt(known, crossings);
  const name = fault ? `\`${fault}\`` : "the mystery fault";
  const matches = surprises.length === 0;
  const verdict = matches
    ? `as expected for ${name}`
    : `not what ${name} does: ${surprises.length} check${surprises.length === 1 ? "" : "s"} ${surprises.length === 1 ? "differs" : "differ"} from its signature (${surprises
        .slice(0, 3)
        .map((x) => `${x.id} ${x.verdict === "pass" ? "passed" : x.verdict}`)
        .join(", ")}${surprises.length > 3 ? ", …" : ""})`;
  let summary: string;
  if (!at) summary = `no probe failed — ${verdict}`;
  else {
    const k = describeKey(at.key);
    const still = at.stillPassing
      ? `${at.stillPassing} of the checks that ${k.verb} still pass${at.stillPassing === 1 ? "es" : ""}`
      : `all the checks that ${k.verb} failed`;
    const contrast = at.contrast ? `, ${at.contrast} still passes` : "";
    summary = `the probes point at ${at.words}: ${at.failed} of the ${at.of} failed checks ${k.verb}; ${still}${contrast} — ${verdict}`;
  }
  return {
    ...(fault ? { fault } : {}),
    mystery: !fault,
    matches,
    surprises,
    ...(at ? { pointsAt: at } : {}),
    ...(fault ? { checks } : {}),
    summary,
  };
}

/** JSON Schema (draft 2020-12) of `FaultCheck`: the `fault` of a probe report (version 2 on). */
export const FAULT_CHECK_SCHEMA = {
  type: "object",
  description:
    "the lab was broken on purpose (`labs break`): its verdicts beside the fault's signature, and where the failures point",
  required: ["mystery", "matches", "surprises", "summary"],
  properties: {
    fault: { type: "string", description: "the fault's id; absent for a mystery fault" },
    mystery: { type: "boolean" },
    matches: {
      type: "boolean",
      description: "every check did what the signature expects (may-fail checks either way)",
    },
    surprises: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "expected", "verdict"],
        properties: {
          id: { type: "string" },
          expected: { enum: [...EXPECTS] },
          verdict: { enum: [...VERDICTS] },
          why: { type: "string" },
        },
        additionalProperties: false,
      },
    },
    pointsAt: {
      type: "object",
      required: ["key", "words", "failed", "of", "stillPassing"],
      properties: {
        key: { type: "string" },
        words: { type: "string" },
        failed: { type: "integer", minimum: 0 },
        of: { type: "integer", minimum: 0 },
        stillPassing: { type: "integer", minimum: 0 },
        contrast: { type: "string" },
      },
      additionalProperties: false,
    },
    checks: {
      type: "array",
      description: "every check of the signature, expected beside observed; absent for a mystery fault",
      items: {
        type: "object",
        required: ["id", "expected", "observed", "matches"],
        properties: {
          id: { type: "string" },
          expected: { enum: [...EXPECTS] },
          observed: { enum: [...VERDICTS, "missing"] },
          matches: { type: "boolean" },
          why: { type: "string" },
        },
        additionalProperties: false,
      },
    },
    summary: { type: "string" },
  },
  additionalProperties: false,
} as const;
