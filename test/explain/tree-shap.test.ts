import { test } from "node:test";
import assert from "node:assert/strict";
import { loadExplainer } from "../../src/explain/explainer.js";
import { random } from "../../src/util/random.js";
import { bruteForceShapley, fixture, onnxModel, runOrt, sum } from "./helpers.js";

const MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"];

/**
 * A random regression forest over `m` features on a grid of values 0-3 (so equality tests
 * and exact threshold hits happen), with every branch mode, missing-value tracks, features
 * repeated along paths, and small integer leaf weights (float32 sums stay exact).
 */
function randomForest(seed: number, m: number, trees: number, depth: number): Uint8Array {
  const rnd = random(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const a: Record<string, (number | string)[]> = {};
  const push = (key: string, value: number | string) => (a[key] ??= []).push(value);
  for (let t = 0; t < trees; t++) {
    let next = 0;
    const grow = (level: number): number => {
      const id = next++;
      const leaf = level === depth || (level > 0 && rnd() < 0.25);
      push("nodes_treeids", t);
      push("nodes_nodeids", id);
      if (leaf) {
        for (const [k, v] of [["nodes_featureids", 0], ["nodes_values", 0], ["nodes_modes", "LEAF"], ["nodes_truenodeids", 0], ["nodes_falsenodeids", 0], ["nodes_missing_value_tracks_true", 0]] as const) push(k, v);
        push("target_treeids", t);
        push("target_nodeids", id);
        push("target_ids", 0);
        push("target_weights", pick(9) - 4);
        return id;
      }
      const at = a.nodes_treeids!.length - 1;
      push("nodes_featureids", pick(m));
      push("nodes_values", pick(4) + (rnd() < 0.5 ? 0.5 : 0));
      push("nodes_modes", MODES[pick(MODES.length)]!);
      push("nodes_missing_value_tracks_true", pick(2));
      push("nodes_truenodeids", 0);
      push("nodes_falsenodeids", 0);
      a.nodes_truenodeids![at] = grow(level + 1);
      a.nodes_falsenodeids![at] = grow(level + 1);
      return id;
    };
    grow(0);
  }
  return onnxModel({
    input: { width: m },
    outputs: [{ name: "variable", dims: [null, 1] }],
    nodes: [{ op: "TreeEnsembleRegressor", inputs: ["input"], outputs: ["variable"], attributes: { n_targets: 1, base_values: [0.5], ...(a as Record<string, number[] | string[]>) } }],
  });
}

function gridRow(rnd: () => number, m: number): number[] {
  return Array.from({ length: m }, () => (rnd() < 0.1 ? Number.NaN : Math.floor(rnd() * 4) + (rnd() < 0.3 ? 0.5 : 0)));
}

test("TreeSHAP on random small forests equals brute-force Shapley values over every feature subset", async () => {
  for (let seed = 1; seed <= 12; seed++) {
    const m = 3 + (seed % 3);
    const bytes = randomForest(seed, m, 3, 2 + (seed % 3));
    const rnd = random(1000 + seed);
    const background = Array.from({ length: 5 }, () => gridRow(rnd, m));
    const explainer = await loadExplainer(bytes, { background });
    assert.equal(explainer.method, "tree");
    for (let r = 0; r < 3; r++) {
      const x = gridRow(rnd, m);
      const e = await explainer.explain(x);
      const oracle = await bruteForceShapley(bytes, x, background);
      e.attributions.forEach((a, i) => assert.ok(Math.abs(a.attribution - oracle[i]!) < 1e-9, `seed ${seed}, row [${x}], feature ${i}: ${a.attribution} vs ${oracle[i]}`));
      assert.ok(Math.abs(e.base_value + sum(oracle) - e.prediction) < 1e-9, `seed ${seed}: the oracle is additive too`);
    }
  }
});

test("a hand-checked stump: the split feature takes the whole difference from the background mean", async () => {
  // f = 10 when x0 <= 0.5 else 0; feature 1 is never used.
  const bytes = onnxModel({
    input: { width: 2 },
    outputs: [{ name: "variable", dims: [null, 1] }],
    nodes: [{ op: "TreeEnsembleRegressor", inputs: ["input"], outputs: ["variable"], attributes: { n_targets: 1, nodes_treeids: [0, 0, 0], nodes_nodeids: [0, 1, 2], nodes_featureids: [0, 0, 0], nodes_values: [0.5, 0, 0], nodes_modes: ["BRANCH_LEQ", "LEAF", "LEAF"], nodes_truenodeids: [1, 0, 0], nodes_falsenodeids: [2, 0, 0], target_treeids: [0, 0], target_nodeids: [1, 2], target_ids: [0, 0], target_weights: [10, 0] } }],
  });
  // Background: one row on each side and one more on the yes side: mean f = 20 / 3.
  const explainer = await loadExplainer(bytes, { background: [[0, 5], [1, 5], [0, 7]], featureNames: ["a", "b"] });
  const e = await explainer.explain([1, 100]);
  assert.equal(e.prediction, 0);
  assert.ok(Math.abs(e.base_value - 20 / 3) < 1e-12);
  assert.ok(Math.abs(e.attributions[0]!.attribution + 20 / 3) < 1e-12);
  assert.equal(e.attributions[1]!.attribution, 0);
  assert.deepEqual(e.attributions.map((a) => [a.feature, a.value]), [["a", 1], ["b", 100]]);
});

test("on the 25-tree reference forest the attributions add up to onnxruntime's prediction (1e-6)", async () => {
  for (const name of ["diabetes_forest", "diabetes_forest_v5"]) {
    const { bytes, expected } = fixture(name);
    const explainer = await loadExplainer(bytes, { background: expected.background, featureNames: expected.feature_names });
    const ort = await runOrt(bytes, expected.rows);
    for (const [r, row] of expected.rows.entries()) {
      const e = await explainer.explain(row);
      assert.equal(e.method, "tree");
      assert.equal(e.approximate, false);
      assert.equal(e.space, "output");
      assert.ok(Math.abs(e.base_value + sum(e.attributions.map((a) => a.attribution)) - e.explained_value) < 1e-6, `row ${r}: additivity`);
      assert.equal(e.explained_value, e.prediction);
      // onnxruntime sums float32 leaf values: within float32 precision of the double sum.
      assert.ok(Math.abs(e.prediction - ort.variable![r]![0]!) < 1e-4, `row ${r}: ${e.prediction} vs ${ort.variable![r]![0]}`);
    }
    const ortBackground = await runOrt(bytes, expected.background);
    const meanPrediction = sum(ortBackground.variable!.map((v) => v[0]!)) / expected.background.length;
    const first = await explainer.explain(expected.rows[0]!);
    assert.ok(Math.abs(first.base_value - meanPrediction) < 1e-4, "the base value is the mean prediction over the background");
  }
});

test("the boosted classifier is explained in log-odds: the margin adds up, its logistic is P(class 1)", async () => {
  const { bytes, expected } = fixture("cancer_boosting");
  const explainer = await loadExplainer(bytes, { background: expected.background, featureNames: expected.feature_names });
  for (const [r, row] of expected.rows.entries()) {
    const e = await explainer.explain(row);
    assert.equal(e.space, "margin");
    assert.equal(e.transform, "logistic");
    assert.equal(e.class, 1);
    assert.ok(Math.abs(e.explained_value - expected.margin![r]!) < 1e-5, `row ${r}: margin ${e.explained_value} vs scikit-learn's ${expected.margin![r]}`);
    assert.ok(Math.abs(1 / (1 + Math.exp(-e.explained_value)) - e.prediction) < 1e-12);
    assert.ok(Math.abs(e.prediction - expected.proba_1![r]!) < 1e-6);
    assert.ok(Math.abs(e.base_value + sum(e.attributions.map((a) => a.attribution)) - e.explained_value) < 1e-9);
  }
});

test("a multiclass forest explains the predicted class unless told which", async () => {
  const { bytes, expected } = fixture("iris_forest");
  const explainer = await loadExplainer(bytes, { background: expected.background, featureNames: expected.feature_names });
  for (const [r, row] of expected.rows.entries()) {
    const predicted = expected.probabilities![r]!.indexOf(Math.max(...expected.probabilities![r]!));
    const e = await explainer.explain(row);
    assert.equal(e.target, predicted);
    assert.equal(e.class, predicted);
    for (const target of [0, 1, 2]) {
      const t = await explainer.explain(row, { target });
      assert.equal(t.space, "output");
      assert.ok(Math.abs(t.prediction - expected.probabilities![r]![target]!) < 1e-6);
      assert.ok(Math.abs(t.base_value + sum(t.attributions.map((a) => a.attribution)) - t.prediction) < 1e-12);
    }
  }
  await assert.rejects(explainer.explain(expected.rows[0]!, { target: 3 }), /Target 3 is not one of the model's classes 0, 1, 2 \(targets 0 to 2\)/);
});
