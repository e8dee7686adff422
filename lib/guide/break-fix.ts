/**
 * The guide's break-fix section: one exercise per fault of the lab, with the round that goes with
 * it (break, verify, look, fix), the commands to look with, and the answer folded away: which
 * checks fail and where the probes point, from the fault's signature over this lab's plan.
 */
import { FAULT_LAYER_TITLES } from "../components/fault.ts";
import type { LabFault, LabFaultList } from "../faults/catalogue.ts";
import { compareWithFault } from "../faults/compare.ts";
import { commandText, countsText } from "../faults/render.ts";
import type { ProbesPlan } from "../probes/probes-plan.ts";

/** What a run under the fault would give when everything it may break still works. */
export function expectedRun(f: LabFault, plan: ProbesPlan) {
  return f.signature.map((s) => ({
    id: s.id,
    verdict:
      s.expect === "fails"
        ? ("fail" as const)
        : s.expect === "cannot-run"
          ? ("error" as const)
          : ("pass" as const),
    probe: plan.checks.find((c) => c.id === s.id)?.probe ?? s.id,
  }));
}

function checksOf(
  f: LabFault,
  plan: ProbesPlan,
  expect: LabFault["signature"][number]["expect"],
  max = 6,
): string[] {
  const hit = f.signature.filter((s) => s.expect === expect);
  const lines = hit.slice(0, max).map((s) => {
    const c = plan.checks.find((x) => x.id === s.id);
    return `- ${c?.describes ?? s.id}${s.why ? `: ${s.why}` : ""}`;
  });
  if (hit.length > max) lines.push(`- … and ${hit.length - max} more (\`labs faults ${plan.lab} --json\`)`);
  return lines;
}

function exercise(
  f: LabFault,
  n: number,
  plan: ProbesPlan,
  kubectl: string,
  crossings: Record<string, string[]>,
): string[] {
  const lab = plan.lab;
  const points = compareWithFault(expectedRun(f, plan), f.signature, crossings, f.id);
  const out = [
    `### ${n}. ${f.title} (\`${f.id}\`, ${FAULT_LAYER_TITLES[f.layer]})`,
    "",
    `The fault ${f.does}.`,
    "",
    "```sh",
    `labs break ${lab} ${f.id}`,
    `labs verify ${lab}`,
    "```",
    "",
    "Look with:",
    "",
    "```sh",
    ...f.look.map((l) => `${commandText(l.run, kubectl)}   # ${l.shows}`),
    "```",
    "",
    "**Which checks fail, which cannot even run, and where do the probes point?**",
    "",
    "<details><summary>Answer</summary>",
    "",
    f.observe,
    "",
    `The probes: ${countsText(f)}; ${points.summary.replace(/ — .*$/, "")}.`,
  ];
  const fails = checksOf(f, plan, "fails");
  if (fails.length) out.push("", "Must fail:", ...fails);
  const cannot = checksOf(f, plan, "cannot-run");
  if (cannot.length) out.push("", "Cannot run:", ...cannot);
  const may = f.signature.filter((s) => s.expect === "may-fail");
  if (may.length) out.push("", `May fail (${may.length}): ${may[0]!.why}.`);
  out.push("", `Undo: \`labs fix ${lab}\` ${f.undo}.`, "", "</details>", "");
  return out;
}

export function breakFixSection(faults: LabFaultList, plan: ProbesPlan, kubectl: string): string[] {
  const lab = plan.lab;
  if (!faults.faults.length) return [];
  const first = faults.faults.find((f) => f.layer === "service") ?? faults.faults[0]!;
  const crossings = faults.crossings;
  const pointing = compareWithFault(expectedRun(first, plan), first.signature, crossings, first.id);
  const out = [
    "## Break and fix",
    "",
    "Each exercise breaks one thing on purpose. Run the probes, read where they point, look on the nodes, then undo it. A whole round:",
    "",
    "```sh",
    `labs faults ${lab}              # what can be broken here, and what the probes will show`,
    `labs break ${lab} ${first.id}`,
    `labs status                     # ${lab} (BROKEN)`,
    `labs verify ${lab}              # ${pointing.summary.replace(/ — .*$/, "")}`,
    ...first.look.slice(0, 2).map((l) => commandText(l.run, kubectl)),
    `labs fix ${lab}`,
    `labs verify ${lab}              # every probe passes again`,
    "```",
    "",
    `For a workshop, let labs choose: \`labs break ${lab} --mystery\` hides which fault it put in; \`labs verify ${lab}\` still says where the probes point, and \`labs fix ${lab} --reveal\` names it.`,
    "",
  ];
  faults.faults.forEach((f, i) => {
    out.push(...exercise(f, i + 1, plan, kubectl, crossings));
  });
  if (faults.unavailable.length) {
    out.push("### Not in this lab", "");
    for (const u of faults.unavailable) out.push(`- ${u.title} (\`${u.id}\`): ${u.unavailable}.`);
    out.push("");
  }
  return out;
}
