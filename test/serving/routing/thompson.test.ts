import { test } from "node:test";
import assert from "node:assert/strict";
import { banditShares, posterior, probabilityBest, type Beta } from "../../../src/serving/routing/thompson.js";

/**
 * The oracle: P(variant i has the largest mean) = ∫ f_i(x) ∏_{j≠i} F_j(x) dx for Beta
 * densities f and CDFs F, by the midpoint rule on a fine grid (each density normalized on
 * the grid itself, so no Beta function is needed).
 */
function exactBest(posteriors: Beta[], points = 200_000): number[] {
  const h = 1 / points;
  const densities = posteriors.map(({ alpha, beta }) => {
    const logs = Array.from({ length: points }, (_, k) => {
      const x = (k + 0.5) * h;
      return (alpha - 1) * Math.log(x) + (beta - 1) * Math.log(1 - x);
    });
    const max = logs.reduce((m, l) => (l > m ? l : m), -Infinity);
    const f = logs.map((l) => Math.exp(l - max));
    const total = f.reduce((a, b) => a + b, 0);
    return f.map((v) => v / total);
  });
  // CDF at the midpoint: the mass below plus half of the point's own.
  const cdfs = densities.map((f) => {
    let below = 0;
    return f.map((v) => {
      const F = below + v / 2;
      below += v;
      return F;
    });
  });
  return densities.map((f, i) => f.reduce((sum, v, k) => sum + v * cdfs.reduce((prod, F, j) => (j === i ? prod : prod * F[k]!), 1), 0));
}

test("P(best) on a 2,048-point grid agrees with a 200,000-point integration over [0, 1] within 0.001", () => {
  const cases: Beta[][] = [
    [{ alpha: 1, beta: 1 }, { alpha: 1, beta: 1 }],
    [{ alpha: 10, beta: 5 }, { alpha: 5, beta: 10 }],
    [{ alpha: 3, beta: 8 }, { alpha: 4, beta: 7 }],
    [{ alpha: 50.5, beta: 50 }, { alpha: 55, beta: 45.25 }],
    [posterior(400, 212), posterior(380, 209.5)],
    [{ alpha: 2, beta: 2 }, { alpha: 6, beta: 3 }, { alpha: 3, beta: 6 }],
    [{ alpha: 1, beta: 40 }, { alpha: 2, beta: 60 }],
    [posterior(20_000, 10_030), posterior(20_000, 10_000)],
  ];
  for (const c of cases) {
    const got = probabilityBest(c);
    const want = exactBest(c);
    assert.ok(Math.abs(got.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    got.forEach((p, i) => assert.ok(Math.abs(p - want[i]!) <= 0.001, `${JSON.stringify(c)}: variant ${i} ${p} vs ${want[i]}`));
  }
});

test("equal posteriors share equally; the floor holds and shares sum to 1", () => {
  assert.deepEqual(probabilityBest([posterior(7, 3.5), posterior(7, 3.5)]), [0.5, 0.5]);
  const ps = [posterior(200, 60), posterior(200, 140)];
  const shares = banditShares(ps, 0.05);
  assert.equal(shares.reduce((a, b) => a + b, 0), 1);
  assert.deepEqual(shares, [0.05, 0.95]);
  const three = banditShares([posterior(0, 0), posterior(0, 0), posterior(0, 0)], 0.1);
  for (const s of three) assert.ok(Math.abs(s - 1 / 3) < 0.001, String(three));
  assert.ok(Math.abs(three.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.deepEqual(banditShares([posterior(10, 1)], 0), [1]);
});
