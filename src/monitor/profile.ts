import { valueCounts, weightAt, type CategoricalSample, type NumericalSample } from "./sample.js";
import { histogramCounts, sturgesEdges } from "./stattests/distances.js";
import type { CategoricalProfile, NumericalProfile } from "./profile-format.js";
import type { ColumnQuality } from "./side.js";

/**
 * Builds the parts of a reference profile (profile-format.ts) from data read once, exactly.
 */

/** Up to this many distinct values a numerical feature is stored exactly. */
export const EXACT_VALUES = 1000;
/** Bins of the sketch of a numerical feature with more distinct values. */
export const SKETCH_BINS = 1000;
export const MAX_CATEGORIES = 10_000;
export const QUANTILES = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

/** numpy's default (linear) quantile of sorted unit-weight values. */
function linearQuantile(values: Float64Array, p: number): number {
  const h = (values.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, values.length - 1);
  return values[lo]! + (h - lo) * (values[hi]! - values[lo]!);
}

/** The numerical profile of a column read from data (a unit-weight sample). */
export function numericalProfile(name: string, column: string, dtype: string, sample: NumericalSample, quality: ColumnQuality): NumericalProfile {
  const v = sample.values;
  const common = { name, column, dtype, rows: quality.rows, missing: quality.missing, count: sample.n, distinct: sample.distinct, kind: "numerical" as const, integer: sample.integer };
  if (sample.n === 0) {
    return { ...common, mean: null, std: null, min: null, max: null, quantiles: { p: QUANTILES, values: [] }, histogram: { edges: [], counts: [] }, distribution: { exact: true, values: [], counts: [] } };
  }
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * weightAt(sample, i);
  const edges = sturgesEdges(v[0]!, v.at(-1)!, sample.n, sample.integer);
  return {
    ...common,
    mean: sum / sample.n,
    std: sample.std,
    min: v[0]!,
    max: v.at(-1)!,
    quantiles: { p: QUANTILES, values: QUANTILES.map((p) => linearQuantile(v, p)) },
    histogram: { edges, counts: histogramCounts(sample, edges) },
    distribution: sample.distinct <= EXACT_VALUES ? { exact: true, ...valueCounts(sample) } : sketch(v),
  };
}

/** Means of SKETCH_BINS equal-count bins of sorted values (bin b: ranks floor(b n / k) up to floor((b+1) n / k)). */
function sketch(sorted: Float64Array): NumericalProfile["distribution"] {
  const n = sorted.length;
  const values: number[] = [];
  const counts: number[] = [];
  for (let b = 0; b < SKETCH_BINS; b++) {
    const from = Math.floor((b * n) / SKETCH_BINS);
    const to = Math.floor(((b + 1) * n) / SKETCH_BINS);
    if (to === from) continue;
    let sum = 0;
    for (let i = from; i < to; i++) sum += sorted[i]!;
    values.push(sum / (to - from));
    counts.push(to - from);
  }
  return { exact: false, values, counts };
}

/** The categorical profile of a column read from data. */
export function categoricalProfile(name: string, column: string, dtype: string, sample: CategoricalSample, quality: ColumnQuality): CategoricalProfile {
  const ranked = [...sample.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = ranked.slice(0, MAX_CATEGORIES);
  const other = ranked.slice(MAX_CATEGORIES).reduce((a, [, n]) => a + n, 0);
  return {
    name,
    column,
    dtype,
    rows: quality.rows,
    missing: quality.missing,
    count: sample.n,
    distinct: sample.counts.size,
    kind: "categorical",
    categories: { exact: other === 0, values: kept.map(([k]) => k), counts: kept.map(([, n]) => n), other },
  };
}
