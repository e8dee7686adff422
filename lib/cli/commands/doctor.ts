import { EXIT } from "../../model/errors.ts";
import { green, red, useColor, yellow } from "../../model/style.ts";
import { defineCommand, labsDirOption } from "../command.ts";
import { labSpec } from "../lab-command.ts";
import type { Io } from "../output.ts";

type Args = { lab?: string; json?: boolean; install?: boolean; labsDir?: string };

async function runDoctorCommand(args: Args, io: Io): Promise<number> {
  const { runDoctor } = await import("../../runtime/doctor/doctor.ts");
  const spec = args.lab ? await labSpec(args.lab, args.labsDir) : undefined;
  const report = await runDoctor({
    spec,
    install: args.install,
    onInstalled: (r) =>
      io.err(
        `labs: installed ${r.tool} ${r.version} at ${r.path} (sha256 ${r.sha256}, matches ${r.checksumUrl})`,
      ),
  });
  if (args.json) {
    io.out(JSON.stringify({ lab: report.lab, overall: report.overall, checks: report.checks }, null, 2));
  } else {
    const color = useColor();
    const mark = { ok: green("ok  ", color), warn: yellow("warn", color), fail: red("FAIL", color) };
    for (const c of report.checks) {
      io.out(`${mark[c.status]}  ${c.title}: ${c.detail}`);
      if (c.fix && c.status !== "ok") io.out(`      fix: ${c.fix}`);
    }
    const bad = report.checks.filter((c) => c.status === "fail").length;
    const warn = report.checks.filter((c) => c.status === "warn").length;
    io.out(
      `\n${bad} failed, ${warn} warning${warn === 1 ? "" : "s"}${report.lab ? ` for ${report.lab}` : ""}`,
    );
  }
  return report.overall === "fail" ? EXIT.environment : EXIT.ok;
}

export const doctorCommand = defineCommand({
  command: "doctor [lab]",
  describe: "Check this machine for running labs: Docker, tools, inotify, ports, networks, kernel, cgroups",
  builder: (y) =>
    y
      .positional("lab", { type: "string", describe: "Also check what this lab needs" })
      .option("json", { type: "boolean", describe: "Print JSON" })
      .option("install", {
        type: "boolean",
        describe: "Install missing kind/kubectl (pinned, sha256-verified) into the labs cache",
      })
      .options(labsDirOption)
      .example("labs doctor", "")
      .example("labs doctor calico-ebpf", "also checks eBPF support and the lab's host ports"),
  run: runDoctorCommand,
});
