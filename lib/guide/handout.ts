/**
 * `labs guide`: a Markdown handout for one lab — its layers with the lab's real CIDRs and
 * components, a Mermaid diagram of the traffic paths, every probe with what it teaches and the
 * command to see it yourself, the node inspections, and exercises with answers.
 */
import type { Inspection } from "../components/component.ts";
import type { ResolvedLab } from "../components/resolve.ts";
import { labFaults } from "../faults/catalogue.ts";
import type { ProbeLab } from "../probes/probe-lab.ts";
import { LAYERS, type PlannedCheck, type ProbesPlan } from "../probes/probes-plan.ts";
import { LAYER_TITLES } from "../probes/verdicts/report.ts";
import { breakFixSection } from "./break-fix.ts";
import { exercisesOf } from "./exercises.ts";
import { defaultKubeconfig, labKubectl } from "./kubectl.ts";
import { renderMermaid } from "./mermaid.ts";
import { pathModel } from "./paths.ts";
import { shellWord } from "./shell-word.ts";
import { TryIt } from "./try-it.ts";

export interface GuideInput {
  lab: ResolvedLab;
  plan: ProbesPlan;
  inspections: Inspection[];
  /** Other labs worth comparing with (`labs diff`). */
  siblings?: string[];
  /** Rows per probe's table before "… and N more". @default 6 */
  checksPerProbe?: number;
  /** What the plan was made from: the break-fix section needs the lab's Services. */
  probeLab?: ProbeLab;
  /**
   * The lab's kubeconfig, which every kubectl line of the guide uses (kubectl.ts).
   * @default where `labs up` writes it without LABS_STATE_DIR or XDG_STATE_HOME
   */
  kubeconfig?: string;
  /** The learner's home directory, to show the kubeconfig as `~/…`. */
  home?: string;
}

/** Table cells hold no pipes or newlines. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");

function expected(c: PlannedCheck): string {
  if (c.expect.outcome === "status") return `HTTP ${c.expect.status}`;
  return c.expect.outcome === "blocked" ? "**blocked**" : "reachable";
}

function probeSection(input: GuideInput, tryIt: TryIt, probe: ProbesPlan["probes"][number]): string[] {
  const checks = input.plan.checks.filter((c) => c.probe === probe.id);
  const max = input.checksPerProbe ?? 6;
  const out = [`#### ${probe.title} (\`${probe.id}\`)`, "", probe.teaches, ""];
  out.push("| path | expected | why |", "|---|---|---|");
  for (const c of checks.slice(0, max))
    out.push(`| ${cell(c.describes)} | ${expected(c)} | ${cell(c.expect.reason)} |`);
  if (checks.length > max)
    out.push(`| … and ${checks.length - max} more (\`labs probes ${input.lab.spec.name}\`) | | |`);
  const first = checks[0];
  if (first) out.push("", "See it yourself:", "", "```sh", tryIt.command(first), "```");
  out.push("");
  return out;
}

function inspectionSection(input: GuideInput): string[] {
  if (!input.inspections.length) return [];
  const nodes = input.plan.clients.map((c) => c.node);
  const firstNode = nodes[0] ?? `${input.plan.clusterName}-control-plane`;
  const out = ["## On the nodes: what the dataplane looks like", ""];
  out.push(
    "Each kind node is a Docker container: `docker exec` runs a command inside it, where kube-proxy and the CNI did their work.",
    "",
  );
  for (const i of input.inspections) {
    out.push(`### ${i.title}`, "", i.explains, "");
    out.push("```sh", `docker exec ${firstNode} ${i.command.map(shellWord).join(" ")}`, "```");
    if (i.expectContains) out.push("", `The output contains \`${i.expectContains}\`.`);
    if (i.on === "every-node" && nodes.length > 1)
      out.push("", `Try it on every node: ${[...new Set(nodes)].map((n) => `\`${n}\``).join(", ")}.`);
    out.push("");
  }
  return out;
}

export function renderGuide(input: GuideInput): string {
  const { lab, plan } = input;
  const model = pathModel(lab, plan);
  const kubectl = labKubectl(input.kubeconfig ?? defaultKubeconfig(plan.lab), input.home);
  const tryIt = new TryIt(plan, kubectl);
  const k = lab.kubeVersion;
  const s = lab.spec;
  const out: string[] = [
    `# ${s.name}: a Kubernetes networking lab`,
    "",
    `> ${s.description}`,
    "",
    `A kind cluster \`${lab.clusterName}\` (Kubernetes v${k.major}.${k.minor}.${k.patch}) with ${s.nodes.controlPlanes} control plane${s.nodes.controlPlanes > 1 ? "s" : ""} and ${s.nodes.workers} worker${s.nodes.workers === 1 ? "" : "s"}.`,
    "",
    "```sh",
    `labs up ${s.name}       # create the cluster, install every layer, run the probes`,
    `labs verify ${s.name}   # run the probes again at any time`,
    `labs down ${s.name}     # delete the cluster`,
    "```",
    "",
    `Every \`kubectl\` line below talks to the lab through its own kubeconfig, \`${kubectl}\`: \`labs up\` writes it there and leaves ~/.kube/config alone (\`export KUBECONFIG=…\`, as \`labs up\` prints it, works too).`,
    "",
    "## The layers",
    "",
    "| layer | in this lab | how it works here |",
    "|---|---|---|",
    ...model.layers.map((l) => `| ${l.title} | ${cell(l.what)} | ${cell(l.how)} |`),
    "",
    "## Traffic paths",
    "",
    "Where packets go in this lab: boxes are places, arrows say what happens on the way. A dotted arrow ending in ✕ is blocked.",
    "",
    "```mermaid",
    renderMermaid(model),
    "```",
    "",
    ...model.paths.flatMap((p) => [`- **${p.title}** (\`${p.probe}\`): ${p.note}`]),
    "",
    "## Probes: what each one teaches",
    "",
    `Every probe below runs in \`labs verify ${s.name}\`. Pod checks run in the probe pods of namespace \`labs-probes\`, one per node.`,
    "",
  ];
  for (const layer of LAYERS) {
    const probes = plan.probes.filter(
      (p) => p.layer === layer && plan.checks.some((c) => c.probe === p.id) && layer !== "dataplane",
    );
    if (!probes.length) continue;
    out.push(`### ${LAYER_TITLES[layer]}`, "");
    for (const p of probes) out.push(...probeSection(input, tryIt, p));
  }
  if (plan.skipped.length) {
    out.push("### Not in this lab", "");
    for (const sk of plan.skipped) {
      const title = plan.probes.find((p) => p.id === sk.probe)?.title ?? sk.probe;
      out.push(`- ${title} (\`${sk.probe}\`): ${sk.reason}`);
    }
    out.push("");
  }
  out.push(...inspectionSection(input));
  const exercises = exercisesOf(lab, plan, input.siblings, kubectl);
  out.push("## Exercises", "");
  exercises.forEach((e, i) => {
    out.push(`### ${i + 1}. ${e.title}`, "", e.task, "", "```sh", e.code, "```", "", `**${e.question}**`, "");
    out.push("<details><summary>Answer</summary>", "", e.answer, "", "</details>", "");
  });
  out.push(...breakFixSection(labFaults(lab, plan, input.probeLab), plan, kubectl));
  return `${out.join("\n").trimEnd()}\n`;
}

/** The Mermaid blocks of a Markdown text, in order (for checks and tests). */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
}
