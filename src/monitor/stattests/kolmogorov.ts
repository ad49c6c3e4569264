import { kolmogorovCdfDurbin } from "./durbin.js";
import { kolmogorovCdfPomeranz } from "./pomeranz.js";
import { smirnovSf } from "./smirnov.js";

/**
 * The two-sided one-sample Kolmogorov distribution of D_n = sup |F_n - F|: scipy's
 * `stats.kstwo.sf(d, n)`, which the two-sample KS test uses in its asymptotic mode. Simard and
 * L'Ecuyer's (2011) choice of method by region, as scipy's `_kolmogn` makes it: closed forms
 * at the ends (Ruben-Gambino), twice the one-sided Smirnov tail for large d, Durbin's matrix
 * or Pomeranz's recursion (exact) for small n, the Pelz-Good expansion for large n.
 */

const PI2 = Math.PI ** 2;
const PI4 = Math.PI ** 4;
const PI6 = Math.PI ** 6;
const SQRT2PI = Math.sqrt(2 * Math.PI);
const MIN_LOG = -708;

const clip = (p: number) => Math.min(1, Math.max(0, p));

/** ln(n!/n^n) by Stirling's series, with n ln n removed up front (scipy's `_log_nfactorial_div_n_pow_n`). */
function logFactorialOverPower(n: number): number {
  const coefficients = [
    -2.955065359477124183e-2, 6.4102564102564102564e-3, -1.9175269175269175269e-3, 8.4175084175084175084e-4,
    -5.952380952380952381e-4, 7.9365079365079365079e-4, -2.7777777777777777778e-3, 8.3333333333333333333e-2,
  ];
  const rn = 1 / n;
  const r2 = rn / n;
  let poly = 0;
  for (const c of coefficients) poly = poly * r2 + c;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/** P(D_n <= x) by the Pelz-Good asymptotic expansion (scipy's `_kolmogn_PelzGood`). */
function kolmogorovCdfPelzGood(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qlog = -PI2 / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;

  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qpower = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qpower + coeffs[i]!;
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * SQRT2PI) / divisors[i]!;

  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    const kpi = Math.PI * k;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K[2]! += k2extra * ((PI2 * SQRT2PI) / (-36 * z3));
  K[3]! += k3extra * ((PI2 * SQRT2PI) / (216 * z6));
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

/**
 * scipy's `_kolmogn(n, x, cdf)`: P(D_n <= x) when `cdf`, else P(D_n >= x); n a positive
 * integer. The survival side is computed directly where it is small, so tiny p-values keep
 * their digits.
 */
function kolmogn(n: number, x: number, cdf: boolean): number {
  if (!Number.isInteger(n) || n <= 0 || Number.isNaN(x)) return Number.NaN;
  const pick = (lower: number, upper: number) => clip(cdf ? lower : upper);
  if (x >= 1) return pick(1, 0);
  if (x <= 0) return pick(0, 1);
  const t = n * x;
  if (t <= 1) {
    // Ruben-Gambino: 1/2n <= x <= 1/n
    if (t <= 0.5) return pick(0, 1);
    let prob = 1;
    if (n <= 140) for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1);
    else prob = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return pick(prob, 1 - prob);
  }
  if (t >= n - 1) {
    const prob = 2 * (1 - x) ** n; // Ruben-Gambino
    return pick(1 - prob, prob);
  }
  if (x >= 0.5) {
    const prob = 2 * smirnovSf(n, x); // exact: the one-sided tails no longer overlap
    return pick(1 - prob, prob);
  }
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) {
      const prob = kolmogorovCdfDurbin(n, x);
      return pick(prob, 1 - prob);
    }
    if (nx2 <= 4) {
      const prob = kolmogorovCdfPomeranz(n, x);
      return pick(prob, 1 - prob);
    }
    const prob = 2 * smirnovSf(n, x); // Miller's approximation
    return pick(1 - prob, prob);
  }
  if (!cdf) {
    if (nx2 >= 370) return 0;
    if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x));
  }
  const prob = nx2 >= 18 ? 1 : n <= 100_000 && n * x ** 1.5 <= 1.4 ? kolmogorovCdfDurbin(n, x) : kolmogorovCdfPelzGood(n, x);
  return pick(prob, 1 - prob);
}

/** P(D_n >= x) for the two-sided one-sample KS statistic: scipy's `stats.kstwo.sf(x, n)`. */
export const kolmogorovSf = (n: number, x: number): number => kolmogn(n, x, false);

/** P(D_n <= x): scipy's `stats.kstwo.cdf(x, n)`. */
export const kolmogorovCdf = (n: number, x: number): number => kolmogn(n, x, true);
