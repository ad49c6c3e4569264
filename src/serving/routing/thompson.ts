/** A Beta posterior of a variant's mean reward: Beta(1, 1) (uniform) updated by each reward r in [0, 1]. */
export interface Beta {
  alpha: number;
  beta: number;
}

/** The posterior after `n` rewards summing to `sum`: alpha = 1 + sum, beta = 1 + n - sum (both >= 1). */
export function posterior(n: number, sum: number): Beta {
  return { alpha: 1 + sum, beta: 1 + n - sum };
}

/** Grid points of the quadrature: fine enough that P(best) is within 1e-3 of a 100x finer grid (see the tests). */
const POINTS = 2048;

/**
 * The probability that each variant has the highest mean reward under its posterior: the
 * share of traffic Thompson sampling gives it (Thompson draws one mean per variant per
 * request and serves the largest; over many requests each variant is chosen with exactly
 * this probability). Computed, not sampled: P_i = ∫ f_i(x) ∏_{j≠i} F_j(x) dx by the midpoint
 * rule on a grid over where the posteriors have their mass (each mean ± 12 standard
 * deviations), each density normalized on the grid. So the same posteriors always give the
 * same shares (a restart recomputes them exactly), nearby posteriors give nearby shares (no
 * sampling noise that would flip sticky users back and forth), equal posteriors give equal
 * shares exactly, and it costs a few thousand exponentials, not thousands of Beta draws.
 */
export function probabilityBest(posteriors: Beta[]): number[] {
  if (posteriors.length === 1) return [1];
  let lo = 1;
  let hi = 0;
  for (const { alpha, beta } of posteriors) {
    const mean = alpha / (alpha + beta);
    const sd = Math.sqrt((mean * (1 - mean)) / (alpha + beta + 1));
    lo = Math.min(lo, mean - 12 * sd);
    hi = Math.max(hi, mean + 12 * sd);
  }
  lo = Math.max(0, lo);
  hi = Math.min(1, hi);
  const h = (hi - lo) / POINTS;
  // Per variant: its density at each midpoint (summing to 1 on the grid) and its CDF there.
  const densities = posteriors.map(({ alpha, beta }) => {
    const f = new Float64Array(POINTS);
    let max = -Infinity;
    for (let k = 0; k < POINTS; k++) {
      const x = lo + (k + 0.5) * h;
      f[k] = (alpha - 1) * Math.log(x) + (beta - 1) * Math.log1p(-x);
      if (f[k]! > max) max = f[k]!;
    }
    let total = 0;
    for (let k = 0; k < POINTS; k++) total += f[k] = Math.exp(f[k]! - max);
    for (let k = 0; k < POINTS; k++) f[k]! /= total;
    return f;
  });
  const cdfs = densities.map((f) => {
    const F = new Float64Array(POINTS);
    let below = 0;
    for (let k = 0; k < POINTS; k++) {
      // At the midpoint: the mass below plus half its own cell, which makes two equal
      // posteriors exactly 1/2 each and two variants' probabilities sum to exactly 1.
      F[k] = below + f[k]! / 2;
      below += f[k]!;
    }
    return F;
  });
  const best = densities.map((f, i) => {
    let p = 0;
    for (let k = 0; k < POINTS; k++) {
      let others = f[k]!;
      for (let j = 0; j < cdfs.length; j++) if (j !== i) others *= cdfs[j]![k]!;
      p += others;
    }
    return p;
  });
  const sum = best.reduce((a, b) => a + b, 0);
  return best.map((p) => p / sum);
}

/**
 * Thompson's shares with an exploration floor: each variant gets `floor` plus its P(best)
 * of the rest, so none falls below the floor and the shares still sum to 1. Rounded to
 * 1/10,000 (the last variant takes the remainder).
 */
export function banditShares(posteriors: Beta[], floor: number): number[] {
  const best = probabilityBest(posteriors);
  const rest = 1 - floor * posteriors.length;
  const shares = best.map((p) => Math.round((floor + rest * p) * 10_000) / 10_000);
  shares[shares.length - 1] = Math.round((1 - shares.slice(0, -1).reduce((a, b) => a + b, 0)) * 10_000) / 10_000;
  return shares;
}
