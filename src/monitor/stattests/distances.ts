import { asCategorical, walkCdfs, type CategoricalSample, type NumericalSample } from "../sample.js";

/**
 * The distance-based drift scores: Wasserstein (scipy's `wasserstein_distance`), and the
 * binned Jensen-Shannon distance and PSI as Evidently bins them (`get_binned_data`): numeric
 * features with more than 20 distinct reference values on numpy's Sturges bins over both
 * samples, everything else on its values.
 */

/**
 * The first Wasserstein distance: the area between the two empirical CDFs,
 * sum over consecutive pooled values of |F_a - F_b| * (x_{k+1} - x_k) (scipy's `_cdf_distance`).
 */
export function wassersteinDistance(a: NumericalSample, b: NumericalSample): number {
  let sum = 0;
  let compensation = 0;
  let previous = Number.NaN;
  let gap = 0;
  walkCdfs(a, b, (x, ca, cb) => {
    if (!Number.isNaN(previous)) {
      const term = gap * (x - previous);
      const t = sum + term; // Neumaier: up to 2M terms of mixed size
      compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
      sum = t;
    }
    gap = Math.abs(ca / a.n - cb / b.n);
    previous = x;
  });
  return sum + compensation;
}

/** Wasserstein distance over the reference's population standard deviation (floored at 0.001), Evidently's "normed" score. */
export function normedWasserstein(reference: NumericalSample, current: NumericalSample): number {
  return wassersteinDistance(reference, current) / Math.max(reference.std, 0.001);
}

/**
 * numpy's `histogram_bin_edges(both, bins="sturges")`: width = range / (log2(N) + 1), at least
 * 1 for integer data, ceil(range / width) bins, edges by `linspace` (start + i * step, the last
 * exactly the maximum).
 */
export function sturgesEdges(min: number, max: number, count: number, integer: boolean): number[] {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let width = (max - min) / (Math.log2(count) + 1);
  if (integer && width > 0 && width < 1) width = 1;
  const bins = width > 0 ? Math.ceil((last - first) / width) : 1;
  const step = (last - first) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => i * step + first);
  edges[bins] = last;
  return edges;
}

/** Index of the first value >= x (side "left") or > x (side "right") in an ascending array. */
function searchSorted(values: Float64Array, x: number, side: "left" | "right"): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (side === "left" ? values[mid]! < x : values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Weighted counts per bin as `np.histogram(values, edges)`: [e_i, e_i+1) except the last bin,
 * which includes its right edge; values outside the edges are not counted.
 */
export function histogramCounts(s: NumericalSample, edges: number[]): number[] {
  const at = (k: number) => searchSorted(s.values, edges[k]!, k === edges.length - 1 ? "right" : "left");
  if (!s.counts) return edges.slice(1).map((_, k) => at(k + 1) - at(k));
  // Weighted: sum the weights between the positions.
  const positions = edges.map((_, k) => at(k));
  return positions.slice(1).map((to, k) => {
    let sum = 0;
    for (let i = positions[k]!; i < to; i++) sum += s.counts![i]!;
    return sum;
  });
}

/** scipy's `rel_entr`. */
const relEntr = (x: number, y: number) => (x > 0 && y > 0 ? x * Math.log(x / y) : x === 0 && y >= 0 ? 0 : Infinity);

/** Jensen-Shannon distance (natural log): sqrt of the JS divergence of the normalized p and q (scipy's `jensenshannon`). */
export function jensenShannonDistance(p: number[], q: number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    divergence += relEntr(pi, m) + relEntr(qi, m);
  }
  return Math.sqrt(divergence / 2);
}

/** Evidently's "feel zeroes": an empty bin gets min(non-empty)/1e6, or 0.0001 when the smallest share is larger. */
function fillZeroes(shares: number[]): number[] {
  const positive = shares.filter((s) => s !== 0);
  if (positive.length === 0) return shares;
  const min = Math.min(...positive);
  const fill = min <= 0.0001 ? min / 10 ** 6 : 0.0001;
  return shares.map((s) => (s === 0 ? fill : s));
}

/** Population stability index, sum (r - c) ln(r / c), on shares with empty bins filled (Evidently's `psi`). */
export function populationStabilityIndex(reference: number[], current: number[]): number {
  const r = fillZeroes(reference);
  const c = fillZeroes(current);
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
  return sum;
}

/**
 * Shares of each sample per bin, as Evidently's `get_binned_data` makes them: Sturges bins over
 * both samples for a numeric feature with more than 20 distinct reference values, else one
 * bin per value seen on either side. Shares are count / n.
 */
export function binnedShares(reference: NumericalSample | CategoricalSample, current: NumericalSample | CategoricalSample): { reference: number[]; current: number[] } {
  if (reference.kind === "numerical" && current.kind === "numerical" && reference.distinct > 20) {
    const min = Math.min(reference.values[0]!, current.values[0]!);
    const max = Math.max(reference.values.at(-1)!, current.values.at(-1)!);
    const edges = sturgesEdges(min, max, reference.n + current.n, reference.integer && current.integer);
    return {
      reference: histogramCounts(reference, edges).map((c) => c / reference.n),
      current: histogramCounts(current, edges).map((c) => c / current.n),
    };
  }
  const r = asCategorical(reference).counts;
  const c = asCategorical(current).counts;
  const keys = [...new Set([...r.keys(), ...c.keys()])];
  return { reference: keys.map((k) => (r.get(k) ?? 0) / reference.n), current: keys.map((k) => (c.get(k) ?? 0) / current.n) };
}
