import { perTarget, type Engine, type RawExplanation } from "./engine.js";
import { checkTarget } from "./head.js";
import { kernelShap, type KernelOptions } from "./kernel-shap.js";
import type { OnnxScorer } from "./runtime.js";

/**
 * KernelSHAP through onnxruntime for any model with one [N, features] input: the same game as
 * the exact explainers (each coalition's value is the model's mean output over the
 * background with the row's values on the coalition), estimated from a seeded sample of
 * coalitions. Attributions are in the space of the reported output (a probability for a
 * classifier) and add up to prediction - base_value exactly.
 */
export async function kernelEngine(scorer: OnnxScorer, background: number[][], options: KernelOptions): Promise<Engine> {
  const flat = Float64Array.from(background.flat());
  const reference = await scorer.run(flat, background.length);
  const columns = reference.columns;
  const base = perTarget((target) => {
    let sum = 0;
    for (let b = 0; b < background.length; b++) sum += reference.values[b * columns + target]!;
    return sum / background.length;
  });
  return {
    method: "kernel",
    width: scorer.width,
    async explain(row, requested): Promise<RawExplanation> {
      const { values } = await scorer.run(row, 1);
      const target = requested ?? (columns === 1 ? 0 : columns === 2 ? 1 : values.indexOf(Math.max(...values)));
      checkTarget(target, columns);
      const fx = values[target]!;
      const evaluate = async (data: Float64Array, rows: number) => {
        const out = await scorer.run(data, rows);
        return Float64Array.from({ length: rows }, (_, r) => out.values[r * columns + target]!);
      };
      const result = await kernelShap(row, background, fx, base(target), evaluate, options);
      return {
        prediction: fx,
        explainedValue: fx,
        baseValue: base(target),
        phi: result.phi,
        target,
        space: "output",
        transform: "identity",
        approximate: !result.exhaustive,
        samples: result.coalitions,
      };
    },
    release: () => scorer.release(),
  };
}
