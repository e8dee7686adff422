/**
 * One runner per probe kind. To add a kind: declare and validate it in `plan.ts`, write
 * `<kind>.ts` here (a single-shot attempt wrapped in `withDiscipline`, or a full `ProbeRunner`),
 * and add one line below. The mapped type makes the compiler insist on that line.
 */

import type { ProbeRunner } from "./context.ts";
import { runConvergence } from "./convergence.ts";
import { runCoverage } from "./coverage.ts";
import { withDiscipline } from "./discipline.ts";
import { dnsAttempt } from "./dns.ts";
import { httpAttempt } from "./http.ts";
import { runLatency } from "./latency.ts";
import type { ProbeKind, ProbeOf } from "./plan.ts";
import { tcpAttempt } from "./tcp.ts";
import { udpAttempt } from "./udp.ts";

export const PROBE_RUNNERS: { [K in ProbeKind]: ProbeRunner<ProbeOf<K>> } = {
  tcp: withDiscipline(tcpAttempt),
  http: withDiscipline(httpAttempt),
  udp: withDiscipline(udpAttempt),
  dns: withDiscipline(dnsAttempt),
  latency: runLatency,
  coverage: runCoverage,
  convergence: runConvergence,
};
