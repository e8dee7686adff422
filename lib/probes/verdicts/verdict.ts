/**
 * Verdicts: what was observed, judged against what the lab's capabilities say should happen.
 *
 * - pass: the observation matches the expectation, evidence included.
 * - fail: it does not; the verdict shows expected and observed side by side.
 * - error: the probe could not run (client pod missing, exec failed, no LB IP yet): nothing was
 *   observed, so nothing can be said about the network.
 * - skipped: the probe does not apply to this lab, with the reason.
 *
 * An expected-blocked path passes only when every attempt (at least two) ended exactly the way the
 * lab's dataplane blocks it (expectation `denial`: a drop, a reject, a name that does not exist):
 * a handshake followed by silence, a refusal where the CNI drops, or a name that never resolved is
 * something else, and fails with what was seen instead. A reachable path passes only on a whole
 * answer with the expected status (200 unless said otherwise; redirects are not answers), from a
 * backend it can name when the check asks which.
 */

import type { ProbeResult } from "../prober/result.ts";
import type { Layer, ProbeInfo, ProbesPlan } from "../probes-plan.ts";
import { attemptInWords, DENIAL_WORDS, resultInWords, showsDenial } from "./evidence.ts";
import {
  isClusterSide,
  type ResolvedCheck,
  type ResolvedClientIp,
  type ResolvedExpectation,
  type ResolvedRun,
} from "./resolver.ts";

export const VERDICTS = ["pass", "fail", "error", "skipped"] as const;
export type VerdictStatus = (typeof VERDICTS)[number];

/** What a node inspection returned (the runtime runs the command with docker exec). */
export interface InspectionResult {
  id: string;
  node: string;
  exitCode: number;
  stdout: string;
  stderr?: string;
  /** The command could not be run at all (docker exec failed). */
  error?: string;
}

export interface Verdict {
  /** Check id, or the probe id for a skipped probe. */
  id: string;
  probe: string;
  layer: Layer;
  title: string;
  /** The path in words, e.g. "probe-worker → echo.demo ClusterIP:80". */
  describes: string;
  source: string;
  target?: string;
  verdict: VerdictStatus;
  /** One line: why it passed, failed, errored or was skipped. */
  message: string;
  expected?: {
    outcome: string;
    reason: string;
    details: string[];
    because?: { capability: string; by: string };
  };
  observed?: { outcome: string; details: string[] };
  /** The raw evidence: the prober's result or the inspection's output. */
  evidence?: ProbeResult | InspectionResult;
}

type Judgement = {
  verdict: VerdictStatus;
  message: string;
  observed?: { outcome: string; details: string[] };
};

/** The expected outcome and evidence in words, for reports. */
export function expectedDetails(e: ResolvedExpectation): string[] {
  const d: string[] = [];
  if (e.denial) d.push(DENIAL_WORDS[e.denial]);
  if (e.status !== undefined) d.push(`HTTP ${e.status}`);
  if (e.backends) d.push(`answered by one of ${e.backends.join(", ")}`);
  if (e.coverage) d.push(`every endpoint answers, and nothing else: ${e.coverage.join(", ")}`);
  if (e.clientIp) d.push(`server sees ${e.clientIp.describes}`);
  if (e.answers) d.push(`DNS answers ${[...e.answers].sort().join(", ")}`);
  if (e.body !== undefined) d.push(`body "${e.body}"`);
  if (e.split)
    d.push(
      `split ${e.split.shares.map((s) => `${s.label} ${s.percent}%`).join(" / ")} ±${e.split.tolerance} over ${e.split.requests}`,
    );
  if (e.contains !== undefined) d.push(`output contains "${e.contains}"`);
  return d;
}

const attemptsText = (r: ProbeResult) => r.attempts.list.map((a) => a.outcome).join(", ");

/** The evidence of a result in words: what was seen, attempt by attempt where there were several. */
function observedOf(r: ProbeResult): { outcome: string; details: string[] } {
  const d: string[] = [];
  const several = !r.coverage && !r.latency && r.attempts.list.length > 1;
  if (several) {
    r.attempts.list.forEach((a, i) => {
      d.push(`attempt ${i + 1}: ${attemptInWords(a)}`);
    });
  } else if (!r.coverage && !r.latency) {
    d.push(resultInWords(r));
  }
  if (r.lookup?.answers.length) d.push(`${r.lookup.name} resolved to ${r.lookup.answers.join(", ")}`);
  if (r.backend !== undefined)
    d.push(
      `answered by ${r.backend}${r.backendVia === "same-connection" ? " (asked first on the same connection)" : ""}`,
    );
  if (r.clientIp !== undefined)
    d.push(
      `server saw ${r.clientIp}${r.localAddress ? ` (the client's own address was ${r.localAddress})` : ""}`,
    );
  if (r.dns) d.push(`DNS ${r.dns.rcode ?? ""} ${r.dns.answers.join(", ")}`.trim());
  if (r.coverage) {
    const c = r.coverage;
    d.push(
      `${c.requests} requests: ${Object.entries(c.counts)
        .map(([k, v]) => `${k}×${v}`)
        .join(", ")}${c.errors ? `; ${c.errors} failed (${failuresText(c.errorOutcomes)})` : ""}`,
    );
  }
  if (r.detail && (r.coverage || r.latency)) d.push(r.detail);
  return { outcome: r.outcome, details: d };
}

function failuresText(counts: Partial<Record<string, number>> | undefined): string {
  const entries = Object.entries(counts ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}×${v}`).join(", ") : "outcomes not recorded";
}

/** Judges an expected block: every attempt must end the way the lab's dataplane blocks. */
function judgeBlocked(e: ResolvedExpectation, r: ProbeResult, observed: Judgement["observed"]): Judgement {
  const failed = (message: string): Judgement => ({ verdict: "fail", message, observed });
  const attempts = r.attempts.list;
  const leak = attempts.find((a) => a.reached);
  if (leak || r.outcome === "connected" || r.outcome === "http-status") {
    const what = leak ? attemptInWords(leak) : resultInWords(r);
    return failed(`expected blocked, but the target answered: ${what}`);
  }
  if (!e.denial) {
    return {
      verdict: "error",
      message: `nothing says how this dataplane blocks the path, so no observation can prove it (${e.reason}); seen: ${attempts.map(attemptInWords).join("; ")}`,
      observed,
    };
  }
  if (attempts.length < 2 || r.blockConfirmed !== true) {
    return failed(
      `expected ${DENIAL_WORDS[e.denial]} on every attempt, but the block was not confirmed (${attempts.length} attempt${attempts.length === 1 ? "" : "s"}: ${attemptsText(r) || "none"})`,
    );
  }
  const other = attempts.find((a) => !showsDenial(a, e.denial!));
  if (other) {
    return failed(
      `expected ${DENIAL_WORDS[e.denial]}, which is how this lab blocks it, but ${attemptInWords(other)}`,
    );
  }
  return {
    verdict: "pass",
    message: `${DENIAL_WORDS[e.denial]} on all ${attempts.length} attempts: ${e.reason}`,
    observed,
  };
}

/** The address the server saw, against what the expectation says it must be. */
function judgeClientIp(
  c: ResolvedClientIp,
  r: ProbeResult,
  clusterSide: (ip: string) => boolean,
): string | undefined {
  const seen = r.clientIp;
  if (seen === undefined) return "the server did not report the client address it saw";
  const own = r.localAddress;
  if (c.equals !== undefined && seen !== c.equals) return `the server saw ${seen}, expected ${c.describes}`;
  if (c.ownAddress) {
    if (!own) return "the prober did not record its own address, so a kept source cannot be shown";
    if (seen !== own)
      return `the server saw ${seen}, but the client's own address was ${own}: something on the way rewrote the source`;
  }
  if (c.clusterSide !== undefined && clusterSide(seen) !== c.clusterSide)
    return `the server saw ${seen}, expected ${c.describes}`;
  if (c.perBackend) {
    const pod = r.backend;
    if (pod === undefined || r.backendVia !== "same-connection")
      return "the answer was not tied to the pod that gave it, so SNAT cannot be judged per pod";
    const others = c.perBackend.otherNodes[pod];
    if (!others) return `answered by ${pod}, which is not a ready pod of the Service`;
    const unchanged = c.perBackend.unchanged;
    const kept = "ownAddress" in unchanged ? own !== undefined && seen === own : seen === unchanged.equals;
    if (!kept && !others.includes(seen)) {
      const before = "ownAddress" in unchanged ? `the client's own address ${own ?? "?"}` : unchanged.equals;
      return `${pod} saw ${seen}: neither ${before} (no SNAT, the pod runs on the node the traffic entered) nor another node's address (${others.join(", ")}: SNAT towards a pod elsewhere)`;
    }
  }
  return undefined;
}

/** Coverage: every endpoint answered, nothing else did, and no request failed. */
function judgeCoverage(e: ResolvedExpectation, r: ProbeResult): string | undefined {
  const c = r.coverage;
  if (!c) return "the result holds no coverage counts";
  const expected = e.coverage ?? [];
  const strays = Object.keys(c.counts).filter((b) => !expected.includes(b));
  if (strays.length)
    return `answers also came from ${strays.map((b) => `${b}×${c.counts[b]}`).join(", ")}, which ${strays.length === 1 ? "is not an endpoint" : "are not endpoints"} of the Service`;
  if (c.errors > 0)
    return `${c.errors} of ${c.requests} requests failed (${failuresText(c.errorOutcomes)}): an endpoint that does not answer takes part of the traffic`;
  const missing = expected.filter((b) => !(b in c.counts));
  if (missing.length) return `endpoints never answered in ${c.requests} requests: ${missing.join(", ")}`;
  if (e.coverageMinRequests !== undefined && c.requests < e.coverageMinRequests)
    return `only ${c.requests} of the ${e.coverageMinRequests} requests needed to rule out a stray endpoint were made`;
  return undefined;
}

/** Judges one engine result against its resolved expectation. */
export function judgeResult(
  e: ResolvedExpectation,
  r: ProbeResult | undefined,
  /** Whether an address is a node's or in the pod CIDR (SNAT checks). */
  clusterSide: (ip: string) => boolean = () => false,
): Judgement {
  if (!r) return { verdict: "error", message: "no result came back: the batch did not run or was cut short" };
  const observed = observedOf(r);
  const failed = (message: string): Judgement => ({ verdict: "fail", message, observed });
  if (r.outcome === "error") {
    // Past a handshake the target was there: what it did (bytes that are not HTTP, a certificate
    // that does not verify, a connection it would not keep) is an observation of the network,
    // not a probe that could not run.
    const reached = r.attempts.list.find((a) => a.reached && a.phase !== undefined);
    if (!reached) {
      return {
        verdict: "error",
        message: `the probe could not run: ${r.error ?? r.detail ?? "unknown error"}`,
        observed,
      };
    }
    if (e.outcome !== "blocked") {
      const extra = r.error && r.error !== reached.detail ? `: ${r.error}` : "";
      const wanted = e.outcome === "status" ? `HTTP ${e.status}` : "an answer";
      return failed(`expected ${wanted}, but ${attemptInWords(reached)}${extra}`);
    }
  }
  const passed = (message: string): Judgement => ({ verdict: "pass", message, observed });

  if (e.outcome === "blocked") return judgeBlocked(e, r, observed);
  if (e.split) return judgeSplit(e, r, observed);
  if (e.outcome === "status") {
    return r.status === e.status && r.outcome === "connected"
      ? passed(`HTTP ${r.status}: ${e.reason}`)
      : failed(`expected HTTP ${e.status}, but ${resultInWords(r)}`);
  }
  if (e.coverage && r.coverage) {
    const wrong = judgeCoverage(e, r);
    if (wrong) return failed(wrong);
  }
  if (r.outcome !== "connected") return failed(`expected an answer, but ${resultInWords(r)}`);
  if (e.status !== undefined && r.status !== e.status)
    return failed(`expected HTTP ${e.status}, but ${resultInWords(r)}`);
  if (e.backends && !e.coverage) {
    if (r.backend === undefined) return failed("the answer did not say which pod gave it");
    if (!e.backends.includes(r.backend))
      return failed(`answered by ${r.backend}, expected one of ${e.backends.join(", ")}`);
  }
  if (e.clientIp) {
    const wrong = judgeClientIp(e.clientIp, r, clusterSide);
    if (wrong) return failed(wrong);
  }
  if (e.answers) {
    const got = [...(r.dns?.answers ?? [])].sort();
    const want = [...e.answers].sort();
    if (got.join(",") !== want.join(","))
      return failed(`DNS answered ${got.join(", ") || "nothing"}, expected ${want.join(", ")}`);
  }
  if (e.body !== undefined && (r.body ?? "").trim() !== e.body) {
    return failed(`the body was "${(r.body ?? "").trim()}", expected "${e.body}"`);
  }
  return passed(e.reason);
}

function judgeSplit(e: ResolvedExpectation, r: ProbeResult, observed: Judgement["observed"]): Judgement {
  const split = e.split!;
  const fail = (message: string): Judgement => ({ verdict: "fail", message, observed });
  const c = r.coverage;
  const counts = c?.counts ?? {};
  const known = new Set(split.shares.flatMap((s) => s.backends));
  const strays = Object.keys(counts).filter((b) => !known.has(b));
  if (strays.length)
    return fail(
      `answers also came from ${strays.map((b) => `${b}×${counts[b]}`).join(", ")}, which no route backend runs`,
    );
  if (c && c.errors > 0)
    return fail(`${c.errors} of ${c.requests} requests failed (${failuresText(c.errorOutcomes)})`);
  const answered = Object.values(counts).reduce((n, x) => n + x, 0);
  if (answered < split.requests) {
    return fail(`only ${answered} of ${split.requests} requests were answered`);
  }
  const shares = split.shares.map((s) => {
    const n = s.backends.reduce((sum, b) => sum + (counts[b] ?? 0), 0);
    return { ...s, seen: Math.round((n / answered) * 1000) / 10 };
  });
  const text = shares.map((s) => `${s.label} ${s.seen}% (want ${s.percent}%)`).join(", ");
  const off = shares.filter((s) => Math.abs(s.seen - s.percent) > split.tolerance);
  return off.length
    ? fail(`split outside ±${split.tolerance} points: ${text}`)
    : {
        verdict: "pass",
        message: `split within ±${split.tolerance} points over ${answered} answers: ${text}`,
        observed,
      };
}

export function judgeInspection(e: ResolvedExpectation, r: InspectionResult | undefined): Judgement {
  if (!r) return { verdict: "error", message: "the inspection did not run" };
  if (r.error) return { verdict: "error", message: `the command could not run: ${r.error}` };
  const excerpt = r.stdout.trim().split("\n").slice(0, 3).join(" ⏎ ").slice(0, 200);
  const observed = { outcome: `exit ${r.exitCode}`, details: excerpt ? [excerpt] : [] };
  if (r.exitCode !== 0) {
    return {
      verdict: "fail",
      message: `the command exited ${r.exitCode}: ${(r.stderr ?? "").trim().slice(0, 200)}`,
      observed,
    };
  }
  if (e.contains !== undefined && !r.stdout.includes(e.contains)) {
    return { verdict: "fail", message: `the output does not contain "${e.contains}": ${excerpt}`, observed };
  }
  return {
    verdict: "pass",
    message: e.contains !== undefined ? `the output contains "${e.contains}"` : e.reason,
    observed,
  };
}

function verdictOf(
  info: ProbeInfo,
  rc: ResolvedCheck,
  judged: Judgement,
  evidence?: ProbeResult | InspectionResult,
): Verdict {
  const v: Verdict = {
    id: rc.check.id,
    probe: info.id,
    layer: info.layer,
    title: info.title,
    describes: rc.check.describes,
    source: rc.source,
    verdict: judged.verdict,
    message: judged.message,
    expected: { outcome: rc.expect.outcome, reason: rc.expect.reason, details: expectedDetails(rc.expect) },
  };
  if (rc.expect.because) v.expected!.because = rc.expect.because;
  if (rc.target) v.target = rc.target;
  if (judged.observed) v.observed = judged.observed;
  if (evidence) v.evidence = evidence;
  return v;
}

/**
 * Every check's verdict, plus one `skipped` verdict per probe that does not apply, in catalogue
 * order. `results` are the engine's results from all batches; `inspections` the node commands'.
 */
export function judgeRun(
  plan: ProbesPlan,
  run: ResolvedRun,
  results: ProbeResult[],
  inspections: InspectionResult[] = [],
  facts?: Parameters<typeof isClusterSide>[1],
): Verdict[] {
  const clusterSide = facts ? (ip: string) => isClusterSide(ip, facts) : () => false;
  const byId = new Map(results.map((r) => [r.id, r]));
  const inspectionsById = new Map(inspections.map((r) => [r.id, r]));
  const out: Verdict[] = [];
  for (const info of plan.probes) {
    const skipped = plan.skipped.find((s) => s.probe === info.id);
    if (skipped) {
      out.push({
        id: info.id,
        probe: info.id,
        layer: info.layer,
        title: info.title,
        describes: info.title,
        source: "-",
        verdict: "skipped",
        message: skipped.reason,
      });
      continue;
    }
    for (const rc of run.checks.filter((c) => c.check.probe === info.id)) {
      if (rc.problem) {
        out.push(
          verdictOf(info, rc, { verdict: "error", message: `the probe could not run: ${rc.problem}` }),
        );
      } else if (rc.check.action.kind === "inspect") {
        const r = inspectionsById.get(rc.check.id);
        out.push(verdictOf(info, rc, judgeInspection(rc.expect, r), r));
      } else {
        const r = byId.get(rc.check.id);
        out.push(verdictOf(info, rc, judgeResult(rc.expect, r, clusterSide), r));
      }
    }
  }
  return out;
}

export function summarize(verdicts: Verdict[]): Record<VerdictStatus, number> & { total: number } {
  const s = { pass: 0, fail: 0, error: 0, skipped: 0, total: verdicts.length };
  for (const v of verdicts) s[v.verdict]++;
  return s;
}
