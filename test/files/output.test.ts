import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeDir } from "../../lib/files/make-dir.ts";
import { checkOutputDir, checkOutputFile, writeUserFile } from "../../lib/files/output.ts";
import { LabError } from "../../lib/model/errors.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "labs-files-"));

describe("makeDir", () => {
  it("makes every missing level, and is fine with what exists", () => {
    const root = tmp();
    makeDir(join(root, "a", "b", "c"));
    makeDir(join(root, "a", "b", "c"));
    expect(statSync(join(root, "a", "b", "c")).isDirectory()).toBe(true);
  });

  it("fails at once where Node's recursive mkdir spins: a path under /proc", () => {
    // fs.mkdirSync("/proc/x", { recursive: true }) never returns on Linux; this returns ENOENT.
    if (process.platform !== "linux") return;
    expect(() => makeDir("/proc/labs-no-such/dir")).toThrow(/ENOENT/);
  });

  it("names a file in the way", () => {
    const root = tmp();
    writeFileSync(join(root, "f"), "x");
    expect(() => makeDir(join(root, "f", "sub"))).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
  });
});

describe("output paths the user names", () => {
  it("refuses an existing file unless forced, and never writes over it without force", () => {
    const root = tmp();
    const file = join(root, "notes.md");
    writeFileSync(file, "mine");
    expect(() => checkOutputFile(file)).toThrow(LabError);
    expect(() => checkOutputFile(file)).toThrow(/already exists.*without asking/);
    expect(checkOutputFile(file, { force: true })).toBe(file);
    expect(() => writeUserFile(file, "theirs")).toThrow(/already exists/);
    expect(readFileSync(file, "utf8")).toBe("mine");
    writeUserFile(file, "theirs", { force: true });
    expect(readFileSync(file, "utf8")).toBe("theirs");
    writeUserFile(join(root, "new", "deep.md"), "x");
    expect(readdirSync(join(root, "new"))).toEqual(["deep.md"]);
  });

  it("refuses a folder that is an input, inside one, or an earlier run", () => {
    const root = tmp();
    mkdirSync(join(root, "run"));
    writeFileSync(join(root, "run", "results.json"), "{}");
    expect(() => checkOutputDir(join(root, "run"), { inputs: [join(root, "run")] })).toThrow(/is the input/);
    expect(() => checkOutputDir(join(root, "run", "sub"), { inputs: [join(root, "run")] })).toThrow(
      /inside the input/,
    );
    expect(checkOutputDir(join(root, "merged"), { inputs: [join(root, "run")] })).toBe(join(root, "merged"));
    expect(() => checkOutputDir(join(root, "run"), { marker: "results.json" })).toThrow(/earlier run/);
    expect(checkOutputDir(join(root, "run"), { marker: "results.json", force: true })).toBe(
      join(root, "run"),
    );
    expect(() => checkOutputDir(join(root, "run", "results.json"))).toThrow(/is a file, not a folder/);
  });
});
