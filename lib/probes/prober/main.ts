/**
 * Entry point of the bundled prober (`lib/generated/prober.bundle.cjs`, built by
 * `scripts/build-prober.ts`). Node built-ins only: it runs in a bare `node` image.
 *
 * The process exits as soon as the plan's results are written, whatever is still pending: a
 * getaddrinfo lookup stuck on an unanswering DNS server holds a libuv thread (and would hold the
 * event loop) for tens of seconds, and `kubectl exec` waits for the process, not for the output.
 * The run itself ends by the plan's deadline (runner.ts), so the process does too.
 */
import { proberCli, processIo } from "./cli.ts";

// More threads for getaddrinfo than libuv's 4, so a few lookups stuck on a silent DNS server do
// not queue every other probe's lookup behind them. Read when the pool starts, at the first lookup.
process.env["UV_THREADPOOL_SIZE"] ??= "32";

proberCli(process.argv.slice(2), processIo()).then(
  (code) => {
    // Flush what was written, then leave without waiting for pending lookups or sockets.
    process.stdout.write("", () => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`prober: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
