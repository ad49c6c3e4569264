/**
 * The one-sided Smirnov distribution: P(D_n+ >= x) for a sample of n from a continuous
 * distribution, as scipy's `special.smirnov(n, x)` (xsf's cephes/kolmogorov.h) computes it,
 * by the Birnbaum-Tingey sum
 *
 *   x * sum_{j=0}^{floor(n(1-x))} C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1)
 *
 * whose terms are all positive (no cancellation). xsf sums them in double-double; here each
 * term is formed in log space from an exact product n*x (two-product), which keeps about 12
 * significant digits for n up to 10^6, enough for a p-value.
 */

/** ln of the smallest positive double over which exp() does not underflow (cephes MINLOG). */
const MINLOG = -708.3964185322641;
/** Beyond this n, xsf uses an approximation (SMIRNOV_MAX_COMPUTE_N). */
const MAX_COMPUTE_N = 1_000_000;

/** x*y as an unevaluated sum hi + lo (Dekker's two-product; exact barring overflow). */
function twoProduct(x: number, y: number): [number, number] {
  const hi = x * y;
  const split = (v: number): [number, number] => {
    const c = 134217729 * v; // 2^27 + 1
    const high = c - (c - v);
    return [high, v - high];
  };
  const [xh, xl] = split(x);
  const [yh, yl] = split(y);
  const lo = xh * yh - hi + xh * yl + xl * yh + xl * yl;
  return [hi, lo];
}

/** (1 + x)^m, as xsf's pow2 for the special cases (computed via log1p for accuracy). */
const onePlusPow = (x: number, m: number) => Math.exp(m * Math.log1p(x));

/** P(D_n+ >= x): scipy.special.smirnov(n, x). */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const [nxHi, nxLo] = twoProduct(n, x);
  let nxFloor = Math.floor(nxHi);
  // alpha = frac(n x), computed from the exact product so that x = k/n gives exactly 0.
  let alpha = nxHi - nxFloor + nxLo;
  if (alpha < 0) {
    nxFloor -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    nxFloor += 1;
    alpha -= 1;
  }
  // x <= 1/n: the sum has one term.
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) return 1 - x * onePlusPow(x, n - 1);
  if (-2 * n * x * x < MINLOG) return 0;
  if (nxFloor >= n - 1) return onePlusPow(-x, n);
  if (n > MAX_COMPUTE_N) {
    // xsf: p ~ exp(-(6nx + 1)^2 / 18n)
    const logp = -Math.pow(6 * n * x + 1, 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  // Terms j = 0 .. floor(n(1-x)); when n(1-x) is an integer its last term is 0 and left out.
  const lastJ = n - nxFloor - 1;
  let logBinomial = 0; // ln C(n, j)
  let sum = 0;
  let compensation = 0;
  for (let j = 0; j <= lastJ; j++) {
    if (j > 0) logBinomial += Math.log((n - j + 1) / j);
    // 1 - x - j/n = ((n - j) - nx) / n and x + j/n = (j + nx) / n, from the exact nx.
    const below = (n - j - nxHi - nxLo) / n;
    const above = (j + nxHi + nxLo) / n;
    if (below <= 0) break;
    const logTerm = logBinomial + (n - j) * Math.log(below) + (j - 1) * Math.log(above);
    const term = Math.exp(logTerm);
    // Neumaier summation: the sum runs over up to n terms.
    const t = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
    // xsf's early exit: the remaining terms can no longer change the sum.
    if (term !== 0 ? 4 * (lastJ + 1 - j) * term < Number.EPSILON * sum && j !== lastJ : j > n / 2) break;
  }
  const sf = x * (sum + compensation);
  return Math.min(1, Math.max(0, sf));
}
