import { EXIT } from "../../model/errors.ts";
import { useColor } from "../../model/style.ts";
import type { ArtifactFlags } from "../artifacts.ts";
import { positiveNumber } from "../flags.ts";
import { interruptible } from "../interruptible.ts";
import { labCommand, labSpec } from "../lab-command.ts";
import type { Io } from "../output.ts";

type Args = ArtifactFlags & {
  lab: string;
  labsDir?: string;
  recreate?: boolean;
  preload?: boolean;
  yes?: boolean;
  json?: boolean;
  exportKubeconfig?: boolean;
  verify?: boolean;
  timeoutScale?: number;
};

/** Asks a yes/no question on the terminal; anything but y/yes is no. */
async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function runUp(args: Args, io: Io): Promise<number> {
  const timeoutScale = positiveNumber(args.timeoutScale, "--timeout-scale", 100);
  const { upstreamSettingsFromEnv } = await import("../../upstream/settings.ts");
  const offline = Boolean(args.offline) || upstreamSettingsFromEnv().offline;
  const { up, UpInterrupted } = await import("../../runtime/up.ts");
  const progress = await import("../../runtime/progress.ts");
  const { version } = await import("../version.ts");
  const spec = await labSpec(args.lab, args.labsDir);
  const { totalmem } = await import("node:os");
  const { nodeMemoryFindings } = await import("../../model/node-memory.ts");
  for (const f of nodeMemoryFindings(spec.nodes, totalmem()))
    io.err(`labs: warning: ${spec.name}: ${f.message} (${f.fix})`);
  const live = !args.json && process.stdout.isTTY ? new progress.LiveList(process.stdout) : undefined;
  const sink = args.json ? progress.jsonSink(spec.name, io.out) : (live?.sink ?? progress.plainSink(io.out));
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY) && !args.json;
  const steps = {
    stopping: `labs: stopping ${spec.name} (Ctrl-C again to quit at once)…`,
    onError(e: unknown): number | undefined {
      live?.stop();
      if (e instanceof UpInterrupted) {
        if (args.json) io.out(JSON.stringify({ lab: spec.name, type: "interrupted", task: e.task }));
        io.err(`labs: ${e.message}; nothing else was changed.`);
        io.err(
          e.clusterExists
            ? `labs: resume with \`labs up ${spec.name}\`, or remove the cluster with \`labs down ${spec.name}\``
            : `labs: run \`labs up ${spec.name}\` again to start over`,
        );
        return EXIT.interrupted;
      }
      if (args.json) {
        const err = e as { message?: string; fix?: string; diagnostics?: string };
        io.out(
          JSON.stringify({
            lab: spec.name,
            type: "error",
            message: err.message,
            fix: err.fix,
            diagnostics: err.diagnostics,
          }),
        );
      }
      return undefined;
    },
  };
  return interruptible(io, steps, async (signal) => {
    const result = await up({
      spec,
      signal,
      progress: sink,
      recreate: args.recreate,
      preload: args.preload,
      exportKubeconfig: args.exportKubeconfig,
      verify: args.verify,
      offline: args.offline,
      mirror: args.mirror,
      timeoutScale,
      labsVersion: version(),
      // --offline / LABS_OFFLINE=1 covers kind and kubectl too: never a download.
      tools: { yes: args.yes, offline: offline || undefined, ...(interactive ? { ask: askYesNo } : {}) },
    });
    live?.stop();
    const v = result.verify;
    if (args.json) {
      io.out(
        JSON.stringify({
          lab: spec.name,
          type: "result",
          cluster: result.cluster,
          action: result.action,
          kubeconfig: result.kubeconfig,
          ...(v ? { verify: { passed: v.passed, summary: v.report.summary, file: v.file } } : {}),
        }),
      );
    } else {
      const ms = result.timings.reduce((n, t) => n + t.ms, 0);
      io.out(`\n${result.cluster} is up (${result.action}, ${progress.formatMs(ms)} in all tasks)`);
      io.out(`export KUBECONFIG=${result.kubeconfig}`);
      if (v) {
        if (!v.passed) {
          const { renderReportConsole } = await import("../../probes/verdicts/outputs/console.ts");
          io.out(`\n${renderReportConsole(v.report, { color: useColor() })}`);
        }
        io.out(`probes: ${v.summary} (report ${v.file}; \`labs verify ${spec.name}\` runs them again)`);
      }
    }
    return v && !v.passed ? EXIT.failed : EXIT.ok;
  });
}

export const upCommand = labCommand({
  command: "up <lab>",
  describe:
    "Create the lab's kind cluster (or converge it), apply its stages with readiness gates, then verify",
  options: {
    recreate: { type: "boolean", describe: "Delete and create the cluster even if it exists" },
    preload: {
      type: "boolean",
      describe: "Pull every image of lab.lock.json on this host once and load it into the nodes",
    },
    yes: { alias: "y", type: "boolean", describe: "Install missing kind/kubectl without asking" },
    json: { type: "boolean", describe: "Progress as JSON lines (for CI)" },
    "export-kubeconfig": {
      type: "boolean",
      describe: "Also add the cluster's context to your kubeconfig (~/.kube/config or $KUBECONFIG)",
    },
    verify: { type: "boolean", default: true, describe: "Run the probes at the end (--no-verify skips)" },
    "timeout-scale": { type: "number", describe: "Multiply every readiness gate's timeout (slow machines)" },
  },
  labsDir: true,
  artifacts: true,
  examples: [
    ["labs up kindnet-iptables", "cluster, stages, probes; prints the export KUBECONFIG line"],
    ["labs up flannel-iptables --preload --json", "pull images once, JSON progress for CI"],
  ],
  run: runUp,
});
