import type { LabInput } from "./lab-spec.ts";

/**
 * Typed identity for lab files: `export default defineLab({ … })`. It lives apart from the
 * schema so that loading a lab file loads nothing else (the catalogue validates the spec
 * afterwards, with lab-spec.ts); `labs list` loads every lab file on each start.
 */
export function defineLab(input: LabInput): LabInput {
  return input;
}
