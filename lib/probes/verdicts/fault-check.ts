/**
 * The `fault` of a probe report: a broken lab's verdicts beside its fault's signature
 * (lib/faults/compare.ts computes it). Declared here, with the report's other formats, so that the
 * report and its JSON schema do not reach up into lib/faults.
 */
import { VERDICTS, type VerdictStatus } from "./verdict.ts";

/** What a fault's signature says of one check: it must fail, cannot run, may fail (placement decides), or must pass. */
export const EXPECTS = ["fails", "cannot-run", "may-fail", "passes"] as const;
export type Expect = (typeof EXPECTS)[number];

export interface Surprise {
  id: string;
  expected: Expect;
  verdict: VerdictStatus;
  why?: string;
}

export interface PointsAt {
  key: string;
  /** "DNS", "Service echo.demo", "node labs-x-worker", … */
  words: string;
  /** Failed checks whose path crosses it, of all failed checks. */
  failed: number;
  of: number;
  /** Checks whose path crosses it that still passed. */
  stillPassing: number;
  /** A probe whose checks all passed and do not cross it, for contrast. */
  contrast?: string;
}

/** One check of the signature beside what the run saw. */
export interface CheckComparison {
  id: string;
  expected: Expect;
  /** The check's verdict, or `missing` when the run had no such check. */
  observed: VerdictStatus | "missing";
  /** The verdict is what `expected` allows (a skipped or missing check contradicts nothing). */
  matches: boolean;
  why?: string;
}

export interface FaultCheck {
  /** The fault's id, or undefined for a mystery fault. */
  fault?: string;
  /** The fault is a mystery (`labs break --mystery`): its id and signature stay hidden. */
  mystery: boolean;
  /** Every check did what the signature says (may-fail checks either way). */
  matches: boolean;
  surprises: Surprise[];
  pointsAt?: PointsAt;
  /**
   * Every check of the signature, expected beside observed. Left out for a mystery: the whole
   * signature would give the answer away (the surprises alone are shown, as the console does).
   */
  checks?: CheckComparison[];
  /** One line for the console. */
  summary: string;
}

/** JSON Schema (draft 2020-12) of `FaultCheck`: the `fault` of a probe report (version 2 on). */
export const FAULT_CHECK_SCHEMA = {
  type: "object",
  description:
    "the lab was broken on purpose (`labs break`): its verdicts beside the fault's signature, and where the failures point",
  required: ["mystery", "matches", "surprises", "summary"],
  properties: {
    fault: { type: "string", description: "the fault's id; absent for a mystery fault" },
    mystery: { type: "boolean" },
    matches: {
      type: "boolean",
      description: "every check did what the signature expects (may-fail checks either way)",
    },
    surprises: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "expected", "verdict"],
        properties: {
          id: { type: "string" },
          expected: { enum: [...EXPECTS] },
          verdict: { enum: [...VERDICTS] },
          why: { type: "string" },
        },
        additionalProperties: false,
      },
    },
    pointsAt: {
      type: "object",
      required: ["key", "words", "failed", "of", "stillPassing"],
      properties: {
        key: { type: "string" },
        words: { type: "string" },
        failed: { type: "integer", minimum: 0 },
        of: { type: "integer", minimum: 0 },
        stillPassing: { type: "integer", minimum: 0 },
        contrast: { type: "string" },
      },
      additionalProperties: false,
    },
    checks: {
      type: "array",
      description: "every check of the signature, expected beside observed; absent for a mystery fault",
      items: {
        type: "object",
        required: ["id", "expected", "observed", "matches"],
        properties: {
          id: { type: "string" },
          expected: { enum: [...EXPECTS] },
          observed: { enum: [...VERDICTS, "missing"] },
          matches: { type: "boolean" },
          why: { type: "string" },
        },
        additionalProperties: false,
      },
    },
    summary: { type: "string" },
  },
  additionalProperties: false,
} as const;
