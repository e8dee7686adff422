/**
 * Runs the real prober bundle inside a network namespace, as a probe pod runs it: the plan on
 * stdin, the pod's downward-API variables in a minimal environment, result lines on stdout.
 */
import { spawn } from "node:child_process";
import type { EnginePlan } from "../../../lib/probes/prober/plan.ts";
import { type ProbeResult, parseResultLines } from "../../../lib/probes/prober/result.ts";
import { PROBER_BUNDLE_PATH } from "../../../lib/probes/stage/prober-bundle.ts";

export interface ProberRun {
  results: ProbeResult[];
  junk: string[];
  stderr: string;
  code: number | null;
  /** Wall time from spawn to exit. */
  ms: number;
}

export function proberInNetns(
  ns: string,
  plan: EnginePlan,
  pod: { name: string; ip: string },
): Promise<ProberRun> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, PROBER_BUNDLE_PATH, "--plan", "-"], {
      env: {
        PATH: process.env["PATH"] ?? "",
        POD_NAME: pod.name,
        POD_NAMESPACE: "labs-probes",
        POD_IP: pod.ip,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += String(d);
    });
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      const { results, junk } = parseResultLines(stdout);
      resolve({ results, junk, stderr, code, ms: performance.now() - start });
    });
    child.stdin.end(JSON.stringify(plan));
  });
}
