/**
 * Obviously-correct (and slow) computations the drift statistics are checked against. Each
 * follows the textbook definition, not the algorithm under test.
 */

/** Empirical CDF of `xs` at x: the share of values <= x. O(n). */
export const ecdf = (xs: number[], x: number): number => xs.filter((v) => v <= x).length / xs.length;

/** KS statistic: max over every observed x of |F_a(x) - F_b(x)|. O(n^2). */
export function ksStatistic(a: number[], b: number[]): number {
  return Math.max(...[...a, ...b].map((x) => Math.abs(ecdf(a, x) - ecdf(b, x))));
}

function binomial(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/**
 * The exact two-sided KS p-value P(D >= h / lcm(m, n)) under the null, by counting lattice
 * paths from (0, 0) to (m, n) with exact integers: a path is one ordering of the pooled
 * sample, all C(m+n, n) equally likely; D >= d iff some point (i, j) of the path has
 * |i/m - j/n| >= d, i.e. |i n/g - j m/g| >= h.
 */
export function ksExactPValue(m: number, n: number, h: number): number {
  const g = gcdOf(m, n);
  const inside = (i: number, j: number) => Math.abs(i * (n / g) - j * (m / g)) < h;
  let row = new Array<bigint>(n + 1).fill(0n);
  for (let i = 0; i <= m; i++) {
    const next = new Array<bigint>(n + 1).fill(0n);
    for (let j = 0; j <= n; j++) {
      if (!inside(i, j)) continue;
      next[j] = i === 0 && j === 0 ? 1n : (i > 0 ? row[j]! : 0n) + (j > 0 ? next[j - 1]! : 0n);
    }
    row = next;
  }
  const total = binomial(m + n, n);
  const outside = total - row[n]!;
  // Both fit a double for the sizes used here; scale down together when they do not.
  const shift = BigInt(Math.max(0, total.toString(2).length - 1000));
  return Number(outside >> shift) / Number(total >> shift);
}

export function gcdOf(a: number, b: number): number {
  return b === 0 ? a : gcdOf(b, a % b);
}

/**
 * First Wasserstein distance by the quantile functions: the integral over p in (0, 1) of
 * |Q_a(p) - Q_b(p)|, where Q is piecewise constant between the breakpoints i/n_a and j/n_b.
 */
export function wasserstein(a: number[], b: number[]): number {
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  const breaks = [...new Set([0, 1, ...sa.map((_, i) => (i + 1) / sa.length), ...sb.map((_, j) => (j + 1) / sb.length)])].sort((x, y) => x - y);
  let total = 0;
  for (let k = 1; k < breaks.length; k++) {
    const mid = (breaks[k - 1]! + breaks[k]!) / 2;
    const qa = sa[Math.min(sa.length - 1, Math.floor(mid * sa.length))]!;
    const qb = sb[Math.min(sb.length - 1, Math.floor(mid * sb.length))]!;
    total += Math.abs(qa - qb) * (breaks[k]! - breaks[k - 1]!);
  }
  return total;
}

/** Population standard deviation. */
export function std(xs: number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
}

/** A seeded generator (Park-Miller) for test data, independent of the code under test. */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** A standard normal draw (Box-Muller). */
export function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

/** Relative closeness with an absolute floor, for p-values. */
export function close(actual: number, expected: number, rtol: number, atol = 0): boolean {
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}
