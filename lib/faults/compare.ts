/**
 * `labs verify` on a broken lab: the verdicts against the fault's signature. Where the failures
 * point is read from the verdicts alone (what the failed checks' paths have in common that the
 * passing ones lack), then set beside the fault: "the probes point at DNS: 10 of the 10 failed
 * checks resolve a name, none that does still passes — as expected for `coredns-scaled-to-zero`".
 */
import type { Layer } from "../probes/probes-plan.ts";
import type {
  CheckComparison,
  Expect,
  FaultCheck,
  PointsAt,
  Surprise,
} from "../probes/verdicts/fault-check.ts";
import type { VerdictStatus } from "../probes/verdicts/verdict.ts";
import type { CheckSignature } from "./signature.ts";

interface KeyWords {
  words: string;
  /** What the checks do, as in "10 failed checks <verb>". */
  verb: string;
  /** Smaller is more specific: ties go to the most specific key. */
  rank: number;
}

/** The crossings that name no place of their own: the same words whatever the lab. */
const FIXED_KEYS = new Map<string, KeyWords>(
  Object.entries({
    "dns-upstream": { words: "CoreDNS's upstream", verb: "resolve a name outside the cluster", rank: 4 },
    dns: { words: "DNS", verb: "resolve a name", rank: 5 },
    ingress: { words: "the ingress", verb: "go through the ingress", rank: 5 },
    gateway: { words: "the gateway", verb: "go through the gateway", rank: 5 },
    "load-balancer": { words: "the load balancer", verb: "go through a LoadBalancer IP", rank: 5 },
    "service-proxy": { words: "the service network", verb: "go through a Service address", rank: 6 },
    policy: { words: "NetworkPolicy", verb: "depend on NetworkPolicy", rank: 7 },
    "pod-network": { words: "the pod network", verb: "cross between nodes", rank: 8 },
  }),
);

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
    default:
      return FIXED_KEYS.get(kind) ?? { words: key, verb: `cross ${key}`, rank: 9 };
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
