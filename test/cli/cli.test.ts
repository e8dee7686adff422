import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runLabs } from "../support/run-labs.ts";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};
const modelUrl = new URL("../../lib/model/define-lab.ts", import.meta.url).href;

/** A catalogue of its own, written into a temp dir, for the error cases. */
function catalogue(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "labs-cat-"));
  // Lab files are ES modules; a catalogue outside this package says so like any ESM project.
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}
const labFile = (name: string, extra = "") =>
  `import { defineLab } from ${JSON.stringify(modelUrl)};\nexport default defineLab({ name: ${JSON.stringify(name)}, description: "test lab"${extra} });\n`;

/** A user-facing error: the problem on one line, the fix on the next, no stack trace. */
function expectCleanError(r: { code: number; stderr: string }, code: number, pattern: RegExp) {
  expect(r.code).toBe(code);
  const lines = r.stderr.trim().split("\n");
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).toMatch(/^labs: error: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(lines.length).toBeLessThanOrEqual(2);
}

describe("labs CLI", () => {
  it("lists the catalogue as a table and as JSON", () => {
    const table = runLabs(["list"]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+CNI\s+PROXY\s+NORTH-SOUTH\s+NODES\s+DESCRIPTION$/);
    const json = JSON.parse(runLabs(["list", "--json"]).stdout) as {
      name: string;
      cni: string;
      kubeProxyMode: string;
    }[];
    expect(json).toContainEqual(
      expect.objectContaining({ name: "kindnet-ipvs", cni: "kindnet", kubeProxyMode: "ipvs" }),
    );
  });

  it("shows a lab's capabilities in words and its warnings", () => {
    const r = runLabs(["show", "kindnet-ipvs"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/networkPolicy\s+true\s+kindnet enforces NetworkPolicy/);
    expect(r.stdout).toMatch(/ipvs mode is deprecated since Kubernetes 1.35/);
    expect(
      JSON.parse(runLabs(["show", "kindnet-ipvs", "--json"]).stdout).capabilities.serviceProxy.value,
    ).toBe("kube-proxy ipvs");
  });

  it("names the closest labs for an unknown one", () => {
    expectCleanError(
      runLabs(["show", "kindnet-ipv"]),
      2,
      /unknown lab "kindnet-ipv": did you mean "kindnet-ipvs"/,
    );
  });

  it("reports a lab file that throws", () => {
    const dir = catalogue({ "broken.ts": 'throw new Error("boom in the lab file");\n' });
    expectCleanError(
      runLabs(["list"], { LABS_DIR: dir }),
      2,
      /lab file broken.ts failed to load: boom in the lab file/,
    );
  });

  it("reports an invalid lab file with the field at fault", () => {
    const dir = catalogue({ "bad.ts": labFile("bad", ', podSubnet: "10.244.0.0"') });
    expectCleanError(runLabs(["list"], { LABS_DIR: dir }), 2, /bad: podSubnet: "10.244.0.0" is not a CIDR/);
  });

  it("refuses two labs with the same name", () => {
    const dir = catalogue({ "a.ts": labFile("same"), "b.ts": labFile("same") });
    expectCleanError(runLabs(["list"], { LABS_DIR: dir }), 2, /two labs are named "same": a.ts and b.ts/);
  });

  it("refuses kubeProxyMode none with kindnet at synth", () => {
    const dir = catalogue({ "nokp.ts": labFile("nokp", ', kubeProxyMode: "none"') });
    const r = runLabs(["synth", "nokp", "--out", mkdtempSync(join(tmpdir(), "labs-out-"))], {
      LABS_DIR: dir,
    });
    expectCleanError(
      r,
      2,
      /nokp: kubeProxyMode: kubeProxyMode "none" leaves Services unprogrammed: kindnet does not replace kube-proxy/,
    );
  });

  it("names an output directory it cannot write", () => {
    const r = runLabs(["synth", "kindnet-iptables", "--out", "/dev/null/dist"]);
    expectCleanError(r, 3, /cannot write to \/dev\/null\/dist\/kindnet-iptables: ENOTDIR/);
  });

  it("synthesizes labs into <out>/<lab>/ and lints them", () => {
    const out = mkdtempSync(join(tmpdir(), "labs-out-"));
    const r = runLabs(["synth", "kindnet-iptables", "kindnet-nftables", "--out", out]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, "kindnet-nftables", "kind.yaml"), "utf8")).toMatch(
      /kubeProxyMode: nftables/,
    );
    const lint = runLabs(["lint", "kindnet-iptables"]);
    expect(lint.code).toBe(0);
    expect(lint.stdout).toMatch(
      /kindnet-iptables: (\d+) objects, \1 schema-checked, 0 kinds not schema-checked; 0 errors, 0 warnings/,
    );
  });

  it("rejects bad flags and missing arguments with exit code 2", () => {
    expectCleanError(runLabs(["synth", "--bogus", "kindnet-iptables"]), 2, /Unknown argument/);
    expectCleanError(runLabs(["synth"]), 2, /name at least one lab, or pass --all/);
    expectCleanError(runLabs(["synth", "kindnet-iptables", "--all"]), 2, /give lab names or --all, not both/);
  });

  it("prints its version, help with examples and exit codes, and a completion script", () => {
    expect(runLabs(["--version"]).stdout.trim()).toBe(pkg.version);
    const help = runLabs(["--help"]).stdout;
    expect(help).toMatch(/Exit codes:\n\s+0\s+success/);
    for (const command of ["list", "show", "synth", "lint"]) {
      expect(help).toContain(`labs ${command}`);
      expect(runLabs([command, "--help"]).stdout).toMatch(/Examples:/);
    }
    expect(runLabs(["completion"]).stdout).toMatch(/_labs_yargs_completions|compdef|complete -o/);
  });

  it("uses colour only when allowed (NO_COLOR wins)", () => {
    expect(runLabs(["show", "nope"], { NO_COLOR: undefined, FORCE_COLOR: "1" }).stderr).toContain(
      "\u001b[31m",
    );
    expect(runLabs(["show", "nope"], { NO_COLOR: "1", FORCE_COLOR: "1" }).stderr).not.toContain("\u001b[");
  });

  it("runs from another working directory", () => {
    const cwd = mkdtempSync(join(tmpdir(), "labs-cwd-"));
    mkdirSync(join(cwd, "sub"));
    const r = runLabs(["synth", "kindnet-iptables"], {}, join(cwd, "sub"));
    expect(r.code).toBe(0);
    expect(readFileSync(join(cwd, "sub", "dist", "kindnet-iptables", "lab.json"), "utf8")).toMatch(
      /"clusterName": "labs-kindnet-iptables"/,
    );
  });
});
