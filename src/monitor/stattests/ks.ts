import { walkCdfs, type NumericalSample } from "../sample.js";
import { kolmogorovSf } from "./kolmogorov.js";

/**
 * The two-sample Kolmogorov-Smirnov test, two-sided, as scipy's `ks_2samp(a, b)` computes it
 * in its default mode ("auto"): the exact null distribution when both samples have at most
 * 10,000 observations, else Smirnov's asymptotic form (the one-sample Kolmogorov
 * distribution at n = round(n1 n2 / (n1 + n2))).
 */

const MAX_AUTO_N = 10_000;

/**
 * An empirical CDF value c/n as scipy forms it, `np.linspace(0, 1, n + 1)[c]` = c * (1/n)
 * with the last exactly 1, so statistics agree with scipy's to the last bit.
 */
const cdfValue = (c: number, n: number) => (c === n ? 1 : c * (1 / n));

/** D = max over x of |F_a(x) - F_b(x)|, with both empirical CDFs right-continuous. */
export function ksStatistic(a: NumericalSample, b: NumericalSample): number {
  let d = 0;
  walkCdfs(a, b, (_x, ca, cb) => {
    const diff = Math.abs(cdfValue(ca, a.n) - cdfValue(cb, b.n));
    if (diff > d) d = diff;
  });
  return d;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * P(D_{n,n} >= h/n) for equal sample sizes: 2 * sum (-1)^(k-1) C(2n, n-kh) / C(2n, n), by
 * scipy's Horner-like scheme that avoids the alternating sum's cancellation
 * (`_compute_prob_outside_square`).
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m - y/n| < h/lcm,
 * by Hodges' inside method with Viehmann's recursion for 1 - p (scipy's
 * `_compute_outer_prob_inside_method`).
 */
function probOutsideBand(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj]! * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1]!;
}

/** The exact two-sided p-value, or undefined when it cannot be computed (scipy then goes asymptotic). */
function exactPValue(n1: number, n2: number, d: number): number | undefined {
  const g = gcd(n1, n2);
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  if (h === 0) return 1;
  const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideBand(n1, n2, g, h);
  return p >= 0 && p <= 1 ? p : undefined;
}

/** The two-sided p-value of statistic `d` for sample sizes n1, n2 (scipy's `_ks_2samp_prob`, mode "auto"). */
export function ksPValue(d: number, n1: number, n2: number): number {
  if (Math.max(n1, n2) <= MAX_AUTO_N) {
    const exact = exactPValue(n1, n2, d);
    if (exact !== undefined) return exact;
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1];
  const en = (m * n) / (m + n);
  return Math.min(1, Math.max(0, kolmogorovSf(roundHalfEven(en), d)));
}

/** ks_2samp(a, b): the statistic and its two-sided p-value. */
export function ksTest(a: NumericalSample, b: NumericalSample): { statistic: number; pValue: number } {
  const statistic = ksStatistic(a, b);
  return { statistic, pValue: ksPValue(statistic, a.n, b.n) };
}
