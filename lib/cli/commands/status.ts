import { EXIT } from "../../model/errors.ts";
import { table } from "../../model/style.ts";
import { defineCommand } from "../command.ts";
import type { Io } from "../output.ts";

async function runStatus(args: { json?: boolean }, io: Io): Promise<number> {
  const { labsStatus, formatAge } = await import("../../runtime/status.ts");
  const { formatPort } = await import("../../runtime/ports.ts");
  const report = await labsStatus();
  if (args.json) {
    io.out(JSON.stringify(report, null, 2));
    return EXIT.ok;
  }
  if (!report.labs.length) io.out("no labs are running (`labs up <lab>` starts one)");
  else {
    io.out(
      table(
        ["LAB", "NODES", "CNI", "MODE", "NORTH-SOUTH", "PORTS", "AGE", "KUBECONFIG"],
        report.labs.map((l) => [
          l.phase === "creating" ? `${l.lab} (half-created)` : l.fault ? `${l.lab} (BROKEN)` : l.lab,
          l.nodes ? `${l.nodes.filter((n) => n.ready).length}/${l.nodes.length} ready` : "API down",
          l.cni ?? "?",
          l.proxyMode ?? "?",
          l.northSouth.join(", ") || "-",
          l.hostPorts.map(formatPort).join(" ") || "-",
          formatAge(l.ageSeconds),
          l.kubeconfig,
        ]),
      ),
    );
  }
  for (const l of report.labs.filter((x) => x.fault)) {
    const f = l.fault!;
    const what = f.mystery ? "a mystery fault" : `\`${f.id}\``;
    const age = formatAge(Math.max(0, Math.round((Date.now() - Date.parse(f.since)) / 1000)));
    io.out(
      `${l.lab}: BROKEN by ${what} ${f.phase === "breaking" ? "(half applied: `labs break` was stopped) " : ""}for ${age}; \`labs verify ${l.lab}\` shows where the probes point, \`labs fix ${l.lab}\` undoes it`,
    );
  }
  for (const c of report.foreign) io.out(`${c}: a kind cluster labs did not create (left alone)`);
  for (const l of report.stale) io.out(`${l}: its cluster is gone; \`labs down ${l}\` cleans up its state`);
  for (const s of report.shared) {
    const users = s.users.length
      ? `used by ${s.users.length} lab${s.users.length === 1 ? "" : "s"}: ${s.users.join(", ")}`
      : "used by no running lab (`labs down` of its last lab removes it)";
    io.out(`${s.name} (shared, ${s.running ? "running" : "stopped"}): ${users}`);
    if (s.alsoActsOn.length)
      io.out(
        `  it also acts on ${s.alsoActsOn.join(", ")}, which no lab runs: it manages every kind cluster on this host`,
      );
  }
  return EXIT.ok;
}

export const statusCommand = defineCommand({
  command: "status",
  describe: "List the running labs: nodes, CNI, mode, north-south, ports, age, kubeconfig",
  builder: (y) => y.option("json", { type: "boolean", describe: "Print JSON" }),
  run: runStatus,
});
