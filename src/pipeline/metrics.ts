import { MlfError } from "../errors.js";
import { pipelineMetrics, type PipelineMetric } from "../repo/pipelines.js";

/**
 * The evaluation metrics of the champion/challenger gate, written plainly so each can be
 * checked against a hand computation. Scores are what the model runtime predicts per row: for
 * a binary classifier P(class 1), for a regressor the value.
 */

/** Area under the ROC curve by ranks: tied scores share their average rank, so a tie counts one half. NaN with one class only. */
export function auc(scores: readonly number[], labels: readonly number[]): number {
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => a[0] - b[0]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]![0] === order[i]![0]) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) {
      if (order[t]![1] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j;
  }
  const negatives = order.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean negative log likelihood of 0/1 labels, probabilities clipped to [1e-15, 1 - 1e-15] (scikit-learn's bound). */
export function logLoss(probabilities: readonly number[], labels: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    const p = Math.min(Math.max(probabilities[i]!, 1e-15), 1 - 1e-15);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / probabilities.length;
}

/** Share of rows whose predicted class (score >= 0.5 is class 1) is the label. */
export function accuracy(scores: readonly number[], labels: readonly number[]): number {
  let right = 0;
  for (let i = 0; i < scores.length; i++) if ((scores[i]! >= 0.5 ? 1 : 0) === labels[i]) right++;
  return right / scores.length;
}

export function rmse(predictions: readonly number[], labels: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) sum += (predictions[i]! - labels[i]!) ** 2;
  return Math.sqrt(sum / predictions.length);
}

export function mae(predictions: readonly number[], labels: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < predictions.length; i++) sum += Math.abs(predictions[i]! - labels[i]!);
  return sum / predictions.length;
}

const implementations: Record<PipelineMetric, (scores: readonly number[], labels: readonly number[]) => number> = { auc, logloss: logLoss, accuracy, rmse, mae };
const binary = new Set<PipelineMetric>(["auc", "logloss", "accuracy"]);

/**
 * The metric of `scores` against `labels`, after checking the labels suit it (0/1 for the
 * classification metrics, finite numbers for the regression ones). Throws invalid_data for an
 * empty holdout, unsuitable labels, or a value that is not finite (e.g. AUC with one class).
 */
export function computeMetric(metric: PipelineMetric, scores: readonly number[], labels: readonly number[]): number {
  if (scores.length === 0) throw new MlfError("invalid_data", "The holdout has no labelled rows; lengthen the holdout or add labels.");
  const bad = labels.findIndex((l) => (binary.has(metric) ? l !== 0 && l !== 1 : !Number.isFinite(l)));
  if (bad >= 0) {
    throw new MlfError("invalid_data", `Holdout row ${bad + 1} has label ${String(labels[bad])}, but ${metric} needs ${binary.has(metric) ? "labels 0 and 1" : "numeric labels"}; fix the labels or pick another metric.`);
  }
  const value = implementations[metric](scores, labels);
  if (!Number.isFinite(value)) {
    throw new MlfError("invalid_data", `${metric} of the holdout is not a number${metric === "auc" ? " (the holdout holds one class only)" : ""}; lengthen the holdout so it holds both outcomes.`);
  }
  return value;
}

/**
 * How much better `challenger` is than `champion` for this metric: positive when better,
 * whichever direction the metric improves in.
 */
export function improvement(metric: PipelineMetric, challenger: number, champion: number): number {
  return pipelineMetrics[metric] === "max" ? challenger - champion : champion - challenger;
}
