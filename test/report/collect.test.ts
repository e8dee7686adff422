import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectLabRun, PERFORMANCE_FILE } from "../../lib/report/collect.ts";
import type { HostFingerprint } from "../../lib/report/run-results.ts";
import { tempDir } from "./support.ts";

const HOST: HostFingerprint = {
  os: "Linux",
  kernel: "6.1",
  arch: "x64",
  cpu: { model: "test", count: 2 },
  memoryGiB: 8,
  tools: {},
};

function stateDir(): string {
  const dir = tempDir("labs-collect-");
  mkdirSync(join(dir, "synth"));
  writeFileSync(join(dir, "synth", "lab.json"), JSON.stringify({ name: "demo", clusterName: "labs-demo" }));
  return dir;
}

describe("collecting a lab's run from its state folder", () => {
  it("reads what the run wrote and leaves out what it did not", () => {
    const run = collectLabRun(stateDir(), HOST);
    expect(run).toMatchObject({ lab: "demo", clusterName: "labs-demo", dataplane: [] });
    expect(run.performance).toBeUndefined();
  });

  it("refuses a damaged file instead of reporting the run without it", () => {
    const dir = stateDir();
    writeFileSync(join(dir, PERFORMANCE_FILE), '{"performance": {"latency": [');
    expect(() => collectLabRun(dir, HOST)).toThrow(/performance\.json is not JSON/);
  });
});
