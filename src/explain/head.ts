import { MlfError } from "../errors.js";

/**
 * How a model's raw scores (the sums a linear model or a tree ensemble computes, before any
 * post_transform) become the outputs onnxruntime reports, and which additive quantity an
 * explanation of one output column attributes. The binary special cases follow what
 * onnxruntime 1.23 computes (checked by test/explain/heads.test.ts); a configuration whose
 * output is not an additive score under a known transform is refused here, and the
 * explainer falls back to KernelSHAP through onnxruntime itself.
 */

/** What turns the explained value into the prediction. */
export type Transform = "identity" | "logistic" | "softmax";

/** One output column to explain. */
export interface Target {
  /** Output column: the class index for a classifier, the target index for a regressor. */
  index: number;
  /** The class label of that column, for a classifier. */
  label?: number | string;
  /** The explained value is Σ weights[c] · raw[c] over the raw score columns. */
  weights: number[];
  /**
   * "output": the explained value is the reported prediction itself; "margin": it is the
   * score before `transform` (the logit for a logistic output).
   */
  space: "margin" | "output";
  /**
   * prediction = transform(explained value); "softmax" also takes the other classes'
   * margins, so the prediction is not a function of this class's margin alone.
   */
  transform: Transform;
}

export interface Head {
  /** Raw score columns the model sums into. */
  columns: number;
  /** Class labels of the output columns, for a classifier. */
  labels?: (number | string)[];
  /** The outputs onnxruntime reports (probabilities or values) from the raw scores. */
  outputs(raw: Float64Array): Float64Array;
  /** The column explained when the caller names none: class 1 of a binary classifier, the predicted class of a multiclass one, else 0. */
  defaultTarget(outputs: Float64Array): number;
  target(index: number): Target;
}

/** A model configuration that has no exact explanation here; the reason is shown to the user. */
export class Unsupported extends Error {}

export type PostTransform = "NONE" | "LOGISTIC" | "SOFTMAX" | "SOFTMAX_ZERO" | "PROBIT";

function logistic(v: number): number {
  return v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
}

function softmax(raw: Float64Array): Float64Array {
  const max = Math.max(...raw);
  const exp = raw.map((v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp.map((v) => v / sum);
}

function argmax(values: Float64Array): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k]! > values[best]!) best = k;
  return best;
}

function unit(columns: number, index: number): number[] {
  return Array.from({ length: columns }, (_, c) => (c === index ? 1 : 0));
}

/** Refuses a target that is not one of `width` output columns. */
export function checkTarget(index: number, width: number, labels?: (number | string)[]): void {
  if (Number.isInteger(index) && index >= 0 && index < width) return;
  const what = labels
    ? `is not one of the model's classes ${labels.join(", ")} (targets 0 to ${width - 1})`
    : width === 1
      ? "is out of range: the model has one output (target 0)"
      : `is not one of the model's outputs 0 to ${width - 1}`;
  throw new MlfError("invalid_argument", `Target ${index} ${what}; pass one of those.`);
}

/**
 * Scores reported column by column after post_transform: regressors, multiclass
 * classifiers, and binary classifiers that score both classes.
 */
export function scoresHead(columns: number, post: PostTransform, labels?: (number | string)[]): Head {
  if (post === "SOFTMAX_ZERO" || post === "PROBIT") throw new Unsupported(`post_transform ${post} is not explained exactly`);
  const classifier = labels !== undefined || post !== "NONE";
  return {
    columns,
    labels,
    outputs: (raw) => (post === "LOGISTIC" ? raw.map(logistic) : post === "SOFTMAX" ? softmax(raw) : raw.slice()),
    defaultTarget: (outputs) => (columns === 1 || !classifier ? 0 : columns === 2 ? 1 : argmax(outputs)),
    target(index) {
      checkTarget(index, columns, labels);
      const label = labels?.[index];
      if (post === "NONE") return { index, label, weights: unit(columns, index), space: "output", transform: "identity" };
      if (post === "LOGISTIC") return { index, label, weights: unit(columns, index), space: "margin", transform: "logistic" };
      // Two-class softmax is the logistic of the margin difference: additive and exact.
      if (columns === 2) return { index, label, weights: [0, 1].map((c) => (c === index ? 1 : -1)), space: "margin", transform: "logistic" };
      return { index, label, weights: unit(columns, index), space: "margin", transform: "softmax" };
    },
  };
}

/**
 * A binary classifier that scores one column s and reports [P(0), P(1)] from it, as
 * onnxruntime does for a one-row LinearClassifier and for a TreeEnsembleClassifier whose
 * weights all go to class 0:
 * - "complement": [1 - s, s] (one-row LinearClassifier whatever its post_transform; trees
 *   whose weights are all >= 0);
 * - "logistic": [σ(-s), σ(s)] (trees with weights of both signs and LOGISTIC).
 */
export function binaryHead(kind: "complement" | "logistic", labels: (number | string)[]): Head {
  return {
    columns: 1,
    labels,
    outputs: (raw) => {
      const s = raw[0]!;
      return Float64Array.of(kind === "logistic" ? logistic(-s) : 1 - s, kind === "logistic" ? logistic(s) : s);
    },
    defaultTarget: () => 1,
    target(index) {
      checkTarget(index, 2, labels);
      if (kind === "logistic") return { index, label: labels[index], weights: [index === 1 ? 1 : -1], space: "margin", transform: "logistic" };
      if (index === 0) throw new MlfError("invalid_argument", `Class ${labels[0]} is scored as 1 - P(${labels[1]}) by this model; explain class ${labels[1]} (target 1) instead.`);
      return { index, label: labels[1], weights: [1], space: "output", transform: "identity" };
    },
  };
}
