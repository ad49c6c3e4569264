import { test } from "node:test";
import assert from "node:assert/strict";
import { loadExplainer } from "../../src/explain/explainer.js";
import { coalitions } from "../../src/explain/kernel-shap.js";
import { bruteForceShapley, fixture, runOrt, sum } from "./helpers.js";

const additive = (e: { base_value: number; attributions: { attribution: number }[] }) => e.base_value + sum(e.attributions.map((a) => a.attribution));

test("KernelSHAP on a linear model equals the exact linear attributions, even from a sample of coalitions", async () => {
  const { bytes, expected } = fixture("diabetes_ridge");
  const exact = await loadExplainer(bytes, { background: expected.background });
  const kernel = await loadExplainer(bytes, { background: expected.background, method: "kernel", samples: 200, seed: 7 });
  try {
    assert.equal(kernel.method, "kernel");
    for (const row of expected.rows.slice(0, 5)) {
      const e = await exact.explain(row);
      const k = await kernel.explain(row);
      assert.equal(k.approximate, true);
      assert.equal(k.samples, 200);
      assert.equal(k.space, "output");
      // onnxruntime computes in float32: agreement to its precision.
      assert.ok(Math.abs(k.base_value - e.base_value) < 1e-3);
      k.attributions.forEach((a, i) => assert.ok(Math.abs(a.attribution - e.attributions[i]!.attribution) < 1e-3, `${a.feature}: ${a.attribution} vs ${e.attributions[i]!.attribution}`));
      assert.ok(Math.abs(additive(k) - k.prediction) < 1e-9);
    }
  } finally {
    await kernel.close();
  }
});

test("KernelSHAP on the MLP: additive, reproducible from its seed, exact when every coalition fits the budget", async () => {
  const { bytes, expected } = fixture("diabetes_mlp");
  const background = expected.background.slice(0, 10);
  const sampled = await loadExplainer(bytes, { background, samples: 300, seed: 1 });
  const again = await loadExplainer(bytes, { background, samples: 300, seed: 1 });
  const other = await loadExplainer(bytes, { background, samples: 300, seed: 2 });
  const full = await loadExplainer(bytes, { background, samples: 5000 });
  try {
    assert.equal(sampled.method, "kernel");
    assert.match(sampled.fallbackReason ?? "", /MatMul/);
    const row = expected.rows[0]!;
    const [a, b, c, f] = await Promise.all([sampled.explain(row), again.explain(row), other.explain(row), full.explain(row)]);
    const [ort] = (await runOrt(bytes, [row])).variable!;
    assert.ok(Math.abs(a.prediction - ort![0]!) < 1e-9);
    assert.ok(Math.abs(a.prediction - expected.prediction![0]!) < 1e-3, "scikit-learn's prediction");
    for (const e of [a, c, f]) assert.ok(Math.abs(additive(e) - e.prediction) < 1e-9, "additivity");
    assert.deepEqual(a.attributions, b.attributions, "same seed, same attributions");
    assert.notDeepEqual(a.attributions, c.attributions, "another seed draws other coalitions");
    assert.equal(a.approximate, true);
    assert.equal(f.approximate, false);
    assert.equal(f.samples, 2 ** 10 - 2);

    const oracle = await bruteForceShapley(bytes, row, background);
    f.attributions.forEach((attr, i) => assert.ok(Math.abs(attr.attribution - oracle[i]!) < 1e-6, `${attr.feature}: ${attr.attribution} vs ${oracle[i]}`));
  } finally {
    await Promise.all([sampled, again, other, full].map((e) => e.close()));
  }
});

test("KernelSHAP and TreeSHAP explain the same game: on the forest with every coalition they agree", async () => {
  const { bytes, expected } = fixture("diabetes_forest");
  const background = expected.background.slice(0, 20);
  const tree = await loadExplainer(bytes, { background });
  const kernel = await loadExplainer(bytes, { background, method: "kernel", samples: 2000 });
  try {
    for (const row of expected.rows.slice(0, 3)) {
      const t = await tree.explain(row);
      const k = await kernel.explain(row);
      assert.equal(k.approximate, false);
      // onnxruntime sums float32 leaf values; TreeSHAP sums doubles.
      assert.ok(Math.abs(k.base_value - t.base_value) < 1e-3);
      k.attributions.forEach((a, i) => assert.ok(Math.abs(a.attribution - t.attributions[i]!.attribution) < 1e-3, `${a.feature}: ${a.attribution} vs ${t.attributions[i]!.attribution}`));
    }
  } finally {
    await kernel.close();
  }
});

test("coalitions: paired draws, Shapley kernel weights, the budget respected", () => {
  // 4 features: all 14 coalitions fit a budget of 14; sizes 1 and 3 pair, size 2 stands alone.
  const all = coalitions(4, 100, 0);
  assert.equal(all.exhaustive, true);
  assert.equal(all.masks.length, 14);
  const weightOf = (size: number) => all.weights[all.masks.findIndex((m) => sum([...m]) === size)]!;
  // Shapley kernel (M-1) / (C(M,s) s (M-s)), normalised: s=1 and 3: 3/12 each; s=2: 3/24.
  assert.ok(Math.abs(weightOf(1) / weightOf(2) - (3 / 12) / (3 / 24)) < 1e-12);
  assert.ok(Math.abs(weightOf(3) - weightOf(1)) < 1e-12);
  assert.ok(Math.abs(sum(all.weights) - 1) < 1e-12);

  const drawn = coalitions(12, 300, 3);
  assert.equal(drawn.exhaustive, false);
  assert.equal(drawn.masks.length, 300);
  assert.ok(Math.abs(sum(drawn.weights) - 1) < 1e-12);
  const keys = new Set(drawn.masks.map((m) => m.join("")));
  assert.equal(keys.size, 300, "no coalition is evaluated twice");
  // Every subset comes with its complement, but those of size 6 (their own complements' size)
  // and at most one cut off by the end of the budget.
  const unpaired = drawn.masks.filter((m) => sum([...m]) !== 6 && !keys.has(m.map((v) => 1 - v).join("")));
  assert.ok(unpaired.length <= 1, `${unpaired.length} subsets without their complement`);
  assert.ok(drawn.masks.some((m) => sum([...m]) === 6) && drawn.masks.some((m) => sum([...m]) === 3), "the draws reach the middle sizes");
});
