/** "Did you mean" suggestions for unknown names. */

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** A slip rather than another word: one edit in four letters, or a difference of case only. */
export function isNearMiss(name: string, known: string): boolean {
  const a = name.toLowerCase();
  const b = known.toLowerCase();
  return a === b || distance(a, b) <= Math.max(1, Math.floor(b.length / 4));
}

/** Up to three known names closest to `name`, nearest first (substring matches count as close). */
export function closest(name: string, known: readonly string[], max = 3): string[] {
  return known
    .map((k) => ({ k, d: k.includes(name) || name.includes(k) ? 1 : distance(name, k) }))
    .filter(({ k, d }) => d <= Math.max(2, Math.floor(k.length / 2)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k))
    .slice(0, max)
    .map(({ k }) => k);
}

/** ` (did you mean "a" or "b"?)` or the list of known names when nothing is close. */
export function didYouMean(name: string, known: readonly string[]): string {
  const near = closest(name, known);
  if (near.length) return `did you mean ${near.map((n) => `"${n}"`).join(" or ")}?`;
  return `known: ${known.join(", ")}`;
}
