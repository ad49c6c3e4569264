import { attributes, type OnnxGraph, type OnnxNode } from "./onnx-model.js";
import { binaryHead, scoresHead, Unsupported, type Head, type PostTransform } from "./head.js";

/** raw[c] = intercepts[c] + Σ_i weights[c][i] · x_i over the head's (preprocessed) inputs. */
export interface LinearScores {
  weights: number[][];
  intercepts: number[];
}

export interface ParsedLinear {
  scores: LinearScores;
  head: Head;
  /** The graph tensor holding the reported scores. */
  output: string;
}

function rows(coefficients: number[], columns: number, width: number, what: string): number[][] {
  if (coefficients.length !== columns * width) throw new Unsupported(`${what} has ${coefficients.length} coefficients for ${columns} x ${width}`);
  return Array.from({ length: columns }, (_, c) => coefficients.slice(c * width, (c + 1) * width));
}

function postOf(node: OnnxNode): PostTransform {
  return attributes(node).string("post_transform", "NONE") as PostTransform;
}

/** ai.onnx.ml LinearRegressor: one row of coefficients per target. */
function linearRegressor(node: OnnxNode, width: number): ParsedLinear {
  const a = attributes(node);
  const columns = a.int("targets", 1);
  const transform = postOf(node);
  if (transform !== "NONE") throw new Unsupported(`LinearRegressor with post_transform ${transform} is not explained exactly`);
  const intercepts = a.floats("intercepts");
  return {
    scores: { weights: rows(a.floats("coefficients"), columns, width, "LinearRegressor"), intercepts: intercepts.length ? intercepts : new Array<number>(columns).fill(0) },
    head: scoresHead(columns, "NONE"),
    output: node.outputs[0]!,
  };
}

/**
 * ai.onnx.ml LinearClassifier: one row of coefficients per intercept. With one row and two
 * labels onnxruntime reports [1 - s, s] whatever the post_transform; with two rows (skl2onnx
 * writes class 0 as minus class 1) it applies the transform to both scores.
 */
function linearClassifier(node: OnnxNode, width: number): ParsedLinear {
  const a = attributes(node);
  const labels: (number | string)[] = a.ints("classlabels_ints").length ? a.ints("classlabels_ints") : a.strings("classlabels_strings");
  const intercepts = a.floats("intercepts");
  const columns = intercepts.length;
  const transform = postOf(node);
  const scores = { weights: rows(a.floats("coefficients"), columns, width, "LinearClassifier"), intercepts };
  if (columns === 1 && labels.length === 2) {
    if (transform === "PROBIT") throw new Unsupported("LinearClassifier with post_transform PROBIT is not explained exactly");
    return { scores, head: binaryHead("complement", labels), output: node.outputs[1]! };
  }
  if (columns !== labels.length) throw new Unsupported(`LinearClassifier has ${columns} rows of coefficients for ${labels.length} classes`);
  return { scores, head: scoresHead(columns, transform, labels), output: node.outputs[1]! };
}

function constant(graph: OnnxGraph, name: string | undefined) {
  return name === undefined ? undefined : graph.initializers.get(name);
}

/** The only node that reads `tensor`, if exactly one does. */
export function soleConsumer(graph: OnnxGraph, tensor: string): OnnxNode | undefined {
  const readers = graph.nodes.filter((n) => n.inputs.includes(tensor));
  return readers.length === 1 ? readers[0] : undefined;
}

/**
 * A plain graph: MatMul (or Gemm) by a constant matrix, an optional Add of a constant bias,
 * and an optional Sigmoid or Softmax, ending at a graph output. Anything else is not
 * recognised (the model is explained by KernelSHAP).
 */
function matmul(graph: OnnxGraph, node: OnnxNode, data: string, width: number): ParsedLinear {
  const a = attributes(node);
  const w = constant(graph, node.inputs[1]);
  const transB = node.opType === "Gemm" && a.int("transB", 0) === 1;
  const inner = w && (w.dims.length === 1 ? w.dims[0] : transB ? w.dims[1] : w.dims[0]);
  if (node.inputs[0] !== data || !w || w.dims.length > 2 || inner !== width) throw new Unsupported(`${node.opType} ${node.name} does not multiply the features by a constant matrix`);
  if (node.opType === "Gemm" && a.int("transA", 0) === 1) throw new Unsupported("Gemm with transA is not a linear model of the rows");
  const columns = w.dims.length === 1 ? 1 : transB ? w.dims[0]! : w.dims[1]!;
  const alpha = a.float("alpha", 1);
  const weights = Array.from({ length: columns }, (_, c) =>
    Array.from({ length: width }, (_, i) => alpha * (w.dims.length === 1 ? w.values[i]! : transB ? w.values[c * width + i]! : w.values[i * columns + c]!)),
  );
  const intercepts = new Array<number>(columns).fill(0);
  const addBias = (values: number[], scale: number) => {
    if (values.length !== 1 && values.length !== columns) throw new Unsupported(`the bias has ${values.length} values for ${columns} outputs`);
    for (let c = 0; c < columns; c++) intercepts[c]! += scale * (values.length === 1 ? values[0]! : values[c]!);
  };
  if (node.opType === "Gemm" && node.inputs[2]) {
    const c = constant(graph, node.inputs[2]);
    if (!c) throw new Unsupported("Gemm's bias is not a constant");
    addBias(c.values, a.float("beta", 1));
  }
  let output = node.outputs[0]!;
  let next = soleConsumer(graph, output);
  if (next?.domain === "" && next.opType === "Add") {
    const bias = constant(graph, next.inputs[0] === output ? next.inputs[1] : next.inputs[0]);
    if (!bias) throw new Unsupported("the Add after MatMul does not add a constant");
    addBias(bias.values, 1);
    output = next.outputs[0]!;
    next = soleConsumer(graph, output);
  }
  let transform: PostTransform = "NONE";
  if (next?.domain === "" && (next.opType === "Sigmoid" || next.opType === "Softmax")) {
    transform = next.opType === "Sigmoid" ? "LOGISTIC" : "SOFTMAX";
    output = next.outputs[0]!;
  }
  return { scores: { weights, intercepts }, head: scoresHead(columns, transform), output };
}

export const LINEAR_OPS = ["LinearRegressor", "LinearClassifier", "MatMul", "Gemm"];

/** Reads a linear head whose data input is `data` with `width` features (throws Unsupported). */
export function parseLinear(graph: OnnxGraph, node: OnnxNode, data: string, width: number): ParsedLinear {
  if (node.opType === "LinearRegressor") return linearRegressor(node, width);
  if (node.opType === "LinearClassifier") return linearClassifier(node, width);
  return matmul(graph, node, data, width);
}
