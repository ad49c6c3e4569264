import { test } from "node:test";
import assert from "node:assert/strict";
import { kolmogorovCdfDurbin } from "../../src/monitor/stattests/durbin.js";
import { kolmogorovCdf, kolmogorovSf } from "../../src/monitor/stattests/kolmogorov.js";
import { kolmogorovCdfPomeranz } from "../../src/monitor/stattests/pomeranz.js";
import { smirnovSf } from "../../src/monitor/stattests/smirnov.js";
import { close } from "./oracle.js";

test("the one-sided Smirnov tail matches scipy's published cases", () => {
  // scipy/special/tests/test_kolmogorov.py, TestSmirnov (rtol 1e-10 there too).
  const cases: [number, number, number][] = [
    [1, 0.1, 0.9],
    [1, 0.875, 0.125],
    [2, 0.875, 0.125 ** 2],
    [3, 0.875, 0.125 ** 3],
    [2, 0.5, 0.25],
    [3, 0.5, 0.166666666667],
    [4, 0.5, 0.09375],
    [5, 0.5, 0.056],
    [6, 0.5, 0.0327932098765],
    [7, 0.5, 0.0191958707681],
    [8, 0.5, 0.0112953186035],
    [9, 0.5, 0.00661933257355],
    [10, 0.5, 0.003888705],
  ];
  for (const [n, x, p] of cases) assert.ok(close(smirnovSf(n, x), p, 1e-10), `smirnov(${n}, ${x}) = ${smirnovSf(n, x)}, expected ${p}`);
  for (const n of [2, 19, 1010]) {
    assert.equal(smirnovSf(n, 0), 1);
    assert.equal(smirnovSf(n, 1), 0);
  }
  // For x >= 1 - 1/n the tail is (1 - x)^n exactly; for n = 2 on [0.5, 1] it is (1 - x)^2.
  for (const x of [0.5, 0.6, 0.73, 0.99]) assert.ok(close(smirnovSf(2, x), (1 - x) ** 2, 1e-12));
  // Decreasing in n at fixed x.
  const tails = Array.from({ length: 35 }, (_, i) => smirnovSf(400 + 20 * i, 0.4));
  assert.ok(tails.every((p, i) => i === 0 || p <= tails[i - 1]!));
});

test("the Kolmogorov CDF matches Simard and L'Ecuyer's table (500-bit reference values)", () => {
  // scipy/stats/tests/test_distributions.py TestKSTwo.test_simard_lecuyer_table1: x = r * ln 2 * sqrt(pi / 2n).
  const ns = [10, 50, 100, 200, 500, 1000];
  const ratios = [1 / 4, 1 / 3, 1 / 2, 1, 2, 3];
  const expected = [
    [1.92155292e-8, 5.72933228e-5, 2.15233226e-2, 6.31566589e-1, 9.97685592e-1, 9.99999942e-1],
    [2.28096224e-9, 1.99142563e-5, 1.42617934e-2, 5.95345542e-1, 9.96177701e-1, 9.99998662e-1],
    [1.00201886e-9, 1.32673079e-5, 1.24608594e-2, 5.8616322e-1, 9.95866877e-1, 9.9999824e-1],
    [4.93313022e-10, 9.52658029e-6, 1.12123138e-2, 5.79486872e-1, 9.95661824e-1, 9.99997964e-1],
    [2.37049293e-10, 6.85002458e-6, 1.01309221e-2, 5.73427224e-1, 9.95491207e-1, 9.9999775e-1],
    [1.56990874e-10, 5.71738276e-6, 9.5972543e-3, 5.70322692e-1, 9.95409545e-1, 9.99997657e-1],
  ];
  ns.forEach((n, i) =>
    ratios.forEach((r, j) => {
      const x = r * Math.LN2 * Math.sqrt(Math.PI / 2 / n);
      assert.ok(close(kolmogorovCdf(n, x), expected[i]![j]!, 1e-5), `n ${n}, x ${x}: ${kolmogorovCdf(n, x)} vs ${expected[i]![j]}`);
    }),
  );
});

test("the Kolmogorov tail has its exact values at the ends of its support", () => {
  // scipy TestKSTwo.test_sf: 1 up to 1/2n; 1 - n!/n^n at 1/n; 2 smirnov(n, 1/2) at 1/2; 2/n^n at 1 - 1/n.
  for (const n of [1, 2, 3, 10, 100, 1000]) {
    let factorialOverPower = 1;
    for (let i = 1; i <= n; i++) factorialOverPower *= i / n;
    assert.equal(kolmogorovSf(n, 0), 1);
    assert.equal(kolmogorovSf(n, 0.5 / n), 1);
    assert.ok(close(kolmogorovSf(n, 1 / n), 1 - factorialOverPower, 1e-7), `n ${n} at 1/n`);
    if (n > 1) assert.ok(close(kolmogorovSf(n, 0.5), 2 * smirnovSf(n, 0.5), 1e-7), `n ${n} at 1/2`);
    assert.ok(close(kolmogorovSf(n, 1 - 1 / n), Math.min(2 * (1 / n) ** n, 1), 1e-7), `n ${n} at 1 - 1/n`);
    assert.equal(kolmogorovSf(n, 1), 0);
    // Where the two sides come from different methods they agree to 6 decimals (scipy tests the same).
    for (const x of [0.05, 0.1, 0.3, 0.7]) assert.ok(close(kolmogorovCdf(n, x) + kolmogorovSf(n, x), 1, 0, 1e-6));
  }
});

test("Durbin's matrix and Pomeranz's recursion, two exact methods, agree", () => {
  for (const n of [5, 17, 60, 140]) {
    for (const x of [0.08, 0.12, 0.2, 0.3]) {
      if (n * x <= 1) continue;
      assert.ok(close(kolmogorovCdfDurbin(n, x), kolmogorovCdfPomeranz(n, x), 1e-10), `n ${n}, x ${x}`);
    }
  }
});
