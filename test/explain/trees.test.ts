import { test } from "node:test";
import assert from "node:assert/strict";
import { parseOnnx } from "../../src/explain/onnx-model.js";
import { recognize } from "../../src/explain/recognize.js";
import { rawScores } from "../../src/explain/trees.js";
import { fixture, onnxModel, runOrt, type NodeSpec } from "./helpers.js";

/** What the parsed model reports for rows (probabilities or values), as onnxruntime would. */
function parsedOutputs(bytes: Uint8Array, rows: number[][]): number[][] {
  const model = recognize(parseOnnx(bytes));
  assert.equal(model.kind, "tree");
  if (model.kind !== "tree") return [];
  return rows.map((row) => Array.from(model.head.outputs(rawScores(model.ensemble, model.preprocess(row)))));
}

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

test("the parsed reference trees predict what onnxruntime and scikit-learn predict", async () => {
  for (const name of ["diabetes_forest", "diabetes_forest_v5", "cancer_boosting", "iris_forest"]) {
    const { bytes, expected } = fixture(name);
    const rows = [...expected.rows, ...expected.background];
    const ours = parsedOutputs(bytes, rows);
    const ort = await runOrt(bytes, rows);
    const reported = ort.probabilities ?? ort.variable!;
    rows.forEach((_, r) => reported[r]!.forEach((v, c) => close(ours[r]![c]!, v, 2e-6, `${name} row ${r} column ${c}`)));
    // scikit-learn's own predictions for the explained rows (float32 sums in onnxruntime, doubles in scikit-learn).
    expected.rows.forEach((_, r) => {
      if (expected.prediction) close(ours[r]![0]!, expected.prediction[r]!, 1e-6, `${name} row ${r} vs scikit-learn`);
      if (expected.proba_1) close(ours[r]![1]!, expected.proba_1[r]!, 1e-6, `${name} row ${r} vs scikit-learn`);
      if (expected.probabilities) expected.probabilities[r]!.forEach((p, c) => close(ours[r]![c]!, p, 1e-6, `${name} row ${r} class ${c} vs scikit-learn`));
    });
  }
});

/**
 * Three trees over 3 features using every branch mode and both missing-value tracks. Leaf
 * weights are 1-4, 10-40 and 100-400, so each sum names the three leaves reached and float32
 * sums are exact: the comparison with onnxruntime is equality.
 */
function modesForest(): NodeSpec {
  const trees: [string, number, number, number | null][][] = [
    // [mode, feature, threshold, missing track] of nodes 0, 1, 2 (node 0's children are 1 and 2).
    [["BRANCH_LEQ", 0, 0.5, 1], ["BRANCH_LT", 1, 2, 0], ["BRANCH_GTE", 2, -1, 1]],
    [["BRANCH_GT", 1, 0, null], ["BRANCH_EQ", 0, 1, 1], ["BRANCH_NEQ", 2, 3, 0]],
    [["BRANCH_NEQ", 0, 2, 1], ["BRANCH_GTE", 0, 0.5, 0], ["BRANCH_EQ", 1, 2, null]],
  ];
  const a: Record<string, (number | string)[]> = {};
  const push = (key: string, value: number | string) => (a[key] ??= []).push(value);
  trees.forEach((nodes, t) => {
    // Node ids: 0 root, 1 and 2 interior, 3-6 leaves.
    for (let n = 0; n < 7; n++) {
      const interior = nodes[n];
      push("nodes_treeids", t);
      push("nodes_nodeids", n);
      push("nodes_featureids", interior ? interior[1] : 0);
      push("nodes_values", interior ? interior[2] : 0);
      push("nodes_modes", interior ? interior[0] : "LEAF");
      push("nodes_truenodeids", interior ? (n === 0 ? 1 : 2 * n + 1) : 0);
      push("nodes_falsenodeids", interior ? (n === 0 ? 2 : 2 * n + 2) : 0);
      push("nodes_missing_value_tracks_true", interior?.[3] ?? 0);
      if (!interior) {
        push("target_treeids", t);
        push("target_nodeids", n);
        push("target_ids", 0);
        push("target_weights", (n - 2) * 10 ** t);
      }
    }
  });
  return { op: "TreeEnsembleRegressor", inputs: ["input"], outputs: ["variable"], attributes: { n_targets: 1, ...(a as Record<string, number[] | string[]>) } };
}

test("every branch mode, NaN and missing-value track routes rows as onnxruntime does", async () => {
  const values = [Number.NaN, -Infinity, -1, 0, 0.5, 1, 2, 3, Infinity, 0.25];
  const rows: number[][] = [];
  for (const a of values) for (const b of values) for (const c of values) if ((a + b + c) % 1 !== 0.5 || rows.length % 3 === 0) rows.push([a, b, c]);
  for (const [name, extra] of [
    ["sum", {}],
    ["average with a base value", { aggregate_function: "AVERAGE", base_values: [0.5] }],
  ] as [string, Record<string, string | number[]>][]) {
    const spec = modesForest();
    spec.attributes = { ...spec.attributes, ...extra };
    const bytes = onnxModel({ input: { width: 3 }, outputs: [{ name: "variable", dims: [null, 1] }], nodes: [spec] });
    const ort = await runOrt(bytes, rows);
    const ours = parsedOutputs(bytes, rows);
    // Sums of small integers are exact in float32; an average is compared to float32 precision.
    rows.forEach((row, r) => close(ours[r]![0]!, ort.variable![r]![0]!, name === "sum" ? 0 : 1e-6, `${name}: row [${row.join(", ")}]`));
  }
});

test("TreeEnsemble (ai.onnx.ml 5) set-membership nodes and one-leaf trees route as onnxruntime does", async () => {
  const node: NodeSpec = {
    op: "TreeEnsemble",
    inputs: ["input"],
    outputs: ["variable"],
    attributes: {
      n_targets: 1,
      aggregate_function: 1,
      post_transform: 0,
      // Tree 0: x0 in {1, 3} ? (x1 <= 2 [NaN yes] ? leaf 0 : leaf 1) : leaf 3. Tree 1 is leaf 2
      // alone: a root entry whose branches both name a leaf is the leaf of the root's index.
      tree_roots: [0, 2],
      nodes_featureids: [0, 1, 0],
      nodes_splits: { tensor: "float", values: [0, 2, 0] },
      nodes_modes: { tensor: "uint8", values: [6, 0, 0] },
      nodes_truenodeids: [1, 0, 0],
      nodes_trueleafs: [0, 1, 1],
      nodes_falsenodeids: [3, 1, 0],
      nodes_falseleafs: [1, 1, 1],
      nodes_missing_value_tracks_true: [0, 1, 0],
      membership_values: { tensor: "float", values: [1, 3, Number.NaN] },
      leaf_targetids: [0, 0, 0, 0],
      leaf_weights: { tensor: "float", values: [1, 2, 4, 8] },
    },
  };
  const bytes = onnxModel({ input: { width: 2 }, outputs: [{ name: "variable", dims: [null, 1] }], nodes: [node], mlOpset: 5 });
  const rows = [[1, 2], [3, 5], [2, 0], [Number.NaN, 1], [3, Number.NaN], [1, 2.5]];
  const ort = await runOrt(bytes, rows);
  const ours = parsedOutputs(bytes, rows);
  assert.deepEqual(ours.map((r) => r[0]), [5, 6, 12, 12, 5, 6]);
  rows.forEach((row, r) => assert.equal(ours[r]![0], ort.variable![r]![0], `row [${row.join(", ")}]`));
});
