import { attributes, type OnnxNode } from "./onnx-model.js";
import { binaryHead, scoresHead, Unsupported, type Head, type PostTransform } from "./head.js";
import { buildTree, featureCount, Mode, MODE_NAMES, scaleLeaves, type Ensemble, type NodeSpec, type Tree } from "./trees.js";

export const TREE_OPS = ["TreeEnsembleRegressor", "TreeEnsembleClassifier", "TreeEnsemble"];

export interface ParsedTrees {
  ensemble: Ensemble;
  head: Head;
}

const POST_TRANSFORMS: PostTransform[] = ["NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"];

function post(name: string): PostTransform {
  if (!(POST_TRANSFORMS as string[]).includes(name)) throw new Unsupported(`post_transform ${name} is unknown`);
  return name as PostTransform;
}

function aggregate(trees: Tree[], name: string, what: string): void {
  if (name === "AVERAGE") scaleLeaves(trees, 1 / trees.length);
  else if (name !== "SUM") throw new Unsupported(`${what} aggregates its trees with ${name}, which is not a sum of per-tree contributions`);
}

/** Groups the legacy operators' parallel nodes_* arrays into trees (in order of first appearance, as onnxruntime does). */
function legacyTrees(node: OnnxNode, leafPrefix: "target" | "class", columnOf: (id: number) => number, columns: number): Tree[] {
  const a = attributes(node);
  const what = `${node.opType} ${node.name || "(unnamed)"}`;
  const treeIds = a.ints("nodes_treeids");
  const nodeIds = a.ints("nodes_nodeids");
  const features = a.ints("nodes_featureids");
  const values = a.numbers("nodes_values");
  const modes = a.strings("nodes_modes");
  const yes = a.ints("nodes_truenodeids");
  const no = a.ints("nodes_falsenodeids");
  const missing = a.ints("nodes_missing_value_tracks_true");
  const n = treeIds.length;
  if ([nodeIds, features, values, modes, yes, no].some((list) => list.length !== n)) throw new Unsupported(`${what} has nodes_* attributes of different lengths`);
  const trees = new Map<number, { root: number; nodes: Map<number, NodeSpec> }>();
  for (let k = 0; k < n; k++) {
    const leaf = modes[k] === "LEAF";
    const mode = MODE_NAMES[modes[k]!];
    if (!leaf && mode === undefined) throw new Unsupported(`${what} has a node of mode ${modes[k]}`);
    let tree = trees.get(treeIds[k]!);
    if (!tree) trees.set(treeIds[k]!, (tree = { root: nodeIds[k]!, nodes: new Map() }));
    if (tree.nodes.has(nodeIds[k]!)) throw new Unsupported(`${what} defines node ${nodeIds[k]} of tree ${treeIds[k]} twice`);
    tree.nodes.set(nodeIds[k]!, {
      feature: features[k]!,
      threshold: values[k]!,
      mode: mode ?? 0,
      missingYes: missing[k] === 1,
      yes: leaf ? undefined : yes[k],
      no: leaf ? undefined : no[k],
      weights: [],
    });
  }
  const leafTrees = a.ints(`${leafPrefix}_treeids`);
  const leafNodes = a.ints(`${leafPrefix}_nodeids`);
  const leafIds = a.ints(`${leafPrefix}_ids`);
  const weights = a.numbers(`${leafPrefix}_weights`);
  if ([leafNodes, leafIds, weights].some((list) => list.length !== leafTrees.length)) throw new Unsupported(`${what} has ${leafPrefix}_* attributes of different lengths`);
  leafTrees.forEach((t, k) => {
    const spec = trees.get(t)?.nodes.get(leafNodes[k]!);
    if (!spec) throw new Unsupported(`${what} gives a weight to node ${leafNodes[k]} of tree ${t}, which it does not define`);
    spec.weights.push([columnOf(leafIds[k]!), weights[k]!]);
  });
  return [...trees.entries()].map(([id, t]) => buildTree(t.nodes, t.root, columns, `${what} tree ${id}`));
}

function ensembleOf(trees: Tree[], columns: number, base: number[]): Ensemble {
  const b = new Float64Array(columns);
  if (base.length === columns) b.set(base);
  return { trees, columns, base: b, features: featureCount(trees) };
}

function regressor(node: OnnxNode): ParsedTrees {
  const a = attributes(node);
  const columns = a.int("n_targets", 1);
  const transform = post(a.string("post_transform", "NONE"));
  // onnxruntime ignores some transforms on a single target; only plain sums are certain.
  if (transform !== "NONE") throw new Unsupported(`TreeEnsembleRegressor with post_transform ${transform} is not explained exactly`);
  const base = a.numbers("base_values");
  if (base.length !== 0 && base.length !== columns) throw new Unsupported(`TreeEnsembleRegressor has ${base.length} base_values for ${columns} targets`);
  const trees = legacyTrees(node, "target", (id) => id, columns);
  aggregate(trees, a.string("aggregate_function", "SUM"), "TreeEnsembleRegressor");
  return { ensemble: ensembleOf(trees, columns, base), head: scoresHead(columns, "NONE") };
}

function classifier(node: OnnxNode): ParsedTrees {
  const a = attributes(node);
  const labels: (number | string)[] = a.ints("classlabels_int64s").length ? a.ints("classlabels_int64s") : a.strings("classlabels_strings");
  const transform = post(a.string("post_transform", "NONE"));
  const base = a.numbers("base_values");
  const ids = new Set(a.ints("class_ids"));
  const weights = a.numbers("class_weights");
  if (labels.length < 2) throw new Unsupported(`TreeEnsembleClassifier has ${labels.length} class label(s)`);
  if (labels.length === 2 && ids.size === 1) {
    // onnxruntime's binary case: one score column, turned into [P(0), P(1)] below.
    if (!ids.has(0)) throw new Unsupported("TreeEnsembleClassifier scores only class 1, which onnxruntime reads inconsistently");
    if (base.length > 1) throw new Unsupported("TreeEnsembleClassifier has two base_values for one score column");
    const allPositive = weights.every((w) => w >= 0);
    if (!allPositive && transform !== "LOGISTIC") throw new Unsupported(`TreeEnsembleClassifier with weights of both signs and post_transform ${transform} reports a non-additive score`);
    const trees = legacyTrees(node, "class", () => 0, 1);
    return { ensemble: ensembleOf(trees, 1, base), head: binaryHead(allPositive ? "complement" : "logistic", labels) };
  }
  if (labels.length === 2 && base.length > 0) throw new Unsupported("TreeEnsembleClassifier scoring both classes with base_values is read inconsistently by onnxruntime");
  if (base.length !== 0 && base.length !== labels.length) throw new Unsupported(`TreeEnsembleClassifier has ${base.length} base_values for ${labels.length} classes`);
  const head = scoresHead(labels.length, transform, labels);
  const trees = legacyTrees(node, "class", (id) => id, labels.length);
  return { ensemble: ensembleOf(trees, labels.length, base), head };
}

/** ai.onnx.ml opset 5: interior nodes and leaves in separate arrays, trees by root index. */
function treeEnsemble(node: OnnxNode): ParsedTrees {
  const a = attributes(node);
  const columns = a.int("n_targets", 1);
  // onnxruntime 1.23 reads this enum in its own order (1 = LOGISTIC, where the ONNX spec says
  // SOFTMAX) and skips it on a single target, so only NONE means the same thing everywhere.
  const transform = a.int("post_transform", 0);
  if (transform !== 0) throw new Unsupported(`TreeEnsemble with post_transform ${transform} is not explained exactly`);
  const splits = a.tensor("nodes_splits")?.values ?? [];
  const modes = a.tensor("nodes_modes")?.values ?? [];
  const features = a.ints("nodes_featureids");
  const yes = a.ints("nodes_truenodeids");
  const yesLeaf = a.ints("nodes_trueleafs");
  const no = a.ints("nodes_falsenodeids");
  const noLeaf = a.ints("nodes_falseleafs");
  const missing = a.ints("nodes_missing_value_tracks_true");
  const members = a.tensor("membership_values")?.values ?? [];
  const leafTargets = a.ints("leaf_targetids");
  const leafWeights = a.tensor("leaf_weights")?.values ?? [];
  if ([splits, modes, yes, yesLeaf, no, noLeaf].some((list) => list.length !== features.length)) throw new Unsupported("TreeEnsemble has nodes_* attributes of different lengths");
  if (leafTargets.length !== leafWeights.length) throw new Unsupported("TreeEnsemble has leaf_* attributes of different lengths");
  // Keys: interior node k is k, leaf j is -(j + 1), so both live in one map.
  const nodes = new Map<number, NodeSpec>();
  leafWeights.forEach((w, j) => nodes.set(-(j + 1), { feature: 0, threshold: 0, mode: 0, missingYes: false, weights: [[leafTargets[j]!, w]] }));
  let nextMember = 0;
  features.forEach((feature, k) => {
    const spec: NodeSpec = { feature, threshold: splits[k]!, mode: modes[k]!, missingYes: missing[k] === 1, weights: [] };
    spec.yes = yesLeaf[k] ? -(yes[k]! + 1) : yes[k]!;
    spec.no = noLeaf[k] ? -(no[k]! + 1) : no[k]!;
    if (spec.mode === Mode.MEMBER) {
      // Each MEMBER node's set is the next run of membership_values, ended by a NaN.
      spec.members = new Set();
      while (nextMember < members.length && !Number.isNaN(members[nextMember]!)) spec.members.add(members[nextMember++]!);
      nextMember++;
    } else if (spec.mode > Mode.MEMBER) throw new Unsupported(`TreeEnsemble has a node of mode ${spec.mode}`);
    nodes.set(k, spec);
  });
  const trees = a.ints("tree_roots").map((root, t) => {
    // A one-leaf tree: its root entry's two branches name the same leaf, and (as in ONNX's
    // reference implementation and onnxruntime) the root index is then that leaf's index.
    const leafOnly = yesLeaf[root] && noLeaf[root] && yes[root] === no[root];
    return buildTree(nodes, leafOnly ? -(root + 1) : root, columns, `TreeEnsemble tree ${t}`);
  });
  const aggregates = ["AVERAGE", "SUM", "MIN", "MAX"];
  aggregate(trees, aggregates[a.int("aggregate_function", 1)] ?? "unknown", "TreeEnsemble");
  return { ensemble: ensembleOf(trees, columns, []), head: scoresHead(columns, "NONE") };
}

/** Reads a tree-ensemble node into an ensemble and its output semantics (throws Unsupported). */
export function parseTrees(node: OnnxNode): ParsedTrees {
  if (node.opType === "TreeEnsembleRegressor") return regressor(node);
  if (node.opType === "TreeEnsembleClassifier") return classifier(node);
  return treeEnsemble(node);
}
