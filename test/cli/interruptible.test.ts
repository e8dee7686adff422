import { describe, expect, it } from "vitest";
import { interruptible } from "../../lib/cli/interruptible.ts";
import type { Io } from "../../lib/cli/output.ts";
import { EXIT, LabError } from "../../lib/model/errors.ts";
import { Interrupted } from "../../lib/runtime/process.ts";

function io() {
  const lines = { out: [] as string[], err: [] as string[] };
  const sink: Io = { out: (t) => lines.out.push(t), err: (t) => lines.err.push(t) };
  return { sink, lines };
}

/** The SIGINT handler the scope added, called as Node would on Ctrl-C (no real signal is sent). */
function pressCtrlC(before: readonly unknown[]): void {
  const added = process.listeners("SIGINT").filter((l) => !before.includes(l));
  expect(added).toHaveLength(1);
  (added[0] as (s: NodeJS.Signals) => void)("SIGINT");
}

const steps = {
  stopping: "labs: stopping; `labs fix lab-a` undoes what was done",
  interrupted: "labs: break of lab-a was interrupted; `labs fix lab-a` undoes what was done",
};

describe("interruptible: a long command under Ctrl-C", () => {
  it("returns the work's exit code and leaves no signal handler behind", async () => {
    const before = process.listeners("SIGINT");
    const { sink, lines } = io();
    expect(await interruptible(sink, steps, async () => EXIT.failed)).toBe(EXIT.failed);
    expect(process.listeners("SIGINT")).toEqual(before);
    expect(lines).toEqual({ out: [], err: [] });
  });

  it("on Ctrl-C says it is stopping, aborts the signal, then says how to finish, with exit 130", async () => {
    const before = process.listeners("SIGINT");
    const { sink, lines } = io();
    const code = await interruptible(sink, steps, async (signal) => {
      pressCtrlC(before);
      expect(signal.aborted).toBe(true);
      throw new Interrupted();
    });
    expect(code).toBe(EXIT.interrupted);
    expect(lines.err).toEqual([steps.stopping, steps.interrupted]);
    expect(process.listeners("SIGINT")).toEqual(before);
  });

  it("reports an error as the user sees it: its message, its fix and its exit code", async () => {
    const { sink, lines } = io();
    const code = await interruptible(sink, steps, async () => {
      throw new LabError("no cluster for lab-a", "`labs up lab-a` creates it", EXIT.environment);
    });
    expect(code).toBe(EXIT.environment);
    expect(lines.err.join("\n")).toMatch(
      /labs: error:.* no cluster for lab-a\n.*labs: fix:.* `labs up lab-a`/,
    );
  });

  it("without an interrupted message, an interrupted run is reported like any error", async () => {
    const { sink, lines } = io();
    const code = await interruptible(sink, { stopping: "labs: stopping" }, async () => {
      throw new Interrupted("kubectl apply was interrupted");
    });
    expect(code).toBe(EXIT.failed);
    expect(lines.err[0]).toBe("labs: internal error: kubectl apply was interrupted");
  });

  it("lets the command handle its own errors first, and report the rest as usual", async () => {
    const { sink, lines } = io();
    const own = { ...steps, onError: (e: unknown) => (e instanceof RangeError ? 7 : undefined) };
    expect(await interruptible(sink, own, async () => Promise.reject(new RangeError("x")))).toBe(7);
    expect(lines.err).toEqual([]);
    const code = await interruptible(sink, own, async () => Promise.reject(new LabError("bad lab")));
    expect(code).toBe(EXIT.usage);
  });
});
