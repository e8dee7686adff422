/** A problem or a note about a lab, with the path of the field it concerns. */
export interface Finding {
  level: "error" | "warning";
  /** Dotted path of the LabSpec field, e.g. `cni.options.backend`; empty for the whole lab. */
  path: string;
  message: string;
  /** What to change, in one sentence. */
  fix?: string;
}

export const error = (path: string, message: string, fix?: string): Finding => ({
  level: "error",
  path,
  message,
  fix,
});
export const warning = (path: string, message: string, fix?: string): Finding => ({
  level: "warning",
  path,
  message,
  fix,
});

export function formatFinding(f: Finding, lab?: string): string {
  const where = [lab, f.path].filter(Boolean).join(": ");
  return `${where ? `${where}: ` : ""}${f.message}${f.fix ? ` (${f.fix})` : ""}`;
}

export const errorsOf = (fs: readonly Finding[]) => fs.filter((f) => f.level === "error");
