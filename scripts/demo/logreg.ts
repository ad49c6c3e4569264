/**
 * A small, deterministic logistic regression: standardized inputs, missing values imputed with
 * the training mean, L2-regularised Newton's method (IRLS). Enough for the demo's delay model
 * and exact enough to compare with its ONNX export value by value. With `squares`, the squared
 * standardized inputs are inputs too: a little curvature per feature (the delay model's
 * pipeline trains this variant).
 */
export interface LogisticModel {
  /** Input feature names, in input order (the model's column order). */
  features: string[];
  /** Training mean of each feature (raw units); also the value a missing input takes. */
  means: number[];
  /** Training standard deviation of each feature (raw units; 1 when a feature is constant). */
  scales: number[];
  /** Coefficients on the standardized features, then (with `squares`) on their squares. */
  weights: number[];
  intercept: number;
  /** Whether the squared standardized features are inputs too (weights k..2k-1). */
  squares?: boolean;
}

export interface FitOptions {
  /** L2 penalty on the standardized weights (not the intercept); default 1e-4 per row. */
  l2?: number;
  /** Newton iterations at most; default 50 (it converges in well under 10 on the demo). */
  maxIterations?: number;
  /** Add the squared standardized features as inputs (see LogisticModel.squares). */
  squares?: boolean;
}

/** A row of raw inputs; `null` or NaN is a missing value. */
export type Row = readonly (number | null)[];

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** The model's inputs of one row: standardized features (a missing one is 0, the mean), then their squares when asked. */
function standardize(model: Pick<LogisticModel, "means" | "scales" | "squares">, row: Row): Float64Array {
  const k = model.means.length;
  const out = new Float64Array(model.squares ? 2 * k : k);
  for (let j = 0; j < k; j++) {
    const v = row[j];
    out[j] = v === null || v === undefined || Number.isNaN(v) ? 0 : (v - model.means[j]!) / model.scales[j]!;
    if (model.squares) out[k + j] = out[j]! * out[j]!;
  }
  return out;
}

/** P(y = 1) for one row of raw inputs. */
export function predict(model: LogisticModel, row: Row): number {
  const z = standardize(model, row);
  let s = model.intercept;
  for (let j = 0; j < z.length; j++) s += model.weights[j]! * z[j]!;
  return sigmoid(s);
}

/** Solves A x = b for a small symmetric positive definite A (Cholesky). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i]![j]!;
      for (let k = 0; k < j; k++) sum -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / l[j]![j]!;
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i]![k]! * y[k]!;
    y[i] = sum / l[i]![i]!;
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k]![i]! * x[k]!;
    x[i] = sum / l[i]![i]!;
  }
  return x;
}

/** Fits the model on raw rows and 0/1 labels. Same input, same model: no randomness. */
export function fit(features: string[], rows: readonly Row[], labels: readonly number[], options: FitOptions = {}): LogisticModel {
  const k = features.length;
  if (rows.length === 0) throw new Error("Cannot fit a model on an empty training set.");
  const means = new Array<number>(k).fill(0);
  const scales = new Array<number>(k).fill(1);
  for (let j = 0; j < k; j++) {
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    for (const row of rows) {
      const v = row[j];
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      n++;
      sum += v;
      sumSq += v * v;
    }
    means[j] = n > 0 ? sum / n : 0;
    const variance = n > 0 ? sumSq / n - means[j]! ** 2 : 0;
    scales[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
  }
  const squares = options.squares === true;
  const x = rows.map((row) => standardize({ means, scales, squares }, row));
  const l2 = (options.l2 ?? 1e-4) * rows.length;
  const d = x[0]!.length;
  // theta = [intercept, w_1..w_d]
  let theta = new Array<number>(d + 1).fill(0);
  for (let iteration = 0; iteration < (options.maxIterations ?? 50); iteration++) {
    const grad = new Array<number>(d + 1).fill(0);
    const hess = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      let s = theta[0]!;
      for (let j = 0; j < d; j++) s += theta[j + 1]! * xi[j]!;
      const p = sigmoid(s);
      const r = p - labels[i]!;
      const w = p * (1 - p);
      grad[0]! += r;
      hess[0]![0]! += w;
      for (let a = 0; a < d; a++) {
        const xa = xi[a]!;
        grad[a + 1]! += r * xa;
        hess[0]![a + 1]! += w * xa;
        for (let b = 0; b <= a; b++) hess[a + 1]![b + 1]! += w * xa * xi[b]!;
      }
    }
    for (let a = 1; a <= d; a++) {
      grad[a]! += l2 * theta[a]!;
      hess[a]![a]! += l2;
      hess[a]![0] = hess[0]![a]!;
      for (let b = 1; b < a; b++) hess[b]![a] = hess[a]![b]!;
    }
    const step = solve(hess, grad);
    theta = theta.map((t, j) => t - step[j]!);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return { features: [...features], means, scales, weights: theta.slice(1), intercept: theta[0]!, ...(squares && { squares }) };
}

// The held-out metrics are the ones `mlf pipeline` gates on, so the demo reports the same numbers.
export { auc, logLoss } from "../../src/pipeline/metrics.js";
