/**
 * lab.json between synth and the runtime: synth writes what the schema in lib/model describes,
 * and the runtime reads it through that schema. A state folder with no lab.json, or one this
 * version cannot read, is an error naming the file and the fix, never an empty lab.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findLabs } from "../../lib/catalogue.ts";
import { LabError } from "../../lib/model/errors.ts";
import { labJsonSchema } from "../../lib/model/lab-json.ts";
import { LabState } from "../../lib/runtime/state.ts";
import { synthLab } from "../../lib/synth/synth.ts";

const root = mkdtempSync(join(tmpdir(), "labs-lab-json-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function synthesizedLabJson(): Promise<Record<string, unknown>> {
  const [entry] = await findLabs(["kindnet-iptables"]);
  const out = await synthLab(entry!.spec);
  return JSON.parse(out.files.get("lab.json")!);
}

function stateWith(lab: string, labJson?: unknown): LabState {
  const state = new LabState(root, lab);
  mkdirSync(state.synthDir, { recursive: true });
  if (labJson !== undefined) writeFileSync(join(state.synthDir, "lab.json"), JSON.stringify(labJson));
  return state;
}

function errorOf(fn: () => unknown): LabError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LabError) return e;
    throw e;
  }
  throw new Error("expected a LabError");
}

describe("lab.json", () => {
  it("is what synth writes and what the runtime reads back, field for field", async () => {
    const written = await synthesizedLabJson();
    expect(labJsonSchema.safeParse(written).success).toBe(true);
    const read = stateWith("as-written", written).readLabJson();
    expect(read).toEqual(written);
    expect(read.network.podSubnet).toBe("10.244.0.0/16");
    expect(read.stages.map((s) => s.name)).toEqual(["crds", "cni", "platform", "apps", "probes"]);
  });

  it("is required of a lab the runtime acts on: a missing one is an error, not an empty lab", () => {
    const state = stateWith("never-synthesized");
    const e = errorOf(() => state.readLabJson());
    expect(e.message).toBe(`lab never-synthesized has no ${join(state.synthDir, "lab.json")}`);
    expect(e.fix).toMatch(/`labs up never-synthesized` writes it again/);
  });

  it("refuses an empty pod subnet instead of classifying every source address against nothing", async () => {
    const written = await synthesizedLabJson();
    const network = { ...(written.network as object), podSubnet: "" };
    const e = errorOf(() => stateWith("empty-subnet", { ...written, network }).readLabJson());
    expect(e.message).toMatch(/lab\.json is not what this version of labs reads: network\.podSubnet: /);
  });

  it("names the fields a file from another version lacks, and a file that is not JSON", async () => {
    const { stages: _, ...older } = await synthesizedLabJson();
    expect(errorOf(() => stateWith("older", older).readLabJson()).message).toMatch(/: stages: /);
    const state = stateWith("torn");
    writeFileSync(join(state.synthDir, "lab.json"), '{"labVersion": 1, "na');
    expect(errorOf(() => state.readLabJson()).message).toMatch(/lab\.json is not JSON: /);
  });
});
