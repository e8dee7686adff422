/** Writes a run folder: results.json plus the reports rendered from it. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeDir } from "../files/make-dir.ts";
import { writeError } from "../files/output.ts";
import { EXIT, LabError } from "../model/errors.ts";
import { renderRunHtml } from "./html.ts";
import { renderRunJunit } from "./junit.ts";
import { renderRunMarkdown } from "./markdown.ts";
import type { RunResults } from "./run-results.ts";

export const RUN_FILES = ["results.json", "report.md", "report.html", "junit.xml"] as const;

export function renderRunFiles(run: RunResults): Record<(typeof RUN_FILES)[number], string> {
  return {
    "results.json": `${JSON.stringify(run, null, 2)}\n`,
    "report.md": renderRunMarkdown(run),
    "report.html": renderRunHtml(run),
    "junit.xml": renderRunJunit(run),
  };
}

export function writeRunDir(run: RunResults, dir: string): string[] {
  try {
    makeDir(dir);
  } catch (e) {
    throw new LabError(
      `cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      "choose a writable folder with --out",
      EXIT.environment,
    );
  }
  return Object.entries(renderRunFiles(run)).map(([name, text]) => {
    const file = join(dir, name);
    try {
      writeFileSync(file, text);
    } catch (e) {
      throw writeError(file, e);
    }
    return file;
  });
}
