import { test } from "node:test";
import assert from "node:assert/strict";
import { numericalSample } from "../../src/monitor/sample.js";
import { kolmogorovSf } from "../../src/monitor/stattests/kolmogorov.js";
import { ksPValue, ksStatistic, ksTest } from "../../src/monitor/stattests/ks.js";
import { close, gcdOf, ksExactPValue, ksStatistic as naiveStatistic, lcg, normal } from "./oracle.js";

const sample = (xs: number[]) => numericalSample(Float64Array.from(xs));
const linspace = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

test("the KS statistic equals the O(n^2) definition on random samples with ties", () => {
  const next = lcg(11);
  for (let round = 0; round < 40; round++) {
    const m = 1 + Math.floor(next() * 60);
    const n = 1 + Math.floor(next() * 60);
    // Rounded values: many ties within and across the samples.
    const a = Array.from({ length: m }, () => Math.round(normal(next) * 3) / 2);
    const b = Array.from({ length: n }, () => Math.round((normal(next) + next()) * 3) / 2);
    assert.ok(Math.abs(ksStatistic(sample(a), sample(b)) - naiveStatistic(a, b)) < 1e-12, `round ${round}`);
  }
});

test("the exact p-value equals path counting with exact integers", () => {
  const next = lcg(5);
  for (let round = 0; round < 30; round++) {
    const m = 1 + Math.floor(next() * 45);
    const n = 1 + Math.floor(next() * 45);
    const lcm = (m * n) / gcdOf(m, n);
    const h = 1 + Math.floor(next() * lcm);
    const expected = ksExactPValue(m, n, h);
    assert.ok(close(ksPValue(h / lcm, m, n), expected, 1e-11, 1e-15), `m ${m}, n ${n}, h ${h}: ${ksPValue(h / lcm, m, n)} vs ${expected}`);
  }
  // Far in the tail: 10,000 against 110 rows (scipy's testLarge; its listed 4.2e-15 predates
  // the current algorithm and is below its own atol of 1e-14). Exact counting gives 6.2634656622608e-26.
  const d = 55275 / 110000;
  assert.ok(close(ksPValue(d, 10000, 110), ksExactPValue(10000, 110, 55275), 1e-9));
});

test("ks_2samp's published two-sided cases (scipy's TestKSTwoSamples)", () => {
  const cases: [number[], number[], number, number][] = [
    [[0], [1], 1, 1],
    [[1.01, 2.01], [1, 2, 3], 1 / 3, 1],
    [[0.99, 1.99], [1, 2, 3], 2 / 3, 0.6],
    [[1.01, 2.01], [1, 2, 3, 4], 2 / 4, 14 / 15],
    [[0.99, 1.99], [1, 2, 3, 4], 3 / 4, 6 / 15],
    [linspace(1, 100, 100), linspace(1, 100, 100).map((x) => x + 2.1), 3 / 100, 0.999999999996206],
    [linspace(1, 100, 100), linspace(1, 100, 100).map((x) => x + 1.9), 2 / 100, 1],
    [linspace(1, 100, 100), linspace(1, 100, 110).map((x) => x + 20.1), 232 / 1100, 0.015739183865607353],
    [linspace(1, 100, 100), linspace(1, 100, 110).map((x) => x + 19.9), 229 / 1100, 0.017803803861026313],
    [[1, 2, 3], [2, 3, 4], 1 / 3, 1],
  ];
  const x2233 = [2, 2, 2, 3, 3, 3, 3, 5, 5, 5, 5, 5, 6, 6, 6, 6];
  cases.push([x2233, x2233.map((x) => x + 1), 5 / 16, 0.4262934613454952]);
  const rep = (v: number, k: number) => Array<number>(k).fill(v);
  cases.push([[...rep(2, 3), ...rep(3, 4), ...rep(5, 10), ...rep(6, 4)], [...rep(3, 10), ...rep(4, 2), ...rep(6, 10), ...rep(7, 4)], 190 / 21 / 26, 0.0919245790168125]);
  for (const [a, b, d, p] of cases) {
    const result = ksTest(sample(a), sample(b));
    assert.ok(close(result.statistic, d, 1e-12), `D ${result.statistic} vs ${d}`);
    assert.ok(close(result.pValue, p, 1e-10, 1e-14), `p ${result.pValue} vs ${p}`);
  }
});

test("above 10,000 rows on a side the p-value is Smirnov's asymptotic one (scipy's testLargeBoth)", () => {
  const n1 = 10000;
  const n2 = 11000;
  const delta = 1 / n1 / n2 / 4;
  const result = ksTest(sample(linspace(1, 200, n1).map((x) => x - delta)), sample(linspace(2, 200, n2)));
  assert.ok(close(result.statistic, 563 / 110000, 1e-12));
  assert.ok(close(result.pValue, 0.9990660108966576, 1e-12), String(result.pValue));
  // A reference of 1,000 rows against a million served ones: kstwo.sf(d, round(1e9 / 1001000) = 999).
  assert.equal(ksPValue(0.05, 1000, 1_000_000), kolmogorovSf(999, 0.05));
  assert.ok(ksPValue(0.05, 1000, 1_000_000) > 0.01 && ksPValue(0.05, 1000, 1_000_000) < 0.02);
});
