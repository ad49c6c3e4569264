import { MlfError } from "../../errors.js";
import type { Prediction } from "../runtime/onnx.js";

/** A label the caller observed for a prediction. */
export type Label = number | string | boolean;

/**
 * The reward a prediction earns given the true label, in [0, 1]:
 * - a probability (a number in [0, 1]) against a binary label (0/1, true/false, "0"/"1"):
 *   1 - (label - p)², one minus the Brier score, a proper scoring rule (a model earns most by
 *   saying the true probability, not by saying 0 or 1);
 * - any other single value (a class label) against a label: 1 when they are equal, else 0.
 * Vectors have no rule: send a reward instead.
 */
export function rewardFromLabel(prediction: Prediction, label: Label): number {
  if (typeof prediction === "number" && prediction >= 0 && prediction <= 1) {
    const y = label === true || label === 1 || label === "1" ? 1 : label === false || label === 0 || label === "0" ? 0 : undefined;
    if (y !== undefined) return 1 - (y - prediction) ** 2;
  }
  if (typeof prediction !== "object") return String(prediction) === String(label) ? 1 : 0;
  throw new MlfError("invalid_argument", 'The prediction is a vector, which a label can not score; send "reward" (0 to 1) instead.');
}
