import { attributes, DataType, type OnnxGraph, type OnnxNode } from "./onnx-model.js";
import { Unsupported } from "./head.js";

/**
 * Feature-wise preprocessing in front of a model's head (skl2onnx's Scaler and Imputer, casts,
 * arithmetic with a per-feature constant): output i depends on input i alone. Shapley values
 * over the input features are then the Shapley values of the head over its own inputs, so
 * the exact explainers run on preprocessed rows. Anything that mixes features (Normalizer,
 * a projection) ends the chain, and the model is explained by KernelSHAP instead.
 */
export type FeatureMap = (row: Float64Array) => void;

/** Rounds like a float32 tensor when the step's output is float (onnxruntime computes in float32). */
const round = (float32: boolean) => (float32 ? Math.fround : (v: number) => v);

/** A per-feature constant: one value for all features, or one per feature. */
function perFeature(values: number[], width: number, what: string): (i: number) => number {
  if (values.length === 1) return () => values[0]!;
  if (values.length !== width) throw new Unsupported(`${what} has ${values.length} values for ${width} features`);
  return (i) => values[i]!;
}

/** The constant operand of a binary arithmetic node, if it is a per-feature initializer. */
function constantOperand(graph: OnnxGraph, node: OnnxNode, data: string, width: number): { c: (i: number) => number; dataFirst: boolean } | undefined {
  const other = node.inputs[0] === data ? node.inputs[1] : node.inputs[0];
  const tensor = other === undefined ? undefined : graph.initializers.get(other);
  if (!tensor || tensor.dims.slice(0, -1).some((d) => d !== 1)) return undefined;
  if (tensor.values.length !== 1 && tensor.values.length !== width) return undefined;
  return { c: perFeature(tensor.values, width, `${node.opType} ${node.name}`), dataFirst: node.inputs[0] === data };
}

/**
 * The feature map `node` applies to its data input `data` of `width` features, or undefined
 * when the node is not a feature-wise step. `float32` is whether its output is a float tensor.
 */
export function featureStep(graph: OnnxGraph, node: OnnxNode, data: string, width: number, float32: boolean): { map: FeatureMap; float32: boolean } | undefined {
  const a = attributes(node);
  const r = round(float32);
  const each = (f: (v: number, i: number) => number): FeatureMap => (row) => {
    for (let i = 0; i < row.length; i++) row[i] = r(f(row[i]!, i));
  };
  if (node.domain === "" && node.opType === "Identity") return { map: () => {}, float32 };
  if (node.domain === "" && node.opType === "Cast") {
    const to = a.int("to", 0);
    if (to === DataType.FLOAT) return { map: each((v) => v), float32: true };
    if (to === DataType.DOUBLE) return { map: () => {}, float32: false };
    return undefined;
  }
  if (node.domain === "ai.onnx.ml" && node.opType === "Scaler") {
    // onnxruntime: y = (x - offset) * scale, computed in float32.
    const offset = perFeature(a.floats("offset").length ? a.floats("offset") : [0], width, "Scaler offset");
    const scale = perFeature(a.floats("scale").length ? a.floats("scale") : [1], width, "Scaler scale");
    return { map: each((v, i) => (v - offset(i)) * scale(i)), float32: true };
  }
  if (node.domain === "ai.onnx.ml" && node.opType === "Imputer") {
    const imputed = perFeature(a.floats("imputed_value_floats"), width, "Imputer imputed_value_floats");
    const replaced = a.float("replaced_value_float", 0);
    const missing = Number.isNaN(replaced) ? (v: number) => Number.isNaN(v) : (v: number) => v === replaced;
    return { map: each((v, i) => (missing(v) ? imputed(i) : v)), float32 };
  }
  if (node.domain === "" && ["Add", "Sub", "Mul", "Div"].includes(node.opType)) {
    const operand = constantOperand(graph, node, data, width);
    if (!operand) return undefined;
    const { c, dataFirst } = operand;
    const op: Record<string, (v: number, k: number) => number> = {
      Add: (v, k) => v + k,
      Sub: (v, k) => (dataFirst ? v - k : k - v),
      Mul: (v, k) => v * k,
      Div: (v, k) => (dataFirst ? v / k : k / v),
    };
    const apply = op[node.opType]!;
    return { map: each((v, i) => apply(v, c(i))), float32 };
  }
  return undefined;
}

/** Composes feature maps into one that works on a copy of the row. */
export function compose(maps: FeatureMap[]): (row: ArrayLike<number>) => Float64Array {
  return (row) => {
    const out = Float64Array.from(row);
    for (const map of maps) map(out);
    return out;
  };
}
