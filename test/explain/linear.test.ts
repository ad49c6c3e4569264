import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import { loadExplainer } from "../../src/explain/explainer.js";
import { REFERENCE_MODEL } from "../helpers.js";
import { fixture, onnxModel, runOrt, sum } from "./helpers.js";

const logistic = (v: number) => 1 / (1 + Math.exp(-v));

test("the reference logistic regression: attributions are w_i (x_i - mean_i) in log-odds, by hand", async () => {
  const bytes = readFileSync(REFERENCE_MODEL);
  const expected = JSON.parse(readFileSync(REFERENCE_MODEL.replace(/\.onnx$/, ".expected.json"), "utf8")) as { feature_names: string[]; rows: number[][]; proba_1: number[] };
  // The hand computation reads the coefficients with an independent decoder (onnx-proto).
  const node = onnxProto.onnx.ModelProto.decode(bytes).graph!.node![0]!;
  const attr = (name: string) => node.attribute!.find((a) => a.name === name)!.floats!;
  const width = expected.feature_names.length;
  const w = attr("coefficients").slice(width); // row 1: class 1's margin (row 0 is its negative)
  const b = attr("intercepts")[1]!;
  const x32 = expected.rows.map((row) => row.map(Math.fround)); // the model's input is float32
  const mean = Array.from({ length: width }, (_, i) => sum(x32.map((row) => row[i]!)) / x32.length);

  const explainer = await loadExplainer(bytes, { background: expected.rows, featureNames: expected.feature_names });
  assert.equal(explainer.method, "linear");
  for (const [r, row] of expected.rows.entries()) {
    const e = await explainer.explain(row);
    assert.equal(e.space, "margin");
    assert.equal(e.transform, "logistic");
    assert.equal(e.class, 1);
    const margin = b + sum(w.map((wi, i) => wi * x32[r]![i]!));
    const base = b + sum(w.map((wi, i) => wi * mean[i]!));
    assert.ok(Math.abs(e.base_value - base) < 1e-9 * Math.max(1, Math.abs(base)), `row ${r}: base ${e.base_value} vs ${base}`);
    assert.ok(Math.abs(e.explained_value - margin) < 1e-9 * Math.max(1, Math.abs(margin)));
    e.attributions.forEach((a, i) => {
      const hand = w[i]! * (x32[r]![i]! - mean[i]!);
      assert.equal(a.feature, expected.feature_names[i]);
      assert.ok(Math.abs(a.attribution - hand) < 1e-9 * Math.max(1, Math.abs(hand)), `row ${r} ${a.feature}: ${a.attribution} vs ${hand}`);
    });
    assert.ok(Math.abs(e.base_value + sum(e.attributions.map((a) => a.attribution)) - e.explained_value) < 1e-9);
    // scikit-learn's own probability is the logistic of the explained margin.
    assert.ok(Math.abs(logistic(e.explained_value) - expected.proba_1[r]!) < 3e-7, `row ${r}: ${logistic(e.explained_value)} vs ${expected.proba_1[r]}`);
    assert.ok(Math.abs(e.prediction - logistic(e.explained_value)) < 1e-15);
  }
});

test("a scaler folds into the linear weights: StandardScaler + Ridge against scikit-learn's parameters", async () => {
  const { bytes, expected } = fixture("diabetes_ridge");
  const explainer = await loadExplainer(bytes, { background: expected.background, featureNames: expected.feature_names });
  assert.equal(explainer.method, "linear");
  const width = expected.feature_names.length;
  const mean = Array.from({ length: width }, (_, i) => sum(expected.background.map((row) => row[i]!)) / expected.background.length);
  const w = expected.coefficients!.map((c, i) => c / expected.scaler_scale![i]!);
  const base = expected.intercept! + sum(w.map((wi, i) => wi * (mean[i]! - expected.scaler_mean![i]!)));
  for (const [r, row] of expected.rows.entries()) {
    const e = await explainer.explain(row);
    assert.equal(e.space, "output");
    // onnxruntime's Scaler computes in float32: agreement to float32 precision.
    assert.ok(Math.abs(e.base_value - base) < 1e-4, `base ${e.base_value} vs ${base}`);
    assert.ok(Math.abs(e.prediction - expected.prediction![r]!) < 1e-4);
    e.attributions.forEach((a, i) => assert.ok(Math.abs(a.attribution - w[i]! * (row[i]! - mean[i]!)) < 1e-4, `${a.feature}`));
    assert.ok(Math.abs(e.base_value + sum(e.attributions.map((a) => a.attribution)) - e.explained_value) < 1e-9);
  }
});

test("an imputer in front: a missing value is explained as its imputed value, and reported as null", async () => {
  // The demo's export: Imputer (NaN -> mean), Scaler, two-row LinearClassifier.
  const means = [1, 2, 3];
  const weights = [0.5, -1, 2];
  const bytes = onnxModel({
    input: { width: 3 },
    outputs: [
      { name: "label", type: "int64", dims: [null] },
      { name: "probabilities", dims: [null, 2] },
    ],
    nodes: [
      { op: "Imputer", inputs: ["input"], outputs: ["imputed"], attributes: { imputed_value_floats: means, replaced_value_float: Number.NaN } },
      { op: "Scaler", inputs: ["imputed"], outputs: ["scaled"], attributes: { offset: means, scale: [1, 0.5, 0.25] } },
      { op: "LinearClassifier", inputs: ["scaled"], outputs: ["label", "probabilities"], attributes: { classlabels_ints: [0, 1], coefficients: [...weights.map((v) => -v), ...weights], intercepts: [0.1, -0.1], post_transform: "LOGISTIC" } },
    ],
    metadata: { feature_names: "a,b,c" },
  });
  const background = [[0, 2, 4], [2, 2, 2], [1, Number.NaN, 3]];
  const explainer = await loadExplainer(bytes, { background });
  assert.deepEqual(explainer.featureNames, ["a", "b", "c"]);
  const row = [3, Number.NaN, 1];
  const e = await explainer.explain(row);
  const [ort] = (await runOrt(bytes, [row])).probabilities!;
  assert.ok(Math.abs(e.prediction - ort![1]!) < 1e-6);
  assert.equal(e.attributions[1]!.value, null);
  // b is imputed to its mean 2, as are the background's; every background b is 2: no attribution.
  assert.equal(e.attributions[1]!.attribution, 0);
  // a: w 0.5 / scale 1 * (3 - mean(0, 2, 1)); c: w 2 * 4 (scale 0.25 = 1 / 4) * (1 - 3).
  assert.ok(Math.abs(e.attributions[0]!.attribution - 0.5 * 2) < 1e-6);
  assert.ok(Math.abs(e.attributions[2]!.attribution - 2 * 0.25 * -2) < 1e-6);
});

test("plain MatMul + Add + Sigmoid and Gemm graphs are read as linear models", async () => {
  const w = [0.5, -2, 1];
  const background = [[1, 0, 2], [0, 1, 1], [3, 3, 0]];
  const row = [2, -1, 0.5];
  const models: [string, Uint8Array, string][] = [
    ["MatMul + Add + Sigmoid", onnxModel({
      input: { width: 3 },
      outputs: [{ name: "probability", dims: [null, 1] }],
      initializers: [{ name: "w", dims: [3, 1], values: w }, { name: "b", dims: [1], values: [0.25] }],
      nodes: [
        { op: "MatMul", inputs: ["input", "w"], outputs: ["m"] },
        { op: "Add", inputs: ["m", "b"], outputs: ["logit"] },
        { op: "Sigmoid", inputs: ["logit"], outputs: ["probability"] },
      ],
    }), "logistic"],
    ["Gemm with transB and alpha", onnxModel({
      input: { width: 3 },
      outputs: [{ name: "y", dims: [null, 1] }],
      initializers: [{ name: "wt", dims: [1, 3], values: w.map((v) => v / 2) }, { name: "c", dims: [1], values: [0.25] }],
      nodes: [{ op: "Gemm", inputs: ["input", "wt", "c"], outputs: ["y"], attributes: { transB: 1, alpha: 2.0 } }],
    }), "identity"],
  ];
  for (const [name, bytes, transform] of models) {
    const explainer = await loadExplainer(bytes, { background, method: "exact" });
    assert.equal(explainer.method, "linear", name);
    const e = await explainer.explain(row);
    const ort = Object.values(await runOrt(bytes, [row]))[0]![0]![0]!;
    assert.equal(e.transform, transform, name);
    assert.ok(Math.abs(e.prediction - ort) < 1e-6, `${name}: ${e.prediction} vs ${ort}`);
    const mean = [4 / 3, 4 / 3, 1];
    e.attributions.forEach((a, i) => assert.ok(Math.abs(a.attribution - w[i]! * (row[i]! - mean[i]!)) < 1e-6, `${name} feature ${i}`));
    assert.ok(Math.abs(e.explained_value - (0.25 + sum(w.map((wi, i) => wi * row[i]!)))) < 1e-6, name);
  }
});
