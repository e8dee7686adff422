/**
 * Where the failures of a broken lab point, and whether they match the fault: the comparison
 * `labs verify` prints, fed with verdicts that follow each fault's signature of a real catalogue
 * lab (and with verdicts that do not).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { type LabFault, type LabFaultList, labFaults } from "../../lib/faults/catalogue.ts";
import { compareWithFault, pointsAt } from "../../lib/faults/compare.ts";
import { sketchLab } from "../../lib/guide/sketch.ts";
import type { VerdictStatus } from "../../lib/probes/verdicts/verdict.ts";
import { upstreamReader } from "../probes/support.ts";

let list: LabFaultList;
beforeAll(async () => {
  const s = sketchLab((await findLabs(["kindnet-iptables"]))[0]!.spec, upstreamReader());
  list = labFaults(s.lab, s.plan, s.probeLab);
});

const fault = (id: string) => list.faults.find((f) => f.id === id)!;

/** The run a dataplane with this fault would give: may-fail checks failing or not as asked. */
function runOf(f: LabFault, mayFail: boolean) {
  return f.signature.map((s) => {
    const verdict: VerdictStatus =
      s.expect === "fails"
        ? "fail"
        : s.expect === "cannot-run"
          ? "error"
          : s.expect === "may-fail" && mayFail
            ? "fail"
            : "pass";
    return { id: s.id, verdict, probe: s.id.split("/")[0]! };
  });
}

describe("labs verify on a broken lab", () => {
  it("points each fault at what it breaks, and calls the run expected", () => {
    const cases: [string, string][] = [
      ["kube-proxy-rules-flushed", "service-proxy"],
      ["coredns-scaled-to-zero", "dns"],
      ["coredns-upstream-broken", "dns-upstream"],
      ["service-selector-mismatch", "service:demo/echo"],
      ["service-unprogrammed", "service:demo/echo"],
      ["pod-route-blackholed", "pods:labs-kindnet-iptables-control-plane|labs-kindnet-iptables-worker"],
      ["kubelet-stopped", "node:labs-kindnet-iptables-worker"],
      ["node-link-down", "node:labs-kindnet-iptables-worker"],
    ];
    for (const [id, key] of cases) {
      const f = fault(id);
      const r = compareWithFault(runOf(f, false), f.signature, list.crossings, f.id);
      expect(r.matches, id).toBe(true);
      expect(r.pointsAt?.key, `${id}: ${r.summary}`).toBe(key);
      expect(r.summary, id).toMatch(new RegExp(`— as expected for \`${id}\`$`));
    }
    const dns = compareWithFault(
      runOf(fault("coredns-scaled-to-zero"), false),
      fault("coredns-scaled-to-zero").signature,
      list.crossings,
      "coredns-scaled-to-zero",
    );
    expect(dns.summary).toMatch(
      /^the probes point at DNS: 11 of the 11 failed checks resolve a name; all the checks that resolve a name failed, \S+ still passes — as expected/,
    );
  });

  it("accepts may-fail checks either way", () => {
    for (const f of list.faults)
      expect(compareWithFault(runOf(f, true), f.signature, list.crossings, f.id).matches, f.id).toBe(true);
  });

  it("names the checks that did not do what the fault does, and keeps a mystery nameless", () => {
    const f = fault("coredns-scaled-to-zero");
    const run = runOf(f, false).map((v) =>
      v.id === "pod-to-pod-same-node"
        ? { ...v, verdict: "fail" as const }
        : v.id === "service-fqdn/demo/echo"
          ? { ...v, verdict: "pass" as const }
          : v,
    );
    const r = compareWithFault(run, f.signature, list.crossings, undefined);
    expect(r.matches).toBe(false);
    expect(r.surprises.map((s) => [s.id, s.expected, s.verdict])).toEqual([
      ["pod-to-pod-same-node", "passes", "fail"],
      ["service-fqdn/demo/echo", "fails", "pass"],
    ]);
    expect(r.summary).toMatch(/not what the mystery fault does: 2 checks differ/);
    expect(r.summary).not.toContain("coredns");
  });

  it("says so when nothing failed", () => {
    const f = fault("coredns-scaled-to-zero");
    const allPass = f.signature.map((s) => ({ id: s.id, verdict: "pass" as const }));
    const r = compareWithFault(allPass, f.signature, list.crossings, f.id);
    expect(r.pointsAt).toBeUndefined();
    expect(r.summary).toMatch(/^no probe failed — not what `coredns-scaled-to-zero` does/);
  });

  it("words each crossing, prefers the most specific on a tie, and names an unknown one as it is", () => {
    const failedThrough = (...keys: string[]) => pointsAt([{ id: "a", verdict: "fail" }], { a: keys });
    expect(failedThrough("policy", "dns")?.words).toBe("DNS");
    expect(failedThrough("pod-network", "service-proxy")?.words).toBe("the service network");
    expect(failedThrough("dns-upstream", "dns")?.words).toBe("CoreDNS's upstream");
    expect(failedThrough("constructor")?.words).toBe("constructor");
  });
});
