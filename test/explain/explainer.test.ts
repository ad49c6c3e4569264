import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadExplainer } from "../../src/index.js";
import { mlfErrorWith, tempDir } from "../helpers.js";
import { fixture, onnxModel } from "./helpers.js";

test("an explanation has the documented shape, and serializes without NaN or -0", async () => {
  const { path, expected } = fixture("diabetes_forest");
  const explainer = await loadExplainer(path, { background: expected.background, featureNames: expected.feature_names });
  assert.equal(explainer.method, "tree");
  assert.equal(explainer.fallbackReason, undefined);
  const row = [...expected.rows[0]!];
  row[2] = Number.NaN; // missing: routed by the trees' missing-value rules (no track: the "no" branch)
  const e = await explainer.explain(row);
  assert.deepEqual(Object.keys(e), ["prediction", "explained_value", "base_value", "attributions", "method", "approximate", "space", "transform", "target"]);
  assert.deepEqual(e.attributions.map((a) => a.feature), expected.feature_names);
  assert.equal(e.attributions[2]!.value, null);
  assert.equal(e.attributions[0]!.value, expected.rows[0]![0]);
  const json = JSON.parse(JSON.stringify(e)) as typeof e;
  assert.deepEqual(json, e);
});

test("global importance is the mean |attribution| per feature, most important first", async () => {
  const { bytes, expected } = fixture("diabetes_ridge");
  const explainer = await loadExplainer(bytes, { background: expected.background, featureNames: expected.feature_names });
  const rows = expected.rows.slice(0, 8);
  const global = await explainer.globalImportance(rows);
  assert.equal(global.rows, 8);
  assert.equal(global.method, "linear");
  assert.equal(global.space, "output");
  const each = await Promise.all(rows.map((r) => explainer.explain(r)));
  const byHand = expected.feature_names.map((feature, i) => ({ feature, importance: each.reduce((s, e) => s + Math.abs(e.attributions[i]!.attribution), 0) / rows.length }));
  byHand.sort((a, b) => b.importance - a.importance);
  assert.deepEqual(global.features.map((f) => f.feature), byHand.map((f) => f.feature));
  global.features.forEach((f, i) => assert.ok(Math.abs(f.importance - byHand[i]!.importance) < 1e-9));
  await assert.rejects(explainer.globalImportance([]), mlfErrorWith("invalid_argument", /no rows/));
});

test("bad input is refused with a clear error naming the problem", async (t) => {
  const { path, bytes, expected } = fixture("diabetes_ridge");
  const background = expected.background;
  const dir = tempDir(t);
  await assert.rejects(loadExplainer(join(dir, "missing.onnx"), { background }), mlfErrorWith("file_not_found", /missing\.onnx/));
  await assert.rejects(loadExplainer(new TextEncoder().encode("age,bmi\n1,2\n"), { background }), mlfErrorWith("invalid_argument", /not a valid ONNX model/));
  await assert.rejects(loadExplainer(path, { background: [] }), mlfErrorWith("invalid_argument", /background .* has no rows/));
  await assert.rejects(loadExplainer(path, { background: [background[0]!, background[1]!.slice(1)] }), mlfErrorWith("invalid_argument", /Background row 1 has 9 values but the model takes 10 features/));
  await assert.rejects(loadExplainer(path, { background: [[...background[0]!.slice(1), "x" as unknown as number]] }), mlfErrorWith("invalid_argument", /Background row 0 has a non-number for feature f9/));
  await assert.rejects(loadExplainer(path, { background: [background[0]!.map((v, i) => (i === 3 ? Number.NaN : v))] }), mlfErrorWith("invalid_argument", /Background row 0 has no usable value for feature f3 \(NaN\) and the model does not impute it/));
  await assert.rejects(loadExplainer(path, { background, featureNames: ["a", "b"] }), mlfErrorWith("invalid_argument", /2 feature names were given for 10 model inputs/));
  await assert.rejects(loadExplainer(path, { background, method: "magic" as "auto" }), mlfErrorWith("invalid_argument", /Unknown explanation method magic/));
  await assert.rejects(loadExplainer(path, { background, samples: 0 }), mlfErrorWith("invalid_argument", /sample budget 0/));
  await assert.rejects(loadExplainer(fixture("diabetes_mlp").path, { background, method: "exact" }), mlfErrorWith("invalid_argument", /has no exact explanation \(.*MatMul.*\); use method "kernel"/));

  const labelsOnly = onnxModel({
    input: { width: 1 },
    outputs: [{ name: "label", type: "int64", dims: [null] }],
    nodes: [{ op: "LinearClassifier", inputs: ["input"], outputs: ["label", "probabilities"], attributes: { coefficients: [-1, 1], intercepts: [0, 0], classlabels_ints: [0, 1], post_transform: "LOGISTIC" } }],
  });
  await assert.rejects(loadExplainer(labelsOnly, { background: [[1]] }), mlfErrorWith("invalid_argument", /has no float output to explain/));

  const explainer = await loadExplainer(bytes, { background });
  assert.deepEqual(explainer.featureNames, ["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9"]);
  await assert.rejects(explainer.explain([1, 2, 3]), mlfErrorWith("invalid_argument", /The row has 3 values but the model takes 10 features/));
  await assert.rejects(explainer.explain(expected.rows[0]!.map((v, i) => (i === 4 ? Number.NaN : v))), mlfErrorWith("invalid_argument", /not a finite number at feature f4 \(value missing\)/));
  await assert.rejects(explainer.explain(expected.rows[0]!, { target: 1 }), mlfErrorWith("invalid_argument", /Target 1 is out of range: the model has one output \(target 0\)/));
});
