import { asCategorical, distinctInBoth, weightAt, type NumericalSample, type Sample } from "./sample.js";
import { histogramCounts } from "./stattests/distances.js";

/**
 * The picture of one feature in a report: reference and current as shares of their rows on
 * the same bins. Numbers with many values get equal-width bins over the central 99% of both
 * sides (a single outlier would otherwise squash everything into one bar), the tails beyond
 * reported as shares; categories and numbers with few values get one bar each.
 */
export type Histogram =
  | {
      kind: "bins";
      /** Bin edges, ascending; bins are [e_i, e_i+1), the last one closed. */
      edges: number[];
      reference: number[];
      current: number[];
      /** Shares below the first edge and above the last one: [below, above]. */
      tails: { reference: [number, number]; current: [number, number] };
    }
  | {
      kind: "values";
      /** Values (categories, or numbers as text) with the largest shares; the rest is `other`. */
      values: string[];
      reference: number[];
      current: number[];
      other: { reference: number; current: number };
    };

const BINS = 24;
const MAX_VALUES = 16;

/** The value at cumulative share p of a weighted sorted sample (the lower one at ties). */
function quantile(s: NumericalSample, p: number): number {
  if (!s.counts) return s.values[Math.min(s.values.length - 1, Math.max(0, Math.ceil(p * s.n) - 1))]!;
  const target = p * s.n;
  let seen = 0;
  for (let i = 0; i < s.values.length; i++) {
    seen += weightAt(s, i);
    if (seen >= target) return s.values[i]!;
  }
  return s.values.at(-1)!;
}

function valueHistogram(reference: Sample, current: Sample): Histogram {
  const r = asCategorical(reference);
  const c = asCategorical(current);
  const keys = [...new Set([...r.counts.keys(), ...c.counts.keys()])];
  const share = (k: string) => (r.counts.get(k) ?? 0) / r.n + (c.counts.get(k) ?? 0) / c.n;
  const numeric = reference.kind === "numerical";
  const ranked = keys.sort((a, b) => share(b) - share(a)).slice(0, MAX_VALUES);
  // Numbers read best in their order; categories by weight.
  if (numeric) ranked.sort((a, b) => Number(a) - Number(b));
  const rs = ranked.map((k) => (r.counts.get(k) ?? 0) / r.n);
  const cs = ranked.map((k) => (c.counts.get(k) ?? 0) / c.n);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return { kind: "values", values: ranked, reference: rs, current: cs, other: { reference: Math.max(0, 1 - sum(rs)), current: Math.max(0, 1 - sum(cs)) } };
}

/** The report histogram of a feature (both samples non-empty). */
export function histogramOf(reference: Sample, current: Sample): Histogram {
  if (reference.kind === "categorical" || current.kind === "categorical" || distinctInBoth(reference, current, MAX_VALUES) <= MAX_VALUES) {
    return valueHistogram(reference, current);
  }
  let lo = Math.min(quantile(reference, 0.005), quantile(current, 0.005));
  let hi = Math.max(quantile(reference, 0.995), quantile(current, 0.995));
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = Array.from({ length: BINS + 1 }, (_, i) => lo + ((hi - lo) * i) / BINS);
  edges[BINS] = hi;
  const shares = (s: NumericalSample) => {
    const counts = histogramCounts(s, edges).map((c) => c / s.n);
    const inside = counts.reduce((a, b) => a + b, 0);
    let below = 0;
    for (let i = 0; i < s.values.length && s.values[i]! < lo; i++) below += weightAt(s, i);
    below /= s.n;
    return { counts, tails: [below, Math.max(0, 1 - inside - below)] as [number, number] };
  };
  const r = shares(reference);
  const c = shares(current);
  return { kind: "bins", edges, reference: r.counts, current: c.counts, tails: { reference: r.tails, current: c.tails } };
}
