import { readFileSync, renameSync, writeFileSync } from "node:fs";
import onnxProto from "onnx-proto";
import { MODEL } from "./helpers.js";

const { onnx } = onnxProto;

/**
 * The reference model with its LinearClassifier's parameters changed: a real, different model
 * (shifted intercepts move every prediction) or a broken one (NaN coefficients give NaN).
 */
export function variantBytes(change: { interceptShift?: number; nanCoefficients?: boolean }): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(MODEL));
  const node = model.graph!.node![0]!;
  for (const attribute of node.attribute!) {
    if (attribute.name === "intercepts" && change.interceptShift) {
      attribute.floats = [attribute.floats![0]! - change.interceptShift, attribute.floats![1]! + change.interceptShift];
    }
    if (attribute.name === "coefficients" && change.nanCoefficients) attribute.floats = attribute.floats!.map(() => Number.NaN);
  }
  return onnx.ModelProto.encode(model).finish();
}

/** Replaces `path` atomically, as a deploy would (readers see the old file or the new one). */
export function replaceFile(path: string, bytes: Uint8Array): void {
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
}
