import { bold, yellow } from "../../model/style.ts";
import { labCommand, labSpec } from "../lab-command.ts";
import type { Io } from "../output.ts";

/** A command as one line that pastes into a shell and runs the same argv: words quoted only where needed. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)).join(" ");
}

async function show(args: { lab: string; json?: boolean; labsDir?: string }, io: Io): Promise<number> {
  const { resolveLab, inspectionsOf } = await import("../../components/resolve.ts");
  const lab = resolveLab(await labSpec(args.lab, args.labsDir));
  const { totalmem } = await import("node:os");
  const { nodeMemoryFindings } = await import("../../model/node-memory.ts");
  const warnings = [...lab.findings, ...nodeMemoryFindings(lab.spec.nodes, totalmem())];
  if (args.json) {
    io.out(
      JSON.stringify(
        {
          spec: lab.spec,
          clusterName: lab.clusterName,
          kubernetes: `v${lab.kubeVersion.major}.${lab.kubeVersion.minor}.${lab.kubeVersion.patch}`,
          components: lab.components.map((s) => ({
            kind: s.component.kind,
            name: s.component.name,
            options: s.options,
          })),
          capabilities: lab.claims,
          warnings,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  const s = lab.spec;
  const lines = [
    `${bold(s.name)} — ${s.description}`,
    "",
    `cluster     ${lab.clusterName} (kind, Kubernetes v${lab.kubeVersion.major}.${lab.kubeVersion.minor}.${lab.kubeVersion.patch})`,
    `nodes       ${s.nodes.controlPlanes} control plane${s.nodes.controlPlanes > 1 ? "s" : ""}, ${s.nodes.workers} worker${s.nodes.workers === 1 ? "" : "s"}`,
    `network     ${s.ipFamily}; pods ${s.podSubnet}; services ${s.serviceSubnet}; host ports on ${s.listenAddress}`,
    "",
    bold("components"),
    ...lab.components.map(
      (c) =>
        `  ${c.path.padEnd(20)} ${c.component.title}${c.version ? ` ${c.version}` : ""}: ${c.component.summary}`,
    ),
    "",
    bold("what this lab can do"),
    ...Object.entries(lab.claims).map(
      ([name, claim]) => `  ${name.padEnd(20)} ${String(claim.value).padEnd(20)} ${claim.reason}`,
    ),
    "",
    bold("how to see it on a node"),
    ...inspectionsOf(lab).map((i) => `  ${i.title}: ${shellLine(i.command)}`),
  ];
  if (warnings.length) {
    lines.push(
      "",
      bold("warnings"),
      ...warnings.map((f) => `  ${yellow("!")} ${f.path}: ${f.message}${f.fix ? ` (${f.fix})` : ""}`),
    );
  }
  io.out(lines.join("\n"));
  return 0;
}

export const showCommand = labCommand({
  command: "show <lab>",
  describe: "Show a lab: resolved spec, components, capabilities in words, warnings",
  options: { json: { type: "boolean", describe: "Print JSON" } },
  labsDir: true,
  examples: [["labs show kindnet-ipvs", "what the lab runs and what it can do"]],
  run: show,
});
