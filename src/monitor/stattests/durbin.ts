/**
 * Exact Kolmogorov CDF P(D_n <= d) by Durbin's matrix method as Marsaglia, Tsang and Wang
 * (2003) compute it: the k-th diagonal entry of (n!/n^n) H^n for a (2k-1)-square matrix H,
 * with the powers rescaled by 2^128 as they grow. A port of scipy's `_kolmogn_DMTW`
 * (scipy/stats/_ksstats.py); suited to small k = ceil(n d).
 */

const E128 = 128;
const P128 = 2 ** 128;
const M128 = 2 ** -128;

type Matrix = Float64Array[];

function identity(m: number): Matrix {
  return Array.from({ length: m }, (_, i) => {
    const row = new Float64Array(m);
    row[i] = 1;
    return row;
  });
}

function multiply(a: Matrix, b: Matrix): Matrix {
  const m = a.length;
  const out = Array.from({ length: m }, () => new Float64Array(m));
  for (let i = 0; i < m; i++) {
    const ai = a[i]!;
    const oi = out[i]!;
    for (let k = 0; k < m; k++) {
      const aik = ai[k]!;
      if (aik === 0) continue;
      const bk = b[k]!;
      for (let j = 0; j < m; j++) oi[j]! += aik * bk[j]!;
    }
  }
  return out;
}

/** P(D_n <= d), exact. */
export function kolmogorovCdfDurbin(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  // v: first column (and reversed, last row) of H; w[j] = 1/j!.
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m;
  v[m - 1] = (1 + tt) * factorial;

  let H: Matrix = Array.from({ length: m }, () => new Float64Array(m));
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r]![i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r]![0] = v[r]!;
  for (let c = 0; c < m; c++) H[m - 1]![c] = v[m - 1 - c]!;

  let power = identity(m);
  let exponent = 0; // power is scaled by 2^-exponent
  let hExponent = 0;
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2) {
      power = multiply(power, H);
      exponent += hExponent;
    }
    H = multiply(H, H);
    hExponent *= 2;
    if (Math.abs(H[k - 1]![k - 1]!) > P128) {
      for (const row of H) for (let j = 0; j < m; j++) row[j]! /= P128;
      hExponent += E128;
    }
  }
  let p = power[k - 1]![k - 1]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < M128) {
      p *= P128;
      exponent -= E128;
    }
  }
  return Math.min(1, Math.max(0, ldexp(p, exponent)));
}

/** x * 2^e without the intermediate 2^e under- or overflowing (C's ldexp). */
export function ldexp(x: number, e: number): number {
  if (e === 0) return x;
  const half = Math.trunc(e / 2);
  return x * 2 ** half * 2 ** (e - half);
}
