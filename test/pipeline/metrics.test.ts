import { test } from "node:test";
import assert from "node:assert/strict";
import { decide } from "../../src/pipeline/gate.js";
import { accuracy, auc, computeMetric, improvement, logLoss, mae, rmse } from "../../src/pipeline/metrics.js";
import { random } from "../../src/util/random.js";
import { mlfErrorWith } from "../helpers.js";

/** AUC as its definition: over every (positive, negative) pair, 1 when the positive scores higher, 1/2 on a tie. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let sum = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((n, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      sum += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return sum / pairs;
}

test("AUC by hand: 3 of 4 pairs ordered, ties count one half, constant scores give 1/2", () => {
  assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // positives {0.5, 0.9}, negatives {0.5, 0.5}: two ties (1/2 each) and two wins.
  assert.equal(auc([0.5, 0.5, 0.5, 0.9], [0, 1, 0, 1]), 0.75);
  assert.equal(auc([0.3, 0.3, 0.3, 0.3], [0, 1, 1, 0]), 0.5);
  assert.equal(auc([0.9, 0.8, 0.1], [0, 0, 1]), 0);
  assert.ok(Number.isNaN(auc([0.2, 0.4], [1, 1])));
});

test("AUC equals the pairwise definition on random scores with many ties", () => {
  const next = random(7);
  for (let trial = 0; trial < 50; trial++) {
    const n = 2 + Math.floor(next() * 60);
    const scores = Array.from({ length: n }, () => Math.round(next() * 5) / 5);
    const labels = Array.from({ length: n }, (_, i) => (i < 2 ? i : next() < 0.4 ? 1 : 0));
    assert.ok(Math.abs(auc(scores, labels) - pairwiseAuc(scores, labels)) < 1e-12, `trial ${trial}`);
  }
});

test("log loss, RMSE, MAE and accuracy by hand", () => {
  assert.ok(Math.abs(logLoss([0.8, 0.3], [1, 0]) - (-(Math.log(0.8) + Math.log(0.7)) / 2)) < 1e-15);
  // A certain wrong answer is clipped at 1e-15, not infinite.
  assert.ok(Math.abs(logLoss([0], [1]) - -Math.log(1e-15)) < 1e-9);
  assert.ok(Math.abs(rmse([1, 2, 3], [1, 2, 5]) - Math.sqrt(4 / 3)) < 1e-15);
  assert.equal(mae([1, 2, 3], [1, 2, 5]), 2 / 3);
  // 0.5 is class 1; predicted [1, 0, 1, 0] against [1, 1, 0, 0].
  assert.equal(accuracy([0.5, 0.49, 0.9, 0.1], [1, 1, 0, 0]), 0.5);
});

test("computeMetric refuses labels and holdouts the metric cannot use", () => {
  assert.throws(() => computeMetric("auc", [0.1, 0.2], [1, 2]), mlfErrorWith("invalid_data", /row 2 has label 2, but auc needs labels 0 and 1/));
  assert.throws(() => computeMetric("auc", [0.1, 0.2], [1, 1]), mlfErrorWith("invalid_data", /one class only/));
  assert.throws(() => computeMetric("rmse", [], []), mlfErrorWith("invalid_data", /no labelled rows/));
  assert.throws(() => computeMetric("mae", [1], [Number.NaN]), mlfErrorWith("invalid_data", /numeric labels/));
  assert.equal(computeMetric("rmse", [1, 2], [1, 4]), Math.sqrt(2));
});

test("improvement is positive when better, whichever way the metric improves", () => {
  assert.ok(Math.abs(improvement("auc", 0.75, 0.7) - 0.05) < 1e-12);
  assert.ok(Math.abs(improvement("rmse", 1.2, 1.5) - 0.3) < 1e-12);
  assert.ok(improvement("logloss", 0.5, 0.4) < 0);
});

test("the gate promotes a better challenger and rejects a worse, an equal or a barely better one", () => {
  assert.equal(decide("auc", 0.01, 0.7, null).promote, true);
  assert.equal(decide("auc", 0.01, 0.72, { version: 1, value: 0.7 }).promote, true);
  assert.equal(decide("auc", 0.01, 0.705, { version: 1, value: 0.7 }).promote, false);
  assert.match(decide("auc", 0.01, 0.705, { version: 1, value: 0.7 }).reason, /only 0\.0050 higher, less than the 0\.0100 required/);
  assert.equal(decide("auc", 0, 0.7, { version: 1, value: 0.7 }).promote, false, "a tie never replaces the champion");
  assert.match(decide("auc", 0, 0.7, { version: 1, value: 0.7 }).reason, /no better/);
  assert.match(decide("auc", 0, 0.6, { version: 3, value: 0.7 }).reason, /challenger auc 0\.6000 vs champion version 3 0\.7000: 0\.1000 worse/);
  assert.equal(decide("rmse", 0.05, 1.4, { version: 1, value: 1.5 }).promote, true);
  assert.equal(decide("rmse", 0.05, 1.6, { version: 1, value: 1.5 }).promote, false);
  // 0.57 - 0.56 is 0.00999999... in floating point: exactly the required improvement still passes.
  assert.equal(decide("auc", 0.01, 0.57, { version: 1, value: 0.56 }).promote, true);
});
