import type { LabsCommand } from "../command.ts";
import { breakCommand } from "./break.ts";
import { ciCommand } from "./ci.ts";
import { compareCommand } from "./compare.ts";
import { completionCommand } from "./completion.ts";
import { diffCommand } from "./diff.ts";
import { doctorCommand } from "./doctor.ts";
import { downCommand } from "./down.ts";
import { explainCommand } from "./explain.ts";
import { faultsCommand } from "./faults.ts";
import { fixCommand } from "./fix.ts";
import { guideCommand } from "./guide.ts";
import { lintCommand } from "./lint.ts";
import { listCommand } from "./list.ts";
import { newCommand } from "./new.ts";
import { prefetchCommand } from "./prefetch.ts";
import { proberCommand } from "./prober.ts";
import { probesCommand } from "./probes.ts";
import { reportCommand } from "./report.ts";
import { showCommand } from "./show.ts";
import { statusCommand } from "./status.ts";
import { synthCommand } from "./synth.ts";
import { upCommand } from "./up.ts";
import { verifyCommand } from "./verify.ts";

/** Every `labs` subcommand, in the order `--help` lists them. Adding a command: one file, one line. */
// biome-ignore lint/suspicious/noExplicitAny: each command has its own argument type
export const commands: LabsCommand<any>[] = [
  listCommand,
  showCommand,
  synthCommand,
  lintCommand,
  prefetchCommand,
  probesCommand,
  proberCommand,
  upCommand,
  verifyCommand,
  statusCommand,
  faultsCommand,
  breakCommand,
  fixCommand,
  downCommand,
  doctorCommand,
  diffCommand,
  newCommand,
  guideCommand,
  explainCommand,
  ciCommand,
  compareCommand,
  reportCommand,
  completionCommand,
];
