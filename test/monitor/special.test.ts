import { test } from "node:test";
import assert from "node:assert/strict";
import { chiSquareSf, erfc, gammaP, gammaQ, logGamma, normalCdf } from "../../src/monitor/stattests/special.js";
import { close } from "./oracle.js";

test("log-gamma matches factorials and Γ(1/2) = √π", () => {
  let factorial = 1;
  for (let n = 1; n <= 25; n++) {
    assert.ok(close(logGamma(n + 1), Math.log((factorial *= n)), 1e-14), `ln ${n}!`);
  }
  assert.ok(close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14));
  // ln Γ(100) = ln 99!, a published value (Abramowitz & Stegun 6.1).
  assert.ok(close(logGamma(100), 359.13420536957539878, 1e-14));
});

test("the normal CDF matches published values, to full relative precision in the far tail", () => {
  const table: [number, number][] = [
    [0, 0.5],
    [1, 0.8413447460685429],
    [-1, 0.15865525393145707],
    [1.959963984540054, 0.975],
    [-3, 0.0013498980316300946],
    [-5, 2.866515718791939e-7],
    [-8, 6.220960574271785e-16],
    [-20, 2.7536241186062337e-89],
  ];
  for (const [z, p] of table) assert.ok(close(normalCdf(z), p, 1e-12), `Φ(${z}) = ${normalCdf(z)}, expected ${p}`);
  assert.ok(close(erfc(0.5), 0.4795001221869535, 1e-14));
});

test("the chi-square survival function matches the closed forms and published critical values", () => {
  // Even degrees of freedom: P(X > x) = e^(-x/2) sum_{i < k/2} (x/2)^i / i!, a finite sum.
  const evenSf = (x: number, dof: number) => {
    let term = 1;
    let sum = 1;
    for (let i = 1; i < dof / 2; i++) sum += (term *= x / 2 / i);
    return Math.exp(-x / 2) * sum;
  };
  for (const dof of [2, 4, 10, 40, 200]) {
    for (const x of [0.1, 1, dof / 2, dof, dof + 3 * Math.sqrt(2 * dof), 5 * dof]) {
      assert.ok(close(chiSquareSf(x, dof), evenSf(x, dof), 1e-12), `dof ${dof}, x ${x}: ${chiSquareSf(x, dof)} vs ${evenSf(x, dof)}`);
    }
  }
  // One degree of freedom: P(X > x) = erfc(sqrt(x/2)); the 5% critical values of the usual tables.
  assert.ok(close(chiSquareSf(3.841458820694124, 1), 0.05, 1e-13));
  assert.ok(close(chiSquareSf(18.307038053275146, 10), 0.05, 1e-13));
  assert.ok(close(chiSquareSf(124.34211340400407, 100), 0.05, 1e-12));
  assert.ok(close(chiSquareSf(6.6348966010212145, 1), 0.01, 1e-13));
  assert.equal(chiSquareSf(0, 3), 1);
  assert.equal(chiSquareSf(Infinity, 3), 0);
});

test("the regularized incomplete gamma functions are complements and handle their edges", () => {
  for (const [a, x] of [[0.5, 0.1], [3, 2], [3, 10], [50, 45], [50, 80]] as const) {
    assert.ok(close(gammaP(a, x) + gammaQ(a, x), 1, 1e-14), `a ${a}, x ${x}`);
  }
  assert.ok(Number.isNaN(gammaQ(-1, 1)));
  assert.equal(gammaQ(2, 0), 1);
});
