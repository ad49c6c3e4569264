import { test } from "node:test";
import assert from "node:assert/strict";
import { numericalSample, type CategoricalSample } from "../../src/monitor/sample.js";
import { chiSquareTest, zTest } from "../../src/monitor/stattests/categorical.js";
import { binnedShares, histogramCounts, jensenShannonDistance, normedWasserstein, populationStabilityIndex, sturgesEdges, wassersteinDistance } from "../../src/monitor/stattests/distances.js";
import { close, lcg, normal, std, wasserstein } from "./oracle.js";

const sample = (xs: number[], integer = false) => numericalSample(Float64Array.from(xs), { integer });
const categories = (counts: Record<string, number>): CategoricalSample => ({
  kind: "categorical",
  counts: new Map(Object.entries(counts)),
  n: Object.values(counts).reduce((a, b) => a + b, 0),
  exact: true,
});

test("the Wasserstein distance equals the integral of the quantile functions' difference", () => {
  const next = lcg(3);
  for (let round = 0; round < 30; round++) {
    const a = Array.from({ length: 1 + Math.floor(next() * 80) }, () => Math.round(normal(next) * 10) / 4);
    const b = Array.from({ length: 1 + Math.floor(next() * 80) }, () => Math.round((normal(next) * 2 + 1) * 10) / 4);
    assert.ok(close(wassersteinDistance(sample(a), sample(b)), wasserstein(a, b), 1e-12, 1e-12), `round ${round}`);
  }
  // By hand: shifting a sample by c moves it by exactly c; equal sizes pair sorted values.
  assert.ok(close(wassersteinDistance(sample([1, 2, 3]), sample([6, 7, 8])), 5, 1e-15));
  assert.ok(close(wassersteinDistance(sample([0, 0, 1]), sample([0, 1, 1])), 1 / 3, 1e-15));
  // Evidently's normed score divides by the reference's population std, at least 0.001.
  const ref = [1, 2, 3, 4];
  assert.ok(close(normedWasserstein(sample(ref), sample([2, 3, 4, 5])), 1 / std(ref), 1e-14));
  assert.equal(normedWasserstein(sample([5, 5]), sample([5, 6])), 0.5 / 0.001);
});

test("Sturges bins are numpy's: ceil(range / (range / (log2 N + 1))) equal bins, at least 1 wide for integers", () => {
  // 0..99: width 99 / (log2(100) + 1) = 12.95..., so 8 bins over [0, 99].
  const edges = sturgesEdges(0, 99, 100, false);
  assert.equal(edges.length, 9);
  assert.equal(edges[0], 0);
  assert.equal(edges[8], 99);
  assert.ok(close(edges[1]!, 99 / 8, 1e-15));
  // Integer data spanning 10 with 2^20 values: the width would be 10/21 but numpy floors it at 1.
  assert.equal(sturgesEdges(0, 10, 2 ** 20, true).length, 11);
  assert.equal(sturgesEdges(0, 10, 2 ** 20, false).length, 22);
  // A constant: one bin around it.
  assert.deepEqual(sturgesEdges(3, 3, 10, false), [2.5, 3.5]);
});

test("histogram counts close each bin on the left and the last one on both sides", () => {
  const counts = histogramCounts(sample([0, 1, 1, 2, 3, 4, 4]), [0, 2, 4]);
  assert.deepEqual(counts, [3, 4]);
  assert.deepEqual(histogramCounts(sample([-1, 5]), [0, 2, 4]), [0, 0]);
});

test("Jensen-Shannon distance and PSI by hand", () => {
  // p = [1/2, 1/2], q = [1, 0]: m = [3/4, 1/4]; KL(p||m) = ln(2/3)/2 + ln(2)/2, KL(q||m) = ln(4/3).
  const expected = Math.sqrt((Math.log(2 / 3) / 2 + Math.log(2) / 2 + Math.log(4 / 3)) / 2);
  assert.ok(close(jensenShannonDistance([0.5, 0.5], [1, 0]), expected, 1e-14));
  assert.ok(close(jensenShannonDistance([2, 2], [4, 0]), expected, 1e-14), "inputs are normalized");
  assert.equal(jensenShannonDistance([0.2, 0.8], [0.2, 0.8]), 0);
  assert.ok(close(jensenShannonDistance([1, 0], [0, 1]), Math.sqrt(Math.LN2), 1e-15), "disjoint: sqrt(ln 2)");
  // PSI: sum (r - c) ln(r / c); an empty bin is filled with 0.0001 when the smallest share is larger.
  const psi = (0.5 - 0.25) * Math.log(0.5 / 0.25) + (0.5 - 0.75) * Math.log(0.5 / 0.75);
  assert.ok(close(populationStabilityIndex([0.5, 0.5], [0.25, 0.75]), psi, 1e-15));
  const filled = (0.5 - 0.0001) * Math.log(0.5 / 0.0001) + (0.5 - 1) * Math.log(0.5 / 1);
  assert.ok(close(populationStabilityIndex([0.5, 0.5], [0, 1]), filled, 1e-15));
});

test("binned shares: Sturges bins over both samples above 20 distinct reference values, one bin per value below", () => {
  const ref = Array.from({ length: 30 }, (_, i) => i);
  const cur = Array.from({ length: 10 }, (_, i) => i * 2);
  const binned = binnedShares(sample(ref, true), sample(cur, true));
  // 40 values in [0, 29]: width 29 / (log2(40) + 1) = 4.52..., 7 bins.
  assert.equal(binned.reference.length, 7);
  assert.ok(close(binned.reference.reduce((a, b) => a + b, 0), 1, 1e-15));
  const few = binnedShares(sample([1, 1, 2, 3]), sample([1, 4]));
  assert.deepEqual(few.reference, [0.5, 0.25, 0.25, 0]);
  assert.deepEqual(few.current, [0.5, 0, 0, 0.5]);
});

test("chi-square by hand, and a category the reference never had", () => {
  // Expected = reference counts scaled to the current size: [50, 30, 20] -> observed [40, 40, 20].
  const { statistic, pValue } = chiSquareTest(categories({ a: 50, b: 30, c: 20 }), categories({ a: 40, b: 40, c: 20 }));
  assert.ok(close(statistic, 100 / 50 + 100 / 30, 1e-14));
  assert.ok(close(pValue, Math.exp(-statistic / 2), 1e-13), "two degrees of freedom: p = e^(-x/2)");
  // Current twice the size: expected doubles, the statistic is the same data's.
  const scaled = chiSquareTest(categories({ a: 50, b: 30, c: 20 }), categories({ a: 80, b: 80, c: 40 }));
  assert.ok(close(scaled.statistic, 2 * statistic, 1e-14));
  assert.equal(chiSquareTest(categories({ a: 5, b: 5 }), categories({ a: 5, b: 4, new: 1 })).pValue, 0);
});

test("the two-proportion Z test by hand", () => {
  // 30 of 100 vs 45 of 100: pooled 0.375, z = 0.15 / sqrt(0.375 * 0.625 * 0.02).
  const z = 0.15 / Math.sqrt(0.375 * 0.625 * 0.02);
  const { statistic, pValue } = zTest(categories({ yes: 30, no: 70 }), categories({ yes: 45, no: 55 }));
  assert.ok(close(Math.abs(statistic), z, 1e-14));
  assert.ok(close(pValue, 0.02845973691631057, 1e-12), `p ${pValue}`); // erfc(z / sqrt 2), by Python's math.erfc
  assert.equal(zTest(categories({ x: 10 }), categories({ x: 3 })).pValue, 1);
});
