import { DataType, type OnnxGraph, type OnnxNode } from "./onnx-model.js";
import { Unsupported, type Head } from "./head.js";
import { LINEAR_OPS, parseLinear, soleConsumer, type LinearScores } from "./linear.js";
import { compose, featureStep, type FeatureMap } from "./preprocess.js";
import { parseTrees, TREE_OPS } from "./tree-parse.js";
import type { Ensemble } from "./trees.js";

/** A model whose attributions can be computed exactly from its parsed graph. */
export type ExactModel = { width: number; preprocess: (row: ArrayLike<number>) => Float64Array; head: Head } & (
  | { kind: "linear"; scores: LinearScores }
  | { kind: "tree"; ensemble: Ensemble }
);

/** The model's single [N, F] float or double input. */
function featureInput(graph: OnnxGraph): { name: string; width: number; float32: boolean } {
  if (graph.inputs.length !== 1) throw new Unsupported(`the model has ${graph.inputs.length} inputs, not one [N, features] tensor`);
  const input = graph.inputs[0]!;
  const float32 = input.elemType === DataType.FLOAT;
  if (!float32 && input.elemType !== DataType.DOUBLE) throw new Unsupported(`input ${input.name} is not a float or double tensor`);
  if (input.shape.length !== 2) throw new Unsupported(`input ${input.name} has ${input.shape.length} dimensions, not [N, features]`);
  return { name: input.name, width: input.shape[1]!, float32 };
}

function isOutput(graph: OnnxGraph, tensor: string): boolean {
  return graph.outputs.some((o) => o.name === tensor);
}

/** Follows Identity nodes from `tensor` to the graph output it is reported as. */
function reported(graph: OnnxGraph, tensor: string): boolean {
  for (let name = tensor, hops = 0; hops <= graph.nodes.length; hops++) {
    if (isOutput(graph, name)) return true;
    const next = soleConsumer(graph, name);
    if (!next || next.opType !== "Identity") return false;
    name = next.outputs[0]!;
  }
  return false;
}

/**
 * Recognises a linear model or a tree ensemble behind feature-wise preprocessing, walking the
 * graph from its input. Throws Unsupported (with the reason) for anything else: a graph that
 * branches, an operator that mixes features before the head, a head whose scores are changed
 * again before they are reported.
 */
export function recognize(graph: OnnxGraph): ExactModel {
  const input = featureInput(graph);
  const maps: FeatureMap[] = [];
  if (input.float32) maps.push((row) => row.forEach((v, i) => (row[i] = Math.fround(v))));
  let tensor = input.name;
  let float32 = input.float32;
  let head: OnnxNode | undefined;
  while (!head) {
    const readers = graph.nodes.filter((n) => n.inputs.includes(tensor));
    if (readers.length !== 1) throw new Unsupported(readers.length === 0 ? `nothing reads ${tensor}` : `${tensor} feeds ${readers.length} operators`);
    const node = readers[0]!;
    const ml = node.domain === "ai.onnx.ml";
    if ((ml && TREE_OPS.includes(node.opType)) || LINEAR_OPS.includes(node.opType)) {
      head = node;
      break;
    }
    if (input.width < 0) throw new Unsupported(`input ${input.name} has no fixed number of features`);
    const step = featureStep(graph, node, tensor, input.width, float32);
    if (!step) throw new Unsupported(`operator ${node.opType} (${node.name || "unnamed"}) is not a supported model head or feature-wise step`);
    maps.push(step.map);
    float32 = step.float32;
    tensor = node.outputs[0]!;
  }
  const preprocess = compose(maps);
  if (TREE_OPS.includes(head.opType)) {
    const { ensemble, head: outputs } = parseTrees(head);
    const scores = head.opType === "TreeEnsembleClassifier" ? head.outputs[1] : head.outputs[0];
    if (!scores || !reported(graph, scores)) throw new Unsupported(`the scores of ${head.opType} are transformed before they are reported`);
    const width = input.width > 0 ? input.width : ensemble.features;
    if (ensemble.features > width) throw new Unsupported(`the trees test feature ${ensemble.features - 1} of an input with ${width}`);
    return { kind: "tree", width, preprocess, head: outputs, ensemble };
  }
  if (input.width < 0) throw new Unsupported(`input ${input.name} has no fixed number of features`);
  const linear = parseLinear(graph, head, tensor, input.width);
  if (!reported(graph, linear.output)) throw new Unsupported(`the scores of ${head.opType} are transformed before they are reported`);
  return { kind: "linear", width: input.width, preprocess, head: linear.head, scores: linear.scores };
}
