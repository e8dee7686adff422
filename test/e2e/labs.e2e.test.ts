/**
 * End to end, for real: for each lab, `labs up` (kind cluster, stages, gates) → `labs verify`
 * (every probe passes) → break-fix rounds → `labs down` (the cluster is gone), through the `labs`
 * executable as a user runs it. Needs a running Docker engine and kind; skipped with a clear message otherwise.
 *
 *   LABS_E2E_LABS     comma-separated labs (default: kindnet-iptables,kindnet-nftables,flannel-iptables)
 *   LABS_E2E_RESULTS  where probe reports, JUnit files, timings and diagnostics are copied
 *                     (default: e2e-results/ in the working directory)
 *   LABS_E2E_FAULTS   break-fix faults to put into each lab that offers them, between its healthy
 *                     verify and down: break → verify (the run must match the fault's signature)
 *                     → fix → verify (every probe passes again). Empty: none.
 *                     (default: kube-proxy-rules-flushed,coredns-scaled-to-zero,vxlan-port-dropped)
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { probeDocker } from "../../lib/runtime/docker.ts";
import { kindClusters, kindVersion } from "../../lib/runtime/kind.ts";
import { stateRoot } from "../../lib/runtime/state.ts";
import { Toolchain } from "../../lib/runtime/toolchain.ts";
import { LABS_BIN } from "../support/run-labs.ts";

const LABS = (process.env.LABS_E2E_LABS ?? "kindnet-iptables,kindnet-nftables,flannel-iptables")
  .split(",")
  .map((l) => l.trim())
  .filter(Boolean);
const RESULTS = resolve(process.env.LABS_E2E_RESULTS ?? "e2e-results");
const FAULTS = (
  process.env.LABS_E2E_FAULTS ?? "kube-proxy-rules-flushed,coredns-scaled-to-zero,vxlan-port-dropped"
)
  .split(",")
  .map((f) => f.trim())
  .filter(Boolean);

/** Why the suite cannot run here, or undefined when Docker answers and kind is installed. */
async function missingPrerequisite(): Promise<string | undefined> {
  const tc = new Toolchain();
  const docker = await probeDocker(tc);
  if (docker.state === "missing") return "the docker command is not installed";
  if (docker.state === "unreachable") return `the Docker daemon is not reachable (${docker.detail})`;
  if (!tc.has("kind")) return "kind is not installed (install kind v0.32.0, or run `labs doctor --install`)";
  const version = await kindVersion(tc);
  if (!version) return "kind is installed but `kind version` failed";
  return undefined;
}

const missing = await missingPrerequisite();
if (missing) {
  console.log(
    `e2e skipped: ${missing}. This suite creates real kind clusters; it runs where \`docker info\` works and kind is on PATH (see .github/workflows/e2e.yml).`,
  );
}

function labs(args: string[], timeoutMs = 30 * 60_000) {
  const r = spawnSync(process.execPath, [LABS_BIN, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Copies what a lab left in its state folder (reports, timings, diagnostics) to the results folder. */
function collect(lab: string): void {
  const from = join(stateRoot(), lab);
  const to = join(RESULTS, lab);
  mkdirSync(to, { recursive: true });
  for (const part of [
    "results",
    "diagnostics",
    "logs",
    "timings.json",
    "synth/lab.json",
    "synth/lab.lock.json",
  ]) {
    if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true });
  }
}

describe.skipIf(missing !== undefined)("labs end to end on kind", () => {
  const started = new Set<string>();
  afterAll(async () => {
    // Whatever happened, leave no cluster behind.
    const running = await kindClusters(new Toolchain()).catch(() => [] as string[]);
    for (const lab of started) if (running.includes(`labs-${lab}`)) labs(["down", lab], 10 * 60_000);
  });

  for (const lab of LABS) {
    it(`${lab}: up → verify (every probe passes) → down`, async () => {
      mkdirSync(join(RESULTS, lab), { recursive: true });
      started.add(lab);
      try {
        const up = labs(["up", lab, "--json", "--no-verify"]);
        writeFileSync(join(RESULTS, lab, "up.jsonl"), up.stdout);
        writeFileSync(join(RESULTS, lab, "up.stderr.txt"), up.stderr);
        expect(up.code, `labs up ${lab} failed:\n${up.stderr}`).toBe(0);

        const junit = join(RESULTS, lab, "probes.junit.xml");
        const verify = labs([
          "verify",
          lab,
          "--json",
          "--junit",
          junit,
          "--md",
          join(RESULTS, lab, "probes.md"),
        ]);
        writeFileSync(join(RESULTS, lab, "verify.json"), verify.stdout);
        expect(verify.stderr).toBe("");
        const report = JSON.parse(verify.stdout) as {
          summary: { pass: number; fail: number; error: number };
        };
        expect(report.summary.pass).toBeGreaterThan(0);
        expect({ fail: report.summary.fail, error: report.summary.error }).toEqual({ fail: 0, error: 0 });
        expect(verify.code).toBe(0);

        const offered = (JSON.parse(labs(["faults", lab, "--json"]).stdout) as { faults: { id: string }[] })
          .faults;
        for (const fault of FAULTS.filter((f) => offered.some((o) => o.id === f))) {
          const broke = labs(["break", lab, fault]);
          expect(broke.code, `labs break ${lab} ${fault}:\n${broke.stderr}`).toBe(0);
          const underFault = labs(["verify", lab, "--json"]);
          writeFileSync(join(RESULTS, lab, `verify-${fault}.json`), underFault.stdout);
          const check = JSON.parse(
            readFileSync(join(stateRoot(), lab, "results", "fault-check.json"), "utf8"),
          ) as { matches: boolean; summary: string };
          writeFileSync(join(RESULTS, lab, `fault-check-${fault}.json`), JSON.stringify(check, null, 2));
          const fixed = labs(["fix", lab]);
          expect(fixed.code, `labs fix ${lab}:\n${fixed.stderr}`).toBe(0);
          expect(check.matches, `${lab} ${fault}: ${check.summary}`).toBe(true);
          const healed = labs(["verify", lab, "--json"]);
          expect(healed.code, `${lab} after fixing ${fault}`).toBe(0);
        }
      } finally {
        collect(lab);
      }

      const down = labs(["down", lab], 10 * 60_000);
      expect(down.code, down.stderr).toBe(0);
      expect(await kindClusters(new Toolchain())).not.toContain(`labs-${lab}`);
      started.delete(lab);
    });
  }
});
