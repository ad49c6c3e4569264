import { asCategorical, type Sample } from "../sample.js";
import { chiSquareSf, normalCdf } from "./special.js";

/**
 * The tests Evidently applies to categories (and to numbers with at most 5 distinct values):
 * Pearson's chi-square of the current counts against the reference counts scaled to the
 * current size, and the two-proportion Z test for two categories.
 */

/**
 * chi-square p-value (Evidently's `chisquare`): expected = reference count * n_cur / n_ref for
 * every value seen on either side, statistic sum (obs - exp)^2 / exp with k - 1 degrees of
 * freedom. A value absent from the reference makes the statistic infinite: p = 0.
 */
export function chiSquareTest(reference: Sample, current: Sample): { statistic: number; pValue: number } {
  const r = asCategorical(reference);
  const c = asCategorical(current);
  const keys = new Set([...r.counts.keys(), ...c.counts.keys()]);
  const scale = c.n / r.n;
  let statistic = 0;
  for (const key of keys) {
    const expected = (r.counts.get(key) ?? 0) * scale;
    const observed = c.counts.get(key) ?? 0;
    statistic += expected === 0 ? (observed === 0 ? 0 : Infinity) : (observed - expected) ** 2 / expected;
  }
  // One category on both sides: nothing can differ (scipy would answer NaN for 0 dof).
  if (keys.size < 2) return { statistic: 0, pValue: 1 };
  return { statistic, pValue: chiSquareSf(statistic, keys.size - 1) };
}

/**
 * Two-proportion Z test, two-sided (Evidently's `z`): the share of one category against all
 * others, pooled variance. Evidently takes the first in sorted order; the two-sided p-value
 * does not depend on which. It is 2 Φ(-|z|): Evidently's 2 (1 - Φ(|z|)) without its loss of
 * digits below 1e-16.
 */
export function zTest(reference: Sample, current: Sample): { statistic: number; pValue: number } {
  const r = asCategorical(reference);
  const c = asCategorical(current);
  if (r.counts.size === 1 && c.counts.size === 1 && [...r.counts.keys()][0] === [...c.counts.keys()][0]) return { statistic: 0, pValue: 1 };
  const [first] = [...new Set([...r.counts.keys(), ...c.counts.keys()])].sort();
  const p1 = (r.n - (r.counts.get(first!) ?? 0)) / r.n;
  const p2 = (c.n - (c.counts.get(first!) ?? 0)) / c.n;
  const pooled = (p1 * r.n + p2 * c.n) / (r.n + c.n);
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / r.n + 1 / c.n));
  return { statistic: z, pValue: 2 * normalCdf(-Math.abs(z)) };
}
