import { MlfError } from "../errors.js";
import { columnMeans, perTarget, type Engine, type RawExplanation } from "./engine.js";
import type { Target } from "./head.js";
import type { ExactModel } from "./recognize.js";
import { leafValues, TreeShap } from "./tree-shap.js";
import { rawScores } from "./trees.js";

/** Raw scores of a linear model: intercepts + weights · preprocessed row. */
function linearRaw(model: Extract<ExactModel, { kind: "linear" }>, x: Float64Array): Float64Array {
  const { weights, intercepts } = model.scores;
  return Float64Array.from(weights, (w, c) => w.reduce((s, wi, i) => s + wi * x[i]!, intercepts[c]!));
}

function dot(weights: number[], raw: Float64Array): number {
  return weights.reduce((s, w, c) => s + w * raw[c]!, 0);
}

/**
 * Exact attributions from the parsed model, in the space of the explained target (see
 * head.ts): interventional Shapley values against the background, so that
 * base_value = mean explained value over the background and base + Σ attributions = the row's
 * explained value.
 * - Linear: the explained value is b + Σ w_i g_i(x_i) with g the feature-wise preprocessing
 *   (the scaler folded in), so attribution_i = w_i (g_i(x_i) - mean over background of g_i),
 *   and the base is the margin at the background mean.
 * - Trees: interventional TreeSHAP over the parsed trees (tree-shap.ts).
 */
export function exactEngine(model: ExactModel, background: number[][], featureNames: string[]): Engine {
  const prepared = background.map((row) => model.preprocess(row));
  if (model.kind === "linear") {
    // Trees route a missing value; a linear model needs an imputer in front of it.
    prepared.forEach((z, r) => {
      const i = z.findIndex((v) => !Number.isFinite(v));
      if (i >= 0) throw new MlfError("invalid_argument", `Background row ${r} has no usable value for feature ${featureNames[i]} (${background[r]![i]}) and the model does not impute it; pass finite background values.`);
    });
  }
  const raw = (x: Float64Array) => (model.kind === "linear" ? linearRaw(model, x) : rawScores(model.ensemble, x));
  const target = perTarget((index) => model.head.target(index));
  const explainWith = ((): ((x: Float64Array, t: Target) => { phi: Float64Array; base: number }) => {
    if (model.kind === "linear") {
      const mean = columnMeans(prepared, model.width);
      const folded = perTarget((index) => {
        const t = target(index);
        const w = mean.map((_, i) => t.weights.reduce((s, c, k) => s + c * model.scores.weights[k]![i]!, 0));
        const base = t.weights.reduce((s, c, k) => s + c * model.scores.intercepts[k]!, 0) + w.reduce((s, wi, i) => s + wi * mean[i]!, 0);
        return { w, base };
      });
      return (x, t) => {
        const { w, base } = folded(t.index);
        return { phi: w.map((wi, i) => wi * (x[i]! - mean[i]!)), base };
      };
    }
    const shap = new TreeShap(model.ensemble, prepared, model.width);
    const leaves = perTarget((index) => leafValues(model.ensemble, target(index).weights));
    const bases = perTarget((index) => prepared.reduce((s, z) => s + dot(target(index).weights, raw(z)), 0) / prepared.length);
    return (x, t) => ({ phi: shap.attributions(x, leaves(t.index)), base: bases(t.index) });
  })();
  return {
    method: model.kind,
    width: model.width,
    async explain(row, requested): Promise<RawExplanation> {
      const x = model.preprocess(row);
      const scores = raw(x);
      const outputs = model.head.outputs(scores);
      const t = target(requested ?? model.head.defaultTarget(outputs));
      const { phi, base } = explainWith(x, t);
      return {
        prediction: outputs[t.index]!,
        explainedValue: dot(t.weights, scores),
        baseValue: base,
        phi,
        target: t.index,
        label: t.label,
        space: t.space,
        transform: t.transform,
        approximate: false,
      };
    },
    release: async () => {},
  };
}
