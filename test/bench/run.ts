/**
 * `npm run bench`: speed targets live here, not in timed tests. Prints each measurement next to
 * its target; it measures, it does not fail the build. On a machine shared with other work, the
 * start-up figures measure that work too; `chrt -f 10 npm run bench` (root) runs the benchmark
 * ahead of it, as an idle machine would.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadCatalogue } from "../../lib/catalogue.ts";
import { prepareArtifacts } from "../../lib/cli/artifacts.ts";
import { synthLab } from "../../lib/synth/synth.ts";

interface Row {
  name: string;
  ms: number;
  target?: string;
  ok?: boolean;
  note?: string;
}

const LABS_BIN = fileURLToPath(new URL("../../lib/cli/labs.mjs", import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Timing {
  median: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
  runs: number;
}

/**
 * Times a command the way hyperfine does: warm-up runs first (they build the CLI bundle and fill
 * the transform cache, which a user pays once), then `runs` timed runs; mean ± σ, min and max.
 */
function timeCommand(args: string[], runs = 20, warmup = 3): Timing {
  const run = () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } });
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}`);
    return performance.now() - t0;
  };
  for (let i = 0; i < warmup; i++) run();
  const times = Array.from({ length: runs }, run);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const sd = Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / (times.length - 1));
  return { median: median(times), mean, sd, min: Math.min(...times), max: Math.max(...times), runs };
}

const spread = (t: Timing) =>
  `mean ${t.mean.toFixed(1)} ± ${t.sd.toFixed(1)} ms, min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)}, ${t.runs} runs`;

async function synthRows(): Promise<Row[]> {
  const entries = await loadCatalogue();
  const quiet = { out: () => {}, err: () => {} };
  const rows: Row[] = [];
  const synthable: {
    spec: (typeof entries)[number]["spec"];
    readers: Awaited<ReturnType<typeof prepareArtifacts>>;
  }[] = [];
  for (const e of entries) {
    try {
      // The artifact step (downloads, helm) is not synth: it runs once, before the timing.
      const readers = await prepareArtifacts(e.spec, {}, quiet);
      await synthLab(e.spec, readers); // warm-up: module loading is start-up cost, not synth
      synthable.push({ spec: e.spec, readers });
    } catch (err) {
      rows.push({
        name: `synth ${e.spec.name}`,
        ms: Number.NaN,
        note: `skipped: ${(err as Error).message.split("\n")[0]}`,
      });
    }
  }
  let total = 0;
  for (const e of synthable) {
    const t0 = performance.now();
    await synthLab(e.spec, e.readers);
    const ms = performance.now() - t0;
    total += ms;
    rows.push({ name: `synth ${e.spec.name}`, ms });
  }
  rows.unshift({
    name: `synth whole catalogue (${synthable.length} labs)`,
    ms: total,
    target: "< 1000 ms",
    ok: total < 1000,
  });
  return rows;
}

async function main() {
  const rows: Row[] = [];
  // Medians are compared; min shows what an idle machine does (on a shared one, load inflates the rest).
  const node = timeCommand(["-e", "0"]);
  rows.push({ name: "node -e 0 (baseline)", ms: node.median, note: spread(node) });
  const list = timeCommand([LABS_BIN, "list"]);
  rows.push({
    name: "labs list (cold start)",
    ms: list.median,
    target: "< baseline + 150 ms",
    ok: list.median - node.median < 150,
    note: `median +${(list.median - node.median).toFixed(1)} ms, min +${(list.min - node.min).toFixed(1)} ms; ${spread(list)}`,
  });
  const help = timeCommand([LABS_BIN, "--help"]);
  rows.push({
    name: "labs --help (cold start)",
    ms: help.median,
    target: "< baseline + 150 ms",
    ok: help.median - node.median < 150,
    note: `median +${(help.median - node.median).toFixed(1)} ms, min +${(help.min - node.min).toFixed(1)} ms; ${spread(help)}`,
  });
  rows.push(...(await synthRows()));

  const proberBench = new URL("./prober.bench.ts", import.meta.url);
  if (existsSync(fileURLToPath(proberBench))) {
    const { benchProber } = (await import(proberBench.href)) as {
      benchProber(): Promise<{ name: string; ms: number; note?: string; target?: string; ok?: boolean }[]>;
    };
    rows.push(...(await benchProber()));
  }

  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const ms = Number.isNaN(r.ms) ? "     -" : `${r.ms.toFixed(1).padStart(8)} ms`;
    const verdict = r.ok === undefined ? "" : r.ok ? "  ok" : "  OVER TARGET";
    console.log(
      `${r.name.padEnd(width)}  ${ms}${r.target ? `  (target ${r.target})` : ""}${verdict}${r.note ? `  ${r.note}` : ""}`,
    );
  }
}

await main();
