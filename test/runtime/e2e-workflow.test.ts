/**
 * The e2e workflow stays in step with the code: it installs the kind and kubectl that labs pins
 * (same sha256), every action is pinned to a commit, and its matrix is the whole catalogue.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findLabs, loadCatalogue } from "../../lib/catalogue.ts";
import { KIND_VERSION } from "../../lib/model/defaults.ts";
import { KUBECTL_VERSION, toolPin } from "../../lib/runtime/tool-pins.ts";

const text = readFileSync(new URL("../../.github/workflows/e2e.yml", import.meta.url), "utf8");
const workflow = parse(text) as {
  env: Record<string, string>;
  jobs: {
    lab: {
      "runs-on": string;
      strategy: { matrix: { lab: string[] } };
      steps: { uses?: string; run?: string }[];
    };
  };
};

describe("the e2e workflow", () => {
  it("installs the kind and kubectl labs pins, checked against the same sha256", () => {
    expect(workflow.env.KIND_VERSION).toBe(KIND_VERSION);
    expect(workflow.env.KIND_SHA256).toBe(toolPin("kind", "linux-amd64").sha256);
    expect(workflow.env.KUBECTL_VERSION).toBe(KUBECTL_VERSION);
    expect(workflow.env.KUBECTL_SHA256).toBe(toolPin("kubectl", "linux-amd64").sha256);
    const runs = workflow.jobs.lab.steps.map((s) => s.run ?? "").join("\n");
    // Shell variables, written as the workflow writes them.
    const shellVar = (name: string) => `$${"{"}${name}}`;
    expect(runs).toContain(`echo "${shellVar("KIND_SHA256")}  $RUNNER_TEMP/kind" | sha256sum -c -`);
    expect(runs).toContain(`echo "${shellVar("KUBECTL_SHA256")}  $RUNNER_TEMP/kubectl" | sha256sum -c -`);
    expect(runs).toContain("npm run test:e2e");
  });

  it("pins every action to a full commit sha", () => {
    const uses = workflow.jobs.lab.steps.map((s) => s.uses).filter((u): u is string => !!u);
    expect(uses.length).toBeGreaterThanOrEqual(3);
    for (const u of uses) expect(u).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
  });

  it("runs on ubuntu-latest for every lab of the catalogue, and only those", async () => {
    expect(workflow.jobs.lab["runs-on"]).toBe("ubuntu-latest");
    const labs = workflow.jobs.lab.strategy.matrix.lab;
    expect((await findLabs(labs)).map((e) => e.spec.name)).toEqual(labs);
    // #10: kindnet-cloud-provider-kind and kindnet-nftables-gateway were left out, and their
    // defects would have shown there.
    const catalogue = (await loadCatalogue()).map((e) => e.spec.name);
    expect([...labs].sort()).toEqual([...catalogue].sort());
  });
});
