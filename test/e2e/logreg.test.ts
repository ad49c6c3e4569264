import { test } from "node:test";
import assert from "node:assert/strict";
import { auc, fit, logLoss, predict, type Row } from "../../scripts/demo/logreg.js";
import { toOnnx } from "../../scripts/demo/onnx.js";

/** Synthetic rows from a known logistic model, with every 7th value of `c` missing. */
function synthetic(n: number): { rows: Row[]; labels: number[] } {
  let seed = 7;
  const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const rows: Row[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = next() * 100;
    const b = next() * 5000;
    const c = i % 7 === 0 ? null : next();
    const z = (a - 50) / 25 - (b - 2500) / 1000 + 2 * ((c ?? 0.5) - 0.5);
    rows.push([a, b, c]);
    labels.push(next() < 1 / (1 + Math.exp(-z)) ? 1 : 0);
  }
  return { rows, labels };
}

test("the fit recovers the generating coefficients and is deterministic", () => {
  const { rows, labels } = synthetic(20_000);
  const model = fit(["a", "b", "c"], rows, labels);
  // Raw-unit slopes are weight / scale: 1/25, -1/1000 and 2 for the generating model.
  const slopes = model.weights.map((w, j) => w / model.scales[j]!);
  assert.ok(Math.abs(slopes[0]! - 0.04) < 0.004, `a: ${slopes[0]}`);
  assert.ok(Math.abs(slopes[1]! + 0.001) < 0.0001, `b: ${slopes[1]}`);
  assert.ok(Math.abs(slopes[2]! - 2) < 0.3, `c: ${slopes[2]}`);
  assert.deepEqual(fit(["a", "b", "c"], rows, labels), model);
});

test("AUC and log loss match hand-computed values", () => {
  assert.equal(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  assert.equal(auc([0.5, 0.5, 0.5], [0, 1, 1]), 0.5);
  assert.ok(Math.abs(logLoss([0.9, 0.2], [1, 0]) - (-(Math.log(0.9) + Math.log(0.8)) / 2)) < 1e-12);
});

for (const squares of [false, true]) test(`onnxruntime computes the TypeScript model's probabilities within 1e-5, missing values included${squares ? ", with squared inputs" : ""}`, async () => {
  const ort = await import("onnxruntime-node");
  const { rows, labels } = synthetic(3_000);
  const model = fit(["a", "b", "c"], rows, labels, { squares });
  assert.equal(model.weights.length, squares ? 6 : 3);
  const session = await ort.InferenceSession.create(Buffer.from(toOnnx(model)));
  assert.deepEqual(session.inputNames, ["input"]);
  assert.deepEqual(session.outputNames, ["label", "probabilities"]);
  const batch = rows.slice(0, 200);
  const input = Float32Array.from(batch.flat().map((v) => (v === null ? Number.NaN : v)));
  const out = await session.run({ input: new ort.Tensor("float32", input, [batch.length, 3]) });
  const probabilities = out.probabilities!.data as Float32Array;
  const predicted = out.label!.data as BigInt64Array;
  assert.equal(probabilities.length, batch.length * 2);
  batch.forEach((row, i) => {
    const expected = predict(model, row);
    assert.ok(Math.abs(probabilities[2 * i + 1]! - expected) < 1e-5, `row ${i}: onnx ${probabilities[2 * i + 1]} vs ts ${expected}`);
    assert.ok(Math.abs(probabilities[2 * i]! - (1 - expected)) < 1e-5);
    assert.equal(predicted[i], expected > 0.5 ? 1n : 0n);
  });
  assert.ok(batch.some((row) => row[2] === null), "the batch holds missing values");
});
