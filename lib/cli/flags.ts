import { LabError } from "../model/errors.ts";

/**
 * Checks of flag values that yargs lets through: `--width abc` arrives as NaN, `--out ''` as an
 * empty path. Each command checks its flags first, before it reads or writes anything, and a bad
 * value is one line naming the flag, what it takes and what was given.
 */

export interface WholeNumberRange {
  min: number;
  max: number;
  /** What the number counts, e.g. "columns". */
  unit?: string;
}

/** A whole number within `range`, or undefined when the flag was not given. */
export function wholeNumber(value: unknown, flag: string, range: WholeNumberRange): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "number" ? value : Number.NaN;
  if (Array.isArray(value))
    throw new LabError(`${flag} was given ${value.length} times`, `give ${flag} once`);
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    const shown = typeof value === "number" && !Number.isNaN(value) ? String(value) : "not a number";
    throw new LabError(
      `${flag} takes a whole number from ${range.min} to ${range.max}${range.unit ? ` (${range.unit})` : ""}, got ${shown}`,
      `e.g. ${flag} ${Math.min(range.max, Math.max(range.min, 2))}`,
    );
  }
  return n;
}

/** A positive number (a scale factor), or undefined when the flag was not given. */
export function positiveNumber(value: unknown, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > max)
    throw new LabError(
      `${flag} takes a number above 0 and at most ${max}, got ${typeof value === "number" && !Number.isNaN(value) ? value : "not a number"}`,
      `e.g. ${flag} 2`,
    );
  return value;
}

/** A path that names something: not empty, not blank, given once. */
export function pathFlag(value: unknown, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value))
    throw new LabError(`${flag} was given ${value.length} times`, `give ${flag} once`);
  if (typeof value !== "string" || value.trim() === "")
    throw new LabError(`${flag} needs a path, got an empty one`, `e.g. ${flag} ./dist, or leave ${flag} out`);
  return value;
}
