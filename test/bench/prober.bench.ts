/**
 * Prober benchmark: one plan of 200 probes against local servers, 50 of them expected-blocked
 * with a 1 s timeout against a target that never answers. A confirmed block takes two attempts;
 * they run at once on separate connections, the second started 100 ms after the first, so the
 * plan cannot finish before 1 s + 100 ms. Target: at most 1.3 s, 1.3× the longest timeout.
 *
 * The blackhole is the most honest one available: as root, a network namespace whose filter
 * drops the SYN (what a NetworkPolicy deny does); otherwise a listener in a stopped process with
 * a full accept queue, where Linux drops the SYN. Both make connect() wait for the probe's timer.
 *
 *   npx tsx test/bench/prober.bench.ts
 */
import { pathToFileURL } from "node:url";
import type { Probe } from "../../lib/probes/prober/plan.ts";
import { PROBE_DEFAULTS } from "../../lib/probes/prober/plan.ts";
import type { ProbeResult } from "../../lib/probes/prober/result.ts";
import { runPlanAll } from "../../lib/probes/prober/runner.ts";
import { openBlackhole } from "../prober/support/blackhole.ts";
import { startDnsServer } from "../prober/support/dns-server.ts";
import { startNetexec, startTcpServer, startUdpNetexec } from "../prober/support/servers.ts";

export interface BenchRow {
  name: string;
  ms: number;
  target?: string;
  ok?: boolean;
  note?: string;
}

const BLOCKED = 50;
const TOTAL = 200;
const BLOCKED_TIMEOUT_MS = 1_000;

export async function benchProber(): Promise<BenchRow[]> {
  const web = await startNetexec({ name: "bench-web" });
  const tcp = await startTcpServer();
  const udp = await startUdpNetexec({ name: "bench-udp" });
  const dns = await startDnsServer({ a: { "bench.demo": ["10.96.0.42"] } });
  const hole = await openBlackhole();
  try {
    const reachable = (i: number): Probe => {
      const id = `reachable-${i}`;
      switch (i % 4) {
        case 0:
          return { id, kind: "tcp", host: "127.0.0.1", port: tcp.port, expect: "reachable" };
        case 1:
          return { id, kind: "http", url: web.url("/hostname"), expect: "reachable" };
        case 2:
          return {
            id,
            kind: "udp",
            host: "127.0.0.1",
            port: udp.port,
            payload: "hostname",
            expect: "reachable",
          };
        default:
          return { id, kind: "dns", name: "bench.demo", server: dns.address, expect: "reachable" };
      }
    };
    const blocked = (i: number): Probe => ({
      id: `blocked-${i}`,
      kind: "tcp",
      host: hole.host,
      port: hole.port,
      timeoutMs: BLOCKED_TIMEOUT_MS,
      expect: "blocked",
    });
    // Blocked probes spread through the plan, as a real plan mixes them.
    const probes: Probe[] = [];
    for (let i = 0, b = 0, r = 0; i < TOTAL; i++) {
      probes.push(i % (TOTAL / BLOCKED) === 0 ? blocked(b++) : reachable(r++));
    }
    const onlyReachable = probes.filter((p) => p.id.startsWith("reachable-"));

    // Warm up the JIT and the servers so the first measured probe does not pay for it.
    await runPlanAll({ version: 1, probes: onlyReachable.slice(0, 20) }, { source: { name: "bench" } });

    const fastStart = performance.now();
    const fast = await runPlanAll({ version: 1, probes: onlyReachable }, { source: { name: "bench" } });
    const fastMs = performance.now() - fastStart;

    const start = performance.now();
    const results = await runPlanAll({ version: 1, probes }, { source: { name: "bench" } });
    const wallMs = performance.now() - start;

    check(fast, onlyReachable.length, 0);
    check(results, TOTAL - BLOCKED, BLOCKED);
    // The least time a confirmed block can take: the last attempt starts after the staggers and
    // must time out.
    const floorMs =
      (PROBE_DEFAULTS.blockedAttempts - 1) * PROBE_DEFAULTS.blockedStaggerMs + BLOCKED_TIMEOUT_MS;
    const targetMs = 1.3 * BLOCKED_TIMEOUT_MS;
    return [
      {
        name: `prober: ${TOTAL} probes, ${BLOCKED} expected-blocked (1 s timeout), wall time`,
        ms: round(wallMs),
        target: `≤ ${targetMs} ms`,
        ok: wallMs <= targetMs,
        note: `floor ${floorMs} ms (${PROBE_DEFAULTS.blockedAttempts} attempts per block, at once); blackhole: ${hole.how}`,
      },
      {
        name: "prober: overhead per probe above the blocked floor",
        ms: round((wallMs - floorMs) / TOTAL),
        note: `(wall - ${floorMs} ms) / ${TOTAL}`,
      },
      {
        name: `prober: ${onlyReachable.length} reachable probes (tcp/http/udp/dns), wall time`,
        ms: round(fastMs),
        note: `concurrency ${PROBE_DEFAULTS.concurrency}`,
      },
      {
        name: "prober: wall time per reachable probe",
        ms: round(fastMs / onlyReachable.length),
        note: `median probe time ${round(median(fast.map((r) => r.totalMs)))} ms`,
      },
    ];
  } finally {
    await hole.close();
    await Promise.all([web.close(), tcp.close(), udp.close(), dns.close()]);
  }
}

/** A benchmark of wrong results is worthless: fail loudly if any probe did not behave. */
function check(results: ProbeResult[], connected: number, confirmedBlocks: number): void {
  const ok = results.filter((r) => r.outcome === "connected").length;
  // A block counts only as the drop it is: every attempt timed out before any handshake.
  const blocks = results.filter(
    (r) => r.blockConfirmed && r.attempts.list.every((a) => a.outcome === "timeout" && a.phase === "connect"),
  ).length;
  if (ok !== connected || blocks !== confirmedBlocks) {
    const odd = results.find((r) => (r.expect === "blocked" ? !r.blockConfirmed : r.outcome !== "connected"));
    throw new Error(
      `prober bench: expected ${connected} connected and ${confirmedBlocks} confirmed blocks, ` +
        `got ${ok} and ${blocks}; e.g. ${JSON.stringify(odd)}`,
    );
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  benchProber().then(
    (rows) => {
      for (const row of rows) console.log(`${row.name}: ${row.ms} ms${row.note ? `  (${row.note})` : ""}`);
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
