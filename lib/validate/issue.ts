/** A problem found in synthesized objects. Errors stop synth; warnings and notes are printed. */
export interface ObjectIssue {
  level: "error" | "warning" | "note";
  /** Short rule id, e.g. `service-selector`, `schema`. */
  rule: string;
  stage: string;
  /** `Kind namespace/name`. */
  object: string;
  message: string;
  /** How to put it right, when the rule knows. */
  fix?: string;
}

export function formatIssue(i: ObjectIssue): string {
  return `${i.level}: [${i.rule}] ${i.stage}: ${i.object}: ${i.message}${i.fix ? ` (fix: ${i.fix})` : ""}`;
}
