import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import type { LogisticModel } from "./logreg.js";

const { onnx } = onnxProto;
const { AttributeType } = onnx.AttributeProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function attribute(name: string, value: { floats: number[] } | { ints: number[] } | { i: number } | { s: string }): Onnx.IAttributeProto {
  if ("floats" in value) return { name, type: AttributeType.FLOATS, floats: value.floats };
  if ("ints" in value) return { name, type: AttributeType.INTS, ints: value.ints };
  if ("i" in value) return { name, type: AttributeType.INT, i: value.i };
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value.s) };
}

function tensor(name: string, elemType: number, dims: (number | null)[]): Onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (d === null ? { dimParam: "N" } : { dimValue: d })) } } },
  };
}

/**
 * The model as ONNX, in the convention of scikit-learn's exporter (skl2onnx) that the
 * reference model follows: input `input` float32 [N, k] in `model.features` order; outputs
 * `label` int64 [N] and `probabilities` float32 [N, 2] (column 1 = P(y = 1)). The graph is
 * three ai.onnx.ml operators, each the TypeScript model's own step: Imputer (NaN -> training
 * mean), Scaler ((x - mean) / scale), LinearClassifier (logistic). A model with `squares`
 * feeds the classifier the standardized inputs and their squares (Mul, Concat). The feature
 * names are also kept in the model's metadata (`feature_names`, comma separated).
 */
export function toOnnx(model: LogisticModel): Uint8Array {
  const k = model.features.length;
  // Squared inputs next to the standardized ones, in the order the weights list them.
  const expand: Onnx.INodeProto[] = model.squares
    ? [
        { opType: "Mul", name: "square", input: ["standardized", "standardized"], output: ["squared"] },
        { opType: "Concat", name: "expand", input: ["standardized", "squared"], output: ["expanded"], attribute: [attribute("axis", { i: 1 })] },
      ]
    : [];
  const graph: Onnx.IGraphProto = {
    name: "delay_logreg",
    input: [tensor("input", FLOAT, [null, k])],
    output: [tensor("label", INT64, [null]), tensor("probabilities", FLOAT, [null, 2])],
    node: [
      {
        opType: "Imputer",
        domain: "ai.onnx.ml",
        name: "impute",
        input: ["input"],
        output: ["imputed"],
        attribute: [attribute("imputed_value_floats", { floats: model.means }), { name: "replaced_value_float", type: AttributeType.FLOAT, f: Number.NaN }],
      },
      {
        opType: "Scaler",
        domain: "ai.onnx.ml",
        name: "standardize",
        input: ["imputed"],
        output: ["standardized"],
        attribute: [attribute("offset", { floats: model.means }), attribute("scale", { floats: model.scales.map((s) => 1 / s) })],
      },
      ...expand,
      {
        opType: "LinearClassifier",
        domain: "ai.onnx.ml",
        name: "classify",
        input: [model.squares ? "expanded" : "standardized"],
        output: ["label", "probabilities"],
        // Two rows (class 0 = minus class 1) so that LOGISTIC gives [1 - p, p], as skl2onnx writes it.
        attribute: [
          attribute("classlabels_ints", { ints: [0, 1] }),
          attribute("coefficients", { floats: [...model.weights.map((w) => -w), ...model.weights] }),
          attribute("intercepts", { floats: [-model.intercept, model.intercept] }),
          attribute("multi_class", { i: 0 }),
          attribute("post_transform", { s: "LOGISTIC" }),
        ],
      },
    ],
  };
  const proto: Onnx.IModelProto = {
    irVersion: 8,
    producerName: "mlf-demo",
    producerVersion: "1",
    graph,
    opsetImport: [
      { domain: "", version: 13 },
      { domain: "ai.onnx.ml", version: 1 },
    ],
    metadataProps: [{ key: "feature_names", value: model.features.join(",") }],
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}
