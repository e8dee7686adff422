import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLabs } from "../support/run-labs.ts";

const root = new URL("../..", import.meta.url).pathname;
const modelUrl = new URL("../../lib/model/define-lab.ts", import.meta.url).href;

/** Every file below `dir`, relative path → bytes. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const lab of readdirSync(dir).sort()) {
    for (const f of readdirSync(join(dir, lab)).sort())
      out[`${lab}/${f}`] = readFileSync(join(dir, lab, f), "utf8");
  }
  return out;
}

describe("cdk8s synth on cdk8s.yaml", () => {
  it("produces the same files as labs synth --all", () => {
    // A small catalogue of its own keeps this independent of artifacts other labs need.
    const labs = mkdtempSync(join(tmpdir(), "labs-cat-"));
    writeFileSync(join(labs, "package.json"), '{ "type": "module" }\n');
    for (const [name, mode] of [
      ["one", "iptables"],
      ["two", "nftables"],
    ]) {
      writeFileSync(
        join(labs, `${name}.ts`),
        `import { defineLab } from ${JSON.stringify(modelUrl)};\nexport default defineLab({ name: "${name}", description: "d", kubeProxyMode: "${mode}", nodes: { controlPlanes: 1, workers: 1 } });\n`,
      );
    }
    const viaCdk8s = mkdtempSync(join(tmpdir(), "labs-cdk8s-"));
    const r = spawnSync("npx", ["cdk8s", "synth", "--no-check-upgrade", "--output", viaCdk8s], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, LABS_DIR: labs },
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const viaLabs = mkdtempSync(join(tmpdir(), "labs-synth-"));
    expect(runLabs(["synth", "--all", "--out", viaLabs], { LABS_DIR: labs }).code).toBe(0);
    const a = tree(viaCdk8s);
    expect(Object.keys(a)).toContain("two/0003-apps.k8s.yaml");
    expect(a).toEqual(tree(viaLabs));
  });
});
