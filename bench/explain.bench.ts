import { cpus, loadavg } from "node:os";
import { loadExplainer, type Explainer } from "../src/explain/explainer.js";
import { OnnxModel } from "../src/serving/runtime/onnx.js";
import { fixture } from "../test/explain/helpers.js";
import type { BenchTable } from "./run.js";
import { quantile } from "./stats.js";

const ms = (x: number) => x.toFixed(x < 1 ? 3 : 1);

/**
 * p50/p99 wall ms of `calls` timed calls over `rows` in turn, after `calls / 10` warm-up
 * calls, and the process CPU ms per call (steadier than wall time on a shared machine; it
 * includes onnxruntime's worker threads).
 */
async function latency(calls: number, rows: number[][], fn: (row: number[]) => Promise<unknown>): Promise<[number, number, number]> {
  for (let i = 0; i < Math.max(3, calls / 10); i++) await fn(rows[i % rows.length]!);
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn(rows[i % rows.length]!);
    times.push(performance.now() - t0);
  }
  const used = process.cpuUsage(cpu);
  times.sort((a, b) => a - b);
  return [quantile(times, 0.5), quantile(times, 0.99), (used.user + used.system) / 1000 / calls];
}

interface Case {
  name: string;
  fixture: string;
  calls: number;
  samples?: number;
  background?: number;
}

const CASES: Case[] = [
  { name: "random forest, 25 trees depth 6, 10 features", fixture: "diabetes_forest", calls: 500 },
  { name: "gradient boosting, 30 trees depth 3, 30 features", fixture: "cancer_boosting", calls: 500 },
  { name: "scaler + ridge, 10 features", fixture: "diabetes_ridge", calls: 2000 },
  { name: "MLP 10-16-1, budget 1024 (all 1022 coalitions)", fixture: "diabetes_mlp", calls: 20, samples: 1024 },
  { name: "MLP 10-16-1, budget 256", fixture: "diabetes_mlp", calls: 40, samples: 256 },
  { name: "MLP 10-16-1, budget 256, 20 background rows", fixture: "diabetes_mlp", calls: 100, samples: 256, background: 20 },
];

/**
 * For a sampled KernelSHAP budget: the largest attribution error against all coalitions
 * (exact Shapley values) on 5 rows, as a share of |prediction - base value|.
 */
async function estimateError(c: Case, bytes: Uint8Array, background: number[][], rows: number[][], sampled: Explainer): Promise<string> {
  if (sampled.method !== "kernel" || (c.samples ?? 1024) >= 2 ** rows[0]!.length - 2) return "exact";
  const exact = await loadExplainer(bytes, { background, method: "kernel", samples: 2 ** rows[0]!.length });
  try {
    let worst = 0;
    for (const row of rows.slice(0, 5)) {
      const [a, b] = [await sampled.explain(row), await exact.explain(row)];
      const spread = Math.abs(b.prediction - b.base_value);
      a.attributions.forEach((x, i) => (worst = Math.max(worst, Math.abs(x.attribution - b.attributions[i]!.attribution) / spread)));
    }
    return `${(100 * worst).toFixed(1)}%`;
  } finally {
    await exact.close();
  }
}

/**
 * Explanation latency of the library call (`explainer.explain(row)`) for each method, beside
 * what serving the same row costs: the server's onnxruntime prediction (OnnxModel.predict,
 * the /predict runtime). Background: 100 rows unless noted.
 */
export async function run(): Promise<BenchTable> {
  const rows: (string | number)[][] = [];
  for (const c of CASES) {
    const { bytes, expected } = fixture(c.fixture);
    const background = expected.background.slice(0, c.background ?? 100);
    const t0 = performance.now();
    const explainer: Explainer = await loadExplainer(bytes, { background, samples: c.samples });
    const load = performance.now() - t0;
    const model = await OnnxModel.load(bytes, c.fixture);
    try {
      const [p50, p99, cpu] = await latency(c.calls, expected.rows, (row) => explainer.explain(row));
      const [b50, b99] = await latency(Math.max(200, c.calls), expected.rows, (row) => model.predict({ kind: "tensor", value: [row] }));
      rows.push([c.name, explainer.method, background.length, ms(p50), ms(p99), ms(cpu), ms(b50), ms(b99), ms(load), await estimateError(c, bytes, background, expected.rows, explainer)]);
    } finally {
      await Promise.all([explainer.close(), model.release()]);
    }
  }
  return {
    title: "Explanations: one row, library call (ms)",
    head: ["model", "method", "background", "explain p50", "explain p99", "explain CPU", "predict p50", "predict p99", "load", "error"],
    rows,
    notes: [
      "predict = the /predict runtime (OnnxModel in onnxruntime) on the same row: the baseline cost of serving it. load = parsing the model and preparing the background (KernelSHAP: opening onnxruntime and scoring the background).",
      "error: exact for the exact methods and for KernelSHAP over every coalition; for a sampled budget, the largest attribution error against every coalition on 5 rows, as a share of |prediction - base value|.",
      `Machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end of the run (shared with other work: p99 wall times move with it; the CPU column does not).`,
      "Goal: p99 under 20 ms on the 25-tree forest with a 100-row background (HTTP comes with the /explain route). KernelSHAP runs budget x background rows through onnxruntime per explanation.",
    ],
  };
}
