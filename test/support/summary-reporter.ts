import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints the closing `N passed, N failed[, N skipped]` line that CI reads, so a run that
 * executed no test at all is visible as `0 passed, 0 failed`. A suite or file whose hook failed
 * counts as one failure (its tests are reported skipped).
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A failed beforeAll/afterAll leaves its tests "skipped": the hook's error is a failure.
      for (const suite of mod.children.allSuites()) if (suite.errors().length > 0) failed++;
      if (mod.errors().length > 0 || (mod.state() === "failed" && [...mod.children.allTests()].length === 0))
        failed++;
    }
    const tail = skipped > 0 ? `, ${skipped} skipped` : "";
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
