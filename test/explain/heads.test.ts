import { test } from "node:test";
import assert from "node:assert/strict";
import { loadExplainer } from "../../src/explain/explainer.js";
import { parseOnnx } from "../../src/explain/onnx-model.js";
import { recognize } from "../../src/explain/recognize.js";
import { rawScores } from "../../src/explain/trees.js";
import { onnxModel, runOrt, sum } from "./helpers.js";

const ROWS = [[0], [1], [0.25], [-3]];
const BACKGROUND = [[0], [1], [2]];

/** A one-feature stump classifier: x <= 0.5 goes to leaf 1, else leaf 2; `votes` are [class id, weight] per leaf. */
function stump(votes: Record<1 | 2, [number, number][]>, post: string, extra: Record<string, number[]> = {}, labels = [0, 1]): Uint8Array {
  const a: Record<string, number[]> = { class_treeids: [], class_nodeids: [], class_ids: [], class_weights: [] };
  for (const leaf of [1, 2] as const) {
    for (const [c, w] of votes[leaf]) {
      a.class_treeids!.push(0);
      a.class_nodeids!.push(leaf);
      a.class_ids!.push(c);
      a.class_weights!.push(w);
    }
  }
  return onnxModel({
    input: { width: 1 },
    outputs: [
      { name: "label", type: "int64", dims: [null] },
      { name: "probabilities", dims: [null, labels.length] },
    ],
    nodes: [
      {
        op: "TreeEnsembleClassifier",
        inputs: ["input"],
        outputs: ["label", "probabilities"],
        attributes: {
          nodes_treeids: [0, 0, 0],
          nodes_nodeids: [0, 1, 2],
          nodes_featureids: [0, 0, 0],
          nodes_values: [0.5, 0, 0],
          nodes_modes: ["BRANCH_LEQ", "LEAF", "LEAF"],
          nodes_truenodeids: [1, 0, 0],
          nodes_falsenodeids: [2, 0, 0],
          classlabels_int64s: labels,
          post_transform: post,
          ...a,
          ...extra,
        },
      },
    ],
  });
}

function linearClassifier(coefficients: number[], intercepts: number[], post: string, labels = [0, 1]): Uint8Array {
  return onnxModel({
    input: { width: 1 },
    outputs: [
      { name: "label", type: "int64", dims: [null] },
      { name: "probabilities", dims: [null, intercepts.length === 1 ? 2 : labels.length] },
    ],
    nodes: [{ op: "LinearClassifier", inputs: ["input"], outputs: ["label", "probabilities"], attributes: { coefficients, intercepts, classlabels_ints: labels, post_transform: post } }],
  });
}

const both: Record<1 | 2, [number, number][]> = { 1: [[0, 0.3], [1, 0.7]], 2: [[0, 0.8], [1, 0.2]] };
const mixed: Record<1 | 2, [number, number][]> = { 1: [[0, -0.4]], 2: [[0, 0.9]] };
const positive: Record<1 | 2, [number, number][]> = { 1: [[0, 0.3]], 2: [[0, 0.8]] };

test("classifier outputs are reproduced exactly where onnxruntime computes an additive score", async () => {
  const cases: [string, Uint8Array, string, string][] = [
    // name, model, expected space, expected transform (of the default target)
    ["trees scoring both classes, NONE", stump(both, "NONE"), "output", "identity"],
    ["trees scoring both classes, LOGISTIC", stump(both, "LOGISTIC"), "margin", "logistic"],
    ["trees scoring both classes, SOFTMAX", stump({ 1: [[0, -0.4], [1, 0.1]], 2: [[0, 0.9], [1, -0.3]] }, "SOFTMAX"), "margin", "logistic"],
    ["trees scoring class 0 with log-odds and a base value", stump(mixed, "LOGISTIC", { base_values: [0.2] }), "margin", "logistic"],
    ["trees scoring class 0 with log-odds", stump(mixed, "LOGISTIC"), "margin", "logistic"],
    ["trees scoring class 0 with probabilities", stump(positive, "NONE"), "output", "identity"],
    // onnxruntime applies no logistic here: it reports [1 - s, s].
    ["trees scoring class 0 with probabilities, LOGISTIC", stump(positive, "LOGISTIC"), "output", "identity"],
    ["three classes, SOFTMAX with base values", stump({ 1: [[0, 0.2], [1, 0.5], [2, 0.3]], 2: [[0, 0.1], [1, 0.1], [2, 0.8]] }, "SOFTMAX", { base_values: [0.1, 0.2, 0.3] }, [0, 1, 2]), "margin", "softmax"],
    // onnxruntime reports [1 - s, s] for a one-row LinearClassifier whatever its post_transform.
    ["one-row LinearClassifier, NONE", linearClassifier([2], [-1], "NONE"), "output", "identity"],
    ["one-row LinearClassifier, LOGISTIC", linearClassifier([2], [-1], "LOGISTIC"), "output", "identity"],
    ["two-row LinearClassifier, LOGISTIC (skl2onnx's form)", linearClassifier([-2, 2], [1, -1], "LOGISTIC"), "margin", "logistic"],
    ["two-row LinearClassifier, SOFTMAX", linearClassifier([-2, 2], [1, -1], "SOFTMAX"), "margin", "logistic"],
    ["three-class LinearClassifier, SOFTMAX", linearClassifier([1, 2, 3], [0, 0.1, 0.2], "SOFTMAX", [0, 1, 2]), "margin", "softmax"],
  ];
  for (const [name, bytes, space, transform] of cases) {
    const model = recognize(parseOnnx(bytes));
    const ort = await runOrt(bytes, ROWS);
    ROWS.forEach((row, r) => {
      const x = model.preprocess(row);
      const raw = model.kind === "tree" ? rawScores(model.ensemble, x) : Float64Array.from(model.scores.weights, (w, c) => w[0]! * x[0]! + model.scores.intercepts[c]!);
      const outputs = model.head.outputs(raw);
      ort.probabilities![r]!.forEach((p, c) => assert.ok(Math.abs(outputs[c]! - p) < 1e-6, `${name}, row ${row}, class ${c}: ${outputs[c]} vs ${p}`));
    });
    const explainer = await loadExplainer(bytes, { background: BACKGROUND });
    const e = await explainer.explain([0.25]);
    assert.equal(e.space, space, name);
    assert.equal(e.transform, transform, name);
    assert.ok(Math.abs(e.prediction - ort.probabilities![2]![e.target]!) < 1e-6, name);
    assert.ok(Math.abs(e.base_value + sum(e.attributions.map((a) => a.attribution)) - e.explained_value) < 1e-12, name);
  }
});

test("configurations onnxruntime does not read as an additive score fall back to KernelSHAP, with the reason", async () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["trees scoring both classes with base values", stump(both, "NONE", { base_values: [0.1, 0.05] }), /base_values/],
    ["trees scoring class 1 only", stump({ 1: [[1, -0.4]], 2: [[1, 0.9]] }, "LOGISTIC"), /only class 1/],
    ["trees with weights of both signs and no transform", stump(mixed, "NONE"), /both signs/],
    ["a MAX aggregate", onnxModel({
      input: { width: 1 },
      outputs: [{ name: "variable", dims: [null, 1] }],
      nodes: [{ op: "TreeEnsembleRegressor", inputs: ["input"], outputs: ["variable"], attributes: { n_targets: 1, aggregate_function: "MAX", nodes_treeids: [0], nodes_nodeids: [0], nodes_featureids: [0], nodes_values: [0], nodes_modes: ["LEAF"], nodes_truenodeids: [0], nodes_falsenodeids: [0], target_treeids: [0], target_nodeids: [0], target_ids: [0], target_weights: [1.5] } }],
    }), /MAX/],
  ];
  for (const [name, bytes, reason] of cases) {
    const explainer = await loadExplainer(bytes, { background: BACKGROUND });
    try {
      assert.equal(explainer.method, "kernel", name);
      assert.match(explainer.fallbackReason ?? "", reason, name);
      const e = await explainer.explain([0.25]);
      const ort = await runOrt(bytes, [[0.25]]);
      const reported = ort.probabilities?.[0]?.[1] ?? ort.variable![0]![0]!;
      assert.ok(Math.abs(e.prediction - reported) < 1e-6, name);
      assert.ok(Math.abs(e.base_value + sum(e.attributions.map((a) => a.attribution)) - e.prediction) < 1e-9, name);
    } finally {
      await explainer.close();
    }
  }
});
