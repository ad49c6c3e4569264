/**
 * One side (reference or current) of one feature, ready for the statistical tests: NULL, NaN
 * and ±inf already dropped, as Evidently drops them before testing.
 *
 * A numerical side is a weighted, sorted list of values. Read from data, every row is a
 * value of weight 1; read from a stored reference profile it is the exact value counts (few
 * distinct values) or equal-count bin means (a sketch). Every test works on that one form,
 * so a test against the stored profile is the same code as a test against the file.
 */
export interface NumericalSample {
  kind: "numerical";
  /** Ascending. With `counts`, each value is distinct and weighs its count; without, each weighs 1. */
  values: Float64Array;
  counts?: Float64Array;
  /** Number of observations (sum of the weights). */
  n: number;
  /** Number of distinct observed values (exact, also for a sketch). */
  distinct: number;
  /** Population standard deviation (ddof 0) of the observations. */
  std: number;
  /** Whether the column is of an integer type (numpy's Sturges width is then at least 1). */
  integer: boolean;
  /** False when `values` are a sketch (bin means) rather than the observations themselves. */
  exact: boolean;
}

export interface CategoricalSample {
  kind: "categorical";
  /** Category (as text) -> number of rows. */
  counts: Map<string, number>;
  n: number;
  /** False when rare categories were folded away (a profile with more categories than it keeps). */
  exact: boolean;
}

export type Sample = NumericalSample | CategoricalSample;

/** Weight of item i of a numerical sample. */
export const weightAt = (s: NumericalSample, i: number): number => (s.counts ? s.counts[i]! : 1);

/**
 * A numerical sample from raw finite values (sorted here unless `sorted`): distinct count and
 * population standard deviation computed exactly, two-pass as numpy's `std` does.
 */
export function numericalSample(values: Float64Array, options: { sorted?: boolean; integer?: boolean } = {}): NumericalSample {
  if (!options.sorted) values.sort();
  const n = values.length;
  let sum = 0;
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i]!;
    if (i === 0 || values[i] !== values[i - 1]) distinct++;
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  return { kind: "numerical", values, n, distinct, std: Math.sqrt(squares / n), integer: options.integer ?? false, exact: true };
}

/**
 * Walks the pooled distinct values of two numerical samples in ascending order, calling
 * `visit(x, ca, cb)` with the weight of each sample at or below x (the two empirical CDFs,
 * unnormalized, right-continuous): the one pass behind KS and Wasserstein.
 */
export function walkCdfs(a: NumericalSample, b: NumericalSample, visit: (x: number, ca: number, cb: number) => void): void {
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  while (i < a.values.length || j < b.values.length) {
    const x = j >= b.values.length || (i < a.values.length && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    while (i < a.values.length && a.values[i] === x) ca += weightAt(a, i++);
    while (j < b.values.length && b.values[j] === x) cb += weightAt(b, j++);
    visit(x, ca, cb);
  }
}

/** Distinct values of a numerical sample with their counts (folding repeats of an unweighted one). */
export function valueCounts(s: NumericalSample): { values: number[]; counts: number[] } {
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < s.values.length; i++) {
    const v = s.values[i]!;
    if (values.length > 0 && values[values.length - 1] === v) counts[counts.length - 1]! += weightAt(s, i);
    else {
      values.push(v);
      counts.push(weightAt(s, i));
    }
  }
  return { values, counts };
}

/** A numerical sample's values as categories (Evidently tests numbers with <= 5 distinct values so). */
export function asCategorical(s: Sample): CategoricalSample {
  if (s.kind === "categorical") return s;
  const { values, counts } = valueCounts(s);
  return { kind: "categorical", counts: new Map(values.map((v, i) => [String(v), counts[i]!])), n: s.n, exact: s.exact };
}

/**
 * Number of distinct values in both samples together (Evidently's `nunique` of the
 * concatenation), counted up to `cap` + 1: the tests only ask whether it exceeds 2 or 5.
 */
export function distinctInBoth(a: Sample, b: Sample, cap = 5): number {
  if (a.kind === "categorical" || b.kind === "categorical") {
    const keys = new Set([...asCategorical(a).counts.keys(), ...asCategorical(b).counts.keys()]);
    return Math.min(keys.size, cap + 1);
  }
  // A sketch stands for more than a thousand distinct values.
  if (!a.exact || !b.exact) return cap + 1;
  let count = 0;
  let i = 0;
  let j = 0;
  let last = Number.NaN;
  while ((i < a.values.length || j < b.values.length) && count <= cap) {
    const v = j >= b.values.length || (i < a.values.length && a.values[i]! <= b.values[j]!) ? a.values[i++]! : b.values[j++]!;
    if (v !== last) {
      count++;
      last = v;
    }
  }
  return count;
}

/** The category a profile folds its rare categories into, and the current side with them. */
export const OTHER_CATEGORY = "(other)";

/** `s` with every category `known` does not have folded into OTHER_CATEGORY. */
export function foldCategories(s: CategoricalSample, known: ReadonlyMap<string, number>): CategoricalSample {
  const counts = new Map<string, number>();
  for (const [key, n] of s.counts) {
    const folded = known.has(key) ? key : OTHER_CATEGORY;
    counts.set(folded, (counts.get(folded) ?? 0) + n);
  }
  return { ...s, counts };
}
