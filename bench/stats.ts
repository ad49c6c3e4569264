/** Order statistics for the benches' tables: always a value that was measured, never interpolated. */

/** The value at quantile `q` (0 to 1) of `sorted` (ascending): the element at floor(q × length), clamped to the last. */
export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The median of `values` (any order, left as they are); of an even count, the upper of the two middle values. */
export function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}
