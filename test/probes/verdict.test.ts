import { describe, expect, it } from "vitest";
import type { AttemptRecord, ProbeResult } from "../../lib/probes/prober/result.ts";
import type { ResolvedExpectation } from "../../lib/probes/verdicts/resolver.ts";
import { judgeInspection, judgeResult } from "../../lib/probes/verdicts/verdict.ts";

const attempt = (
  outcome: AttemptRecord["outcome"],
  phase: AttemptRecord["phase"] = outcome === "connected" ? "done" : "connect",
  reached = outcome === "connected",
): AttemptRecord => ({ outcome, reached, phase, ms: 5 });

function result(
  over: Partial<ProbeResult> & Pick<ProbeResult, "outcome">,
  attempts = [attempt(over.outcome)],
): ProbeResult {
  return {
    id: "x",
    kind: "http",
    protocol: "http",
    source: { name: "probe-worker" },
    target: { asked: "http://10.0.0.1/hostname" },
    startedAt: "2026-01-01T00:00:00.000Z",
    totalMs: 10,
    attempts: { count: attempts.length, list: attempts },
    ...over,
  };
}

const reachable: ResolvedExpectation = { outcome: "reachable", reason: "the path exists" };
const blocked: ResolvedExpectation = {
  outcome: "blocked",
  denial: "drop",
  reason: "default-deny-ingress blocks it",
};

describe("verdicts", () => {
  it("passes a reachable path answered by an expected backend", () => {
    const e = { ...reachable, backends: ["echo-a", "echo-b"] };
    expect(judgeResult(e, result({ outcome: "connected", backend: "echo-b" })).verdict).toBe("pass");
    const wrong = judgeResult(e, result({ outcome: "connected", backend: "other-pod" }));
    expect(wrong.verdict).toBe("fail");
    expect(wrong.message).toBe("answered by other-pod, expected one of echo-a, echo-b");
    expect(wrong.observed?.details).toContain("answered by other-pod");
  });

  it("fails a reachable path that timed out, showing what was observed", () => {
    const v = judgeResult(
      reachable,
      result({ outcome: "timeout", phase: "connect", detail: "no answer within 2000 ms" }, [
        attempt("timeout"),
        attempt("timeout"),
      ]),
    );
    expect(v.verdict).toBe("fail");
    expect(v.message).toBe(
      "expected an answer, but no handshake within the timeout: nothing answered the SYN (no answer within 2000 ms)",
    );
    expect(v.observed).toMatchObject({
      outcome: "timeout",
      details: expect.arrayContaining([expect.stringMatching(/^attempt 2: no handshake/)]),
    });
  });

  it("calls a probe that could not run an error, not a failure", () => {
    expect(judgeResult(reachable, result({ outcome: "error", error: "exec failed" })).verdict).toBe("error");
    expect(judgeResult(reachable, undefined)).toMatchObject({
      verdict: "error",
      message: expect.stringContaining("no result"),
    });
  });

  it("passes a block only on the lab's own denial, seen on every attempt", () => {
    const dropped = result(
      { outcome: "timeout", phase: "connect", expect: "blocked", blockConfirmed: true },
      [attempt("timeout"), attempt("timeout")],
    );
    expect(judgeResult(blocked, dropped)).toMatchObject({
      verdict: "pass",
      message: expect.stringContaining("dropped: no handshake before the timeout on all 2 attempts"),
    });

    // A refusal is a host answering (no listener, or a reject rule): not this CNI's drop.
    const refused = result(
      { outcome: "refused", phase: "connect", expect: "blocked", blockConfirmed: true },
      [attempt("refused"), attempt("refused")],
    );
    expect(judgeResult(blocked, refused)).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining("refused at once: a TCP RST"),
    });
    // ... but it is the block of a dataplane that rejects.
    expect(judgeResult({ ...blocked, denial: "reject" }, refused).verdict).toBe("pass");

    // The handshake completed, then silence: the SYN got through, whatever came after.
    const silent = result({ outcome: "timeout", phase: "response", connectMs: 0.4, expect: "blocked" }, [
      { ...attempt("timeout", "response", true), connectMs: 0.4 },
      { ...attempt("timeout", "response", true), connectMs: 0.5 },
    ]);
    expect(judgeResult(blocked, silent)).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining("the handshake completed in 0.4 ms"),
    });

    // A name that never resolved is DNS, not the policy: the lookup outlived its timer.
    const lookup = { name: "echo.demo.svc.cluster.local", answers: [], ms: 2000, error: "timeout" };
    const dns = result({ outcome: "dns-error", phase: "resolve", lookup, blockConfirmed: true }, [
      { ...attempt("dns-error", "resolve"), lookup },
      { ...attempt("dns-error", "resolve"), lookup },
    ]);
    expect(judgeResult(blocked, dns)).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining("got no answer in time (DNS did not answer)"),
    });
    const nx = { ...lookup, error: "NXDOMAIN" };
    const nxdomain = result({ outcome: "dns-error", phase: "resolve", lookup: nx, blockConfirmed: true }, [
      { ...attempt("dns-error", "resolve"), lookup: nx },
      { ...attempt("dns-error", "resolve"), lookup: nx },
    ]);
    expect(judgeResult(blocked, nxdomain).verdict).toBe("fail");
    expect(judgeResult({ ...blocked, denial: "nxdomain" }, nxdomain).verdict).toBe("pass");
    expect(judgeResult({ ...blocked, denial: "nxdomain" }, dns).verdict).toBe("fail");

    const once = result({ outcome: "timeout", phase: "connect", blockConfirmed: false }, [
      attempt("timeout"),
    ]);
    expect(judgeResult(blocked, once)).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining("not confirmed"),
    });

    // One attempt got through: a leak, whatever the other says.
    const leak = result({ outcome: "timeout", expect: "blocked", blockConfirmed: false }, [
      attempt("connected"),
      attempt("timeout"),
    ]);
    expect(judgeResult(blocked, leak)).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining("the target answered"),
    });

    // Without a known denial, no observation proves the block.
    const unknown: ResolvedExpectation = { outcome: "blocked", reason: "a policy blocks it" };
    expect(judgeResult(unknown, dropped).verdict).toBe("error");
  });

  it("judges an expected HTTP status", () => {
    const e: ResolvedExpectation = { outcome: "status", status: 404, reason: "no rule matches" };
    expect(judgeResult(e, result({ outcome: "connected", status: 404 })).verdict).toBe("pass");
    expect(judgeResult(e, result({ outcome: "http-status", status: 200, phase: "done" }))).toMatchObject({
      verdict: "fail",
      message: "expected HTTP 404, but answered HTTP 200",
    });
    // A reachable HTTP check wants its status too: a redirect is not the page.
    const page = { ...reachable, status: 200 };
    expect(judgeResult(page, result({ outcome: "http-status", status: 302, phase: "done" }))).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining("answered HTTP 302 (a redirect: not followed"),
    });
    // A body cut short is not an answer.
    const cut = result({
      outcome: "reset",
      phase: "body",
      status: 200,
      connectMs: 0.3,
      detail: "the connection ended after 6 of the 100 bytes its Content-Length announced",
    });
    expect(judgeResult(page, cut).message).toContain("6 of the 100 bytes");
  });

  it("checks the client address the server saw", () => {
    const source = {
      ...reachable,
      clientIp: { equals: "10.244.1.7", describes: "the client pod's own IP 10.244.1.7" },
    };
    expect(judgeResult(source, result({ outcome: "connected", clientIp: "10.244.1.7" })).verdict).toBe(
      "pass",
    );
    expect(judgeResult(source, result({ outcome: "connected", clientIp: "10.244.1.1" })).message).toBe(
      "the server saw 10.244.1.1, expected the client pod's own IP 10.244.1.7",
    );
    const snat = {
      ...reachable,
      clientIp: { clusterSide: true, describes: "a node or pod-network address (SNAT)" },
    };
    const nodes = (ip: string) => ip.startsWith("172.18.");
    expect(judgeResult(snat, result({ outcome: "connected", clientIp: "172.18.0.3" }), nodes).verdict).toBe(
      "pass",
    );
    expect(judgeResult(snat, result({ outcome: "connected", clientIp: "192.168.1.20" }), nodes).verdict).toBe(
      "fail",
    );
    // Kept means the client's own address, not merely "not a cluster address": an L4 proxy's fails.
    const kept = { ...reachable, clientIp: { ownAddress: true, describes: "the client's own address" } };
    const seen = (clientIp: string) => result({ outcome: "connected", clientIp, localAddress: "172.18.0.1" });
    expect(judgeResult(kept, seen("172.18.0.1"), nodes).verdict).toBe("pass");
    expect(judgeResult(kept, seen("172.18.0.9"), nodes).message).toContain("rewrote the source");

    // Cilium SNATs only towards a pod on another node: judged per answering pod.
    const perPod = {
      ...reachable,
      clientIp: {
        perBackend: {
          unchanged: { equals: "172.18.0.9" },
          otherNodes: { "echo-a": ["172.18.0.3", "172.18.0.4"], "echo-b": ["172.18.0.2", "172.18.0.4"] },
        },
        describes: "per pod",
      },
    };
    const answered = (backend: string, clientIp: string) =>
      result({ outcome: "connected", backend, backendVia: "same-connection", clientIp });
    expect(judgeResult(perPod, answered("echo-a", "172.18.0.9")).verdict).toBe("pass");
    expect(judgeResult(perPod, answered("echo-a", "172.18.0.3")).verdict).toBe("pass");
    // echo-a runs on 172.18.0.2: SNAT to its own node's address is not what Cilium does.
    expect(judgeResult(perPod, answered("echo-a", "172.18.0.2")).message).toContain("echo-a saw 172.18.0.2");
    const untied = result({ outcome: "connected", backend: "echo-a", clientIp: "172.18.0.9" });
    expect(judgeResult(perPod, untied).message).toContain("not tied to the pod");
  });

  it("compares DNS answers as sets and bodies exactly", () => {
    const e = { ...reachable, answers: ["10.244.1.2", "10.244.2.2"] };
    const dns = (answers: string[]) =>
      result({
        outcome: "connected",
        kind: "dns",
        protocol: "dns",
        dns: { type: "A", server: "system", rcode: "NOERROR", answers },
      });
    expect(judgeResult(e, dns(["10.244.2.2", "10.244.1.2"])).verdict).toBe("pass");
    expect(judgeResult(e, dns(["10.244.2.2"])).message).toBe(
      "DNS answered 10.244.2.2, expected 10.244.1.2, 10.244.2.2",
    );
    const header = { ...reachable, body: "gateway" };
    expect(judgeResult(header, result({ outcome: "connected", body: "gateway\n" })).verdict).toBe("pass");
    expect(judgeResult(header, result({ outcome: "connected", body: "" })).verdict).toBe("fail");
  });

  it("requires every endpoint, nothing else, and no failed request for coverage", () => {
    const e = { ...reachable, coverage: ["echo-a", "echo-b"], coverageMinRequests: 20 };
    const coverage = (counts: Record<string, number>, errors = 0) => ({
      expected: ["echo-a", "echo-b"],
      seen: Object.keys(counts),
      missing: ["echo-a", "echo-b"].filter((b) => !(b in counts)),
      unexpected: Object.keys(counts).filter((b) => !["echo-a", "echo-b"].includes(b)),
      counts,
      requests: Object.values(counts).reduce((a, b) => a + b, 0) + errors,
      errors,
      errorOutcomes: errors ? { refused: errors } : {},
    });
    const judge = (c: ReturnType<typeof coverage>) =>
      judgeResult(e, result({ outcome: c.missing.length ? "timeout" : "connected", coverage: c }));
    expect(judge(coverage({ "echo-a": 10, "echo-b": 11 })).verdict).toBe("pass");
    expect(judge(coverage({ "echo-a": 20 })).message).toBe("endpoints never answered in 20 requests: echo-b");
    expect(judge(coverage({ "echo-a": 10, "echo-b": 10, stray: 7 })).message).toBe(
      "answers also came from stray×7, which is not an endpoint of the Service",
    );
    expect(judge(coverage({ "echo-a": 10, "echo-b": 10 }, 6)).message).toBe(
      "6 of 26 requests failed (refused×6): an endpoint that does not answer takes part of the traffic",
    );
    expect(judge(coverage({ "echo-a": 2, "echo-b": 2 })).message).toContain("only 4 of the 20 requests");
  });

  it("judges a traffic split within its tolerance", () => {
    const e: ResolvedExpectation = {
      ...reachable,
      split: {
        requests: 500,
        tolerance: 5,
        shares: [
          { label: "echo", percent: 80, backends: ["echo-1", "echo-2"] },
          { label: "echo-v2", percent: 20, backends: ["v2-1"] },
        ],
      },
    };
    const counts = (c: Record<string, number>) => ({
      expected: ["x"],
      seen: Object.keys(c),
      missing: ["x"],
      unexpected: [],
      counts: c,
      requests: 500,
      errors: 500 - Object.values(c).reduce((a, b) => a + b, 0),
    });
    // The sample never meets its sentinel backend, so the engine reports a timeout: the counts decide.
    const ok = judgeResult(
      e,
      result({ outcome: "timeout", coverage: counts({ "echo-1": 210, "echo-2": 190, "v2-1": 100 }) }),
    );
    expect(ok).toMatchObject({
      verdict: "pass",
      message: expect.stringContaining("echo 80% (want 80%), echo-v2 20% (want 20%)"),
    });
    const skewed = judgeResult(
      e,
      result({ outcome: "timeout", coverage: counts({ "echo-1": 300, "v2-1": 200 }) }),
    );
    expect(skewed).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining("echo 60% (want 80%)"),
    });
    const lossy = judgeResult(
      e,
      result({ outcome: "timeout", coverage: counts({ "echo-1": 300, "v2-1": 100 }) }),
    );
    expect(lossy.message).toBe("100 of 500 requests failed (outcomes not recorded)");
    const stray = judgeResult(
      e,
      result({ outcome: "timeout", coverage: counts({ "echo-1": 390, "v2-1": 100, other: 10 }) }),
    );
    expect(stray.message).toBe("answers also came from other×10, which no route backend runs");
  });

  it("judges node inspections by exit code and expected fragment", () => {
    const e: ResolvedExpectation = {
      outcome: "reachable",
      reason: "kube-proxy reports its mode",
      contains: "nftables",
    };
    const run = (stdout: string, exitCode = 0) => ({ id: "i", node: "n", exitCode, stdout });
    expect(judgeInspection(e, run("nftables")).verdict).toBe("pass");
    expect(judgeInspection(e, run("iptables"))).toMatchObject({
      verdict: "fail",
      message: expect.stringContaining('does not contain "nftables"'),
    });
    expect(judgeInspection(e, run("", 7)).verdict).toBe("fail");
    expect(judgeInspection(e, { ...run(""), error: "docker exec: no such container" }).verdict).toBe("error");
    expect(judgeInspection(e, undefined).verdict).toBe("error");
  });
});
