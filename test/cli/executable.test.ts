/**
 * The `labs` executable itself: the compiled bundle and its freshness, the fallback to the
 * sources, and what a shell user meets (pipes closed early, completion, pasted commands).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript without types, run before any TypeScript loader exists
import { BUNDLE_VERSION, freshBundle } from "../../lib/cli/cli-bundle.mjs";
import { completionScript } from "../../lib/cli/commands/completion.ts";
import { examplePlanText, labPlanMistake } from "../../lib/cli/commands/prober.ts";
import { shellLine } from "../../lib/cli/commands/show.ts";
import { joinStdinFlags } from "../../lib/cli/main.ts";
import { parsePlan } from "../../lib/probes/prober/plan.ts";
import { LABS_BIN, runLabs, runLabsAsync } from "../support/run-labs.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DEFINE_LAB = new URL("../../lib/model/define-lab.ts", import.meta.url).href;

describe("the compiled CLI", () => {
  it("is used only while every file it was built from is unchanged", () => {
    const dir = mkdtempSync(join(tmpdir(), "labs-bundle-"));
    const input = join(dir, "source.ts");
    writeFileSync(input, "export const a = 1;\n");
    utimesSync(input, 1_700_000_000, 1_700_000_000);
    const st = statSync(input);
    const manifest = (root: string) => ({
      version: BUNDLE_VERSION,
      root,
      build: "build-x",
      inputs: [{ path: input, size: st.size, mtimeMs: st.mtimeMs }],
    });
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest(ROOT)));
    expect(freshBundle(dir)).toBe(join(dir, "build-x", "main.js"));
    writeFileSync(input, "export const a = 2;\n");
    expect(freshBundle(dir)).toBeUndefined();
    // A checkout moved elsewhere: the bundle's source paths no longer hold.
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest("/elsewhere/")));
    expect(freshBundle(dir)).toBeUndefined();
  });

  it("gives the same answers as the sources run through the TypeScript loader", async () => {
    const [bundled, sources] = await Promise.all([
      runLabsAsync(["list", "--json"]),
      runLabsAsync(["list", "--json"], { env: { LABS_NO_BUNDLE: "1" } }),
    ]);
    expect(bundled.code).toBe(0);
    expect(sources.code).toBe(0);
    expect(JSON.parse(bundled.stdout)).toEqual(JSON.parse(sources.stdout));
  });

  it("loads a lab file with a top-level await through the ES module loader", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labs-tla-"));
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    writeFileSync(
      join(dir, "tla.ts"),
      `import { defineLab } from ${JSON.stringify(DEFINE_LAB)};\nconst workers = await Promise.resolve(1);\nexport default defineLab({ name: "tla", description: "top-level await", nodes: { workers } });\n`,
    );
    const r = await runLabsAsync(["list", "--json"], { env: { LABS_DIR: dir } });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ name: "tla", nodes: "1+1" })]);
  });
});

describe("a shell user", () => {
  it("can close the pipe early: labs list | head -1 ends quietly", async () => {
    const child = spawn(process.execPath, [LABS_BIN, "list"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("gets completions from the script, even without labs on PATH", () => {
    const bash = spawnSync("bash", ["--version"]);
    if (bash.status !== 0) return console.log("skipping the completion check: no bash");
    const script = completionScript(process.execPath, LABS_BIN);
    const complete = (words: string[]) =>
      spawnSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _labs_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        // No labs on this PATH, only what bash needs.
        { encoding: "utf8", env: { ...process.env, PATH: "/usr/bin:/bin" } },
      ).stdout.trim();
    expect(complete(["labs", "sh"])).toBe("show");
    expect(complete(["labs", "synth", "--o"]).split("\n")).toEqual(
      expect.arrayContaining(["--offline", "--out"]),
    );
    const help = runLabs(["completion", "--help"]);
    expect(help.stdout).toMatch(/Print a shell completion script/);
    expect(help.stdout).not.toContain("_labs_complete");
  });

  it("can paste the inspection commands labs show prints", () => {
    const argv = ["sh", "-c", "iptables-save -t nat | grep -c KUBE-SVC", "it's", ""];
    const line = shellLine(argv);
    expect(line).toBe(`sh -c 'iptables-save -t nat | grep -c KUBE-SVC' 'it'\\''s' ''`);
    const echoed = spawnSync("bash", ["-c", `printf '%s\\n' ${line}`], { encoding: "utf8" }).stdout;
    expect(echoed).toBe(`${argv.join("\n")}\n`);
    expect(runLabs(["show", "kindnet-iptables"]).stdout).toContain(
      "sh -c 'iptables-save -t nat | grep -c KUBE-SVC'",
    );
  });
});

describe("labs prober's two kinds of plan", () => {
  it("reads --plan - as stdin, and prints an engine plan to start from", () => {
    expect(joinStdinFlags(["prober", "--plan", "-"])).toEqual(["prober", "--plan=-"]);
    expect(joinStdinFlags(["show", "-"])).toEqual(["show", "-"]);
    expect(() => parsePlan(JSON.parse(examplePlanText()))).not.toThrow();
    expect(JSON.parse(runLabs(["prober", "--example"]).stdout)).toEqual(JSON.parse(examplePlanText()));
  });

  it("tells the lab's probes.plan.json from an engine plan", () => {
    const synth = mkdtempSync(join(tmpdir(), "labs-plan-"));
    expect(runLabs(["synth", "kindnet-iptables", "--out", synth]).code).toBe(0);
    const r = runLabs(["prober", "--plan", join(synth, "kindnet-iptables", "probes.plan.json")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /is lab "kindnet-iptables"'s probe plan \(probes\.plan\.json, from labs synth\)/,
    );
    expect(labPlanMistake(examplePlanText(), "plan.json")).toBeUndefined();
  });
});

describe("commands over many labs carry on", () => {
  it("lint --all reports one lab's missing files and still lints the others", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labs-lint-all-"));
    writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
    const lab = (name: string, extra: string) =>
      `import { defineLab } from ${JSON.stringify(DEFINE_LAB)};\nexport default defineLab({ name: "${name}", description: "x"${extra} });\n`;
    writeFileSync(join(dir, "a-flannel.ts"), lab("a-flannel", ', cni: "flannel"'));
    writeFileSync(join(dir, "b-kindnet.ts"), lab("b-kindnet", ""));
    const cache = join(mkdtempSync(join(tmpdir(), "labs-empty-cache-")), "cache");
    mkdirSync(cache);
    const r = await runLabsAsync(["lint", "--all", "--offline"], {
      env: { LABS_DIR: dir, LABS_CACHE_DIR: cache, LABS_MIRROR: undefined },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/labs: error: a-flannel: .*flannel/);
    expect(r.stdout).toMatch(/b-kindnet: \d+ objects, \d+ schema-checked/);
  });

  it("doctor --install in offline mode downloads nothing and names the way out", async () => {
    const r = await runLabsAsync(["doctor", "--install"], {
      env: {
        LABS_OFFLINE: "1",
        LABS_CACHE_DIR: mkdtempSync(join(tmpdir(), "labs-doctor-cache-")),
        LABS_KIND: undefined,
        LABS_KUBECTL: undefined,
        LABS_DOCKER: undefined,
        // No kind, kubectl or docker to be found, whatever this machine has installed.
        PATH: join(mkdtempSync(join(tmpdir(), "labs-empty-path-")), "bin"),
      },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /kind is not installed, and offline mode \(--offline or LABS_OFFLINE=1\) forbids downloading it/,
    );
    expect(r.stderr).toMatch(/labs: fix: unset LABS_OFFLINE .* or install kind yourself/);
    expect(r.stderr).not.toMatch(/--mirror|--yes/);
  });
});
