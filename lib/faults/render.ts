/** `labs faults` output: the console list by layer, and the versioned JSON document. */
import { FAULT_LAYER_TITLES, FAULT_LAYERS } from "../components/fault.ts";
import type { Expect } from "../probes/verdicts/fault-check.ts";
import type { LabFault, LabFaultList, ResolvedCommand } from "./catalogue.ts";

export const FAULTS_KIND = "labs-faults";
export const FAULTS_VERSION = 1;

/** Quotes one word for a POSIX shell when it needs it. */
const word = (w: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'"'"'`)}'`);

/** A command as a learner can paste it: `kubectl …` with the lab's kubeconfig, or `docker exec <node> …`. */
export function commandText(run: ResolvedCommand, kubectl: string): string {
  if ("kubectl" in run) {
    const line = `${kubectl} ${run.kubectl.map(word).join(" ")}`;
    return run.stdin !== undefined ? `${line} <<'EOF'\n${run.stdin.trimEnd()}\nEOF` : line;
  }
  return `docker exec ${run.node} ${run.command.map(word).join(" ")}`;
}

export function signatureCounts(f: LabFault): Record<Expect, number> {
  const out: Record<Expect, number> = { fails: 0, "cannot-run": 0, "may-fail": 0, passes: 0 };
  for (const s of f.signature) out[s.expect]++;
  return out;
}

/** "10 checks fail, 5 cannot run, 25 may fail, 11 still pass" */
export function countsText(f: LabFault): string {
  const c = signatureCounts(f);
  const parts = [
    c.fails && `${c.fails} check${c.fails === 1 ? "" : "s"} fail${c.fails === 1 ? "s" : ""}`,
    c["cannot-run"] && `${c["cannot-run"]} cannot run`,
    c["may-fail"] && `${c["may-fail"]} may fail`,
    `${c.passes} still pass${c.passes === 1 ? "es" : ""}`,
  ].filter(Boolean);
  return parts.join(", ");
}

export function layersOf(list: LabFaultList): string[] {
  return FAULT_LAYERS.filter((l) => list.faults.some((f) => f.layer === l)).map((l) => FAULT_LAYER_TITLES[l]);
}

/**
 * @param kubectl how the learner calls kubectl for this lab: against its own kubeconfig
 *   (lib/guide/kubectl.ts), never a context of ~/.kube/config
 */
export function renderFaultsConsole(list: LabFaultList, kubectl: string): string {
  const layers = layersOf(list);
  const out = [
    `${list.lab}: ${list.faults.length} fault${list.faults.length === 1 ? "" : "s"} over ${layers.length} layer${layers.length === 1 ? "" : "s"} (${layers.join(", ")})`,
    "",
  ];
  const width = Math.max(0, ...list.faults.map((f) => f.id.length));
  for (const layer of FAULT_LAYERS) {
    const faults = list.faults.filter((f) => f.layer === layer);
    if (!faults.length) continue;
    out.push(`${FAULT_LAYER_TITLES[layer][0]!.toUpperCase()}${FAULT_LAYER_TITLES[layer].slice(1)}`);
    for (const f of faults) {
      out.push(`  ${f.id.padEnd(width)}  ${f.title} (${f.by})`);
      const pad = " ".repeat(width + 4);
      out.push(`${pad}does: ${f.does}`, `${pad}undo: ${f.undo}`, `${pad}probes: ${countsText(f)}`);
      const look = f.look[0];
      if (look) out.push(`${pad}look: ${commandText(look.run, kubectl).split("\n")[0]}`);
    }
    out.push("");
  }
  if (list.unavailable.length) {
    out.push("Not in this lab");
    for (const u of list.unavailable)
      out.push(`  ${u.id} (${FAULT_LAYER_TITLES[u.layer]}): ${u.unavailable}`);
    out.push("");
  }
  out.push(
    `Break one with \`labs break ${list.lab} <fault>\` (or \`--mystery\`), see where the probes point with \`labs verify ${list.lab}\`, undo with \`labs fix ${list.lab}\`. \`--json\` adds each fault's commands and its signature check by check.`,
    `kubectl here talks to the lab through its own kubeconfig (\`${kubectl}\`): labs leaves ~/.kube/config alone.`,
  );
  return out.join("\n");
}

/**
 * The JSON document. Commands stay argv (`{kubectl: [...]}` runs as `<kubectl> ...`); `kubectl`
 * says how, against the lab's own kubeconfig, and each look command carries its `line` to paste.
 */
export function renderFaultsJson(list: LabFaultList, kubectl: string): string {
  const faults = list.faults.map((f) => ({
    ...f,
    look: f.look.map((l) => ({ ...l, line: commandText(l.run, kubectl) })),
  }));
  return `${JSON.stringify({ kind: FAULTS_KIND, version: FAULTS_VERSION, kubectl, ...list, faults }, null, 2)}\n`;
}
