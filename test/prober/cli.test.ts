/** The prober's command line, in-process with recorded streams. */
import { describe, expect, it } from "vitest";
import { type CliIo, parseArgs, proberCli } from "../../lib/probes/prober/cli.ts";
import { parseResultLines } from "../../lib/probes/prober/result.ts";
import { closedPort } from "./support/servers.ts";

function recordingIo(files: Record<string, string> = {}, stdin = ""): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (text: string) => {
      io.out += text;
    },
    stderr: (text: string) => {
      io.err += text;
    },
    readFile: async (path: string) => {
      const text = files[path];
      if (text === undefined)
        throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
      return text;
    },
    readStdin: async () => stdin,
  };
  return io;
}

describe("prober command line", () => {
  it("runs a plan file and prints one JSON result per line; failed probes still exit 0", async () => {
    const port = await closedPort();
    const planText = JSON.stringify({
      version: 1,
      probes: [
        { id: "a", kind: "tcp", host: "127.0.0.1", port },
        { id: "b", kind: "tcp", host: "127.0.0.1", port, expect: "blocked" },
      ],
    });
    const io = recordingIo({ "/plan/plan.json": planText });
    expect(await proberCli(["--plan", "/plan/plan.json"], io)).toBe(0);
    const { results, junk } = parseResultLines(io.out);
    expect(junk).toEqual([]);
    expect(results.map((r) => [r.id, r.outcome]).sort()).toEqual([
      ["a", "refused"],
      ["b", "refused"],
    ]);
    expect(io.out.trim().split("\n")).toHaveLength(2);
    expect(io.err).toBe("");
  });

  it("reads the plan from stdin with --plan -", async () => {
    const port = await closedPort();
    const io = recordingIo(
      {},
      JSON.stringify({ version: 1, probes: [{ id: "s", kind: "tcp", host: "127.0.0.1", port }] }),
    );
    expect(await proberCli(["--plan=-", "--concurrency", "4"], io)).toBe(0);
    expect(parseResultLines(io.out).results[0]).toMatchObject({ id: "s", outcome: "refused" });
  });

  it.each([
    [[], "prober: --plan is required"],
    [["--plan"], "prober: --plan needs a value"],
    [["--plan", "p.json", "--verbose"], 'prober: unknown argument "--verbose"'],
    [
      ["--plan", "p.json", "--deadline-ms", "soon"],
      'prober: --deadline-ms expects a positive integer, got "soon"',
    ],
    [["--plan", "/missing.json"], "prober: cannot read the plan /missing.json: ENOENT"],
  ])("exits 2 with one line for bad arguments: %j", async (argv, start) => {
    const io = recordingIo();
    expect(await proberCli(argv, io)).toBe(2);
    expect(io.err.startsWith(start)).toBe(true);
    expect(io.err.trim().split("\n")).toHaveLength(1);
    expect(io.out).toBe("");
  });

  it("exits 2 on a plan that is not JSON or not valid, naming the bad field", async () => {
    const notJson = recordingIo({ "p.json": "{ version: 1" });
    expect(await proberCli(["--plan", "p.json"], notJson)).toBe(2);
    expect(notJson.err).toMatch(/^prober: the plan p\.json is not JSON: /);
    const invalid = recordingIo({
      "p.json": JSON.stringify({ version: 1, probes: [{ id: "x", kind: "tcp" }] }),
    });
    expect(await proberCli(["--plan", "p.json"], invalid)).toBe(2);
    expect(invalid.err).toBe("prober: invalid probe plan: probes[0].host: required (and 1 more)\n");
  });

  it("prints usage for --help", async () => {
    const io = recordingIo();
    expect(await proberCli(["--help"], io)).toBe(0);
    expect(io.out).toMatch(/^usage: prober --plan/);
    expect(parseArgs(["--plan", "x", "--deadline-ms=2500"])).toEqual({ plan: "x", deadlineMs: 2500 });
  });
});
