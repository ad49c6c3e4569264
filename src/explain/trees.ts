import { Unsupported } from "./head.js";

/** Branch modes, numbered as ai.onnx.ml TreeEnsemble (opset 5) numbers them. */
export const Mode = { LEQ: 0, LT: 1, GTE: 2, GT: 3, EQ: 4, NEQ: 5, MEMBER: 6 } as const;

/** The legacy operators spell modes as strings. */
export const MODE_NAMES: Record<string, number> = {
  BRANCH_LEQ: Mode.LEQ,
  BRANCH_LT: Mode.LT,
  BRANCH_GTE: Mode.GTE,
  BRANCH_GT: Mode.GT,
  BRANCH_EQ: Mode.EQ,
  BRANCH_NEQ: Mode.NEQ,
  BRANCH_MEMBER: Mode.MEMBER,
};

/**
 * One decision tree as flat arrays indexed by node (root = 0). An interior node sends a row
 * to `yes[n]` when its test holds (or the value is NaN and `missingYes[n]`), else to `no[n]`;
 * a leaf has yes[n] = -1 and adds `leaf[n * columns + c]` to raw score column c.
 */
export interface Tree {
  feature: Int32Array;
  threshold: Float64Array;
  mode: Uint8Array;
  missingYes: Uint8Array;
  yes: Int32Array;
  no: Int32Array;
  /** Set members of MEMBER nodes. */
  members: Map<number, Set<number>>;
  leaf: Float64Array;
  /** Longest root-to-leaf path, in interior nodes. */
  depth: number;
}

/** A sum of trees: raw[c] = base[c] + Σ over trees of the reached leaf's weight for column c. */
export interface Ensemble {
  trees: Tree[];
  columns: number;
  base: Float64Array;
  /** Highest feature index any node tests, plus one. */
  features: number;
}

/** Whether value v takes the yes branch of node n (onnxruntime's comparisons, NaN rules included). */
export function goesYes(tree: Tree, n: number, v: number): boolean {
  if (Number.isNaN(v) && tree.missingYes[n]) return true;
  const t = tree.threshold[n]!;
  switch (tree.mode[n]) {
    case Mode.LEQ: return v <= t;
    case Mode.LT: return v < t;
    case Mode.GTE: return v >= t;
    case Mode.GT: return v > t;
    case Mode.EQ: return v === t;
    case Mode.NEQ: return v !== t;
    default: return tree.members.get(n)!.has(v);
  }
}

/** The leaf `row` reaches in `tree`. */
function leafOf(tree: Tree, row: ArrayLike<number>): number {
  let n = 0;
  while (tree.yes[n]! >= 0) n = goesYes(tree, n, row[tree.feature[n]!]!) ? tree.yes[n]! : tree.no[n]!;
  return n;
}

/** The ensemble's raw scores for one (preprocessed) row. */
export function rawScores(ensemble: Ensemble, row: ArrayLike<number>): Float64Array {
  const raw = Float64Array.from(ensemble.base);
  for (const tree of ensemble.trees) {
    const at = leafOf(tree, row) * ensemble.columns;
    for (let c = 0; c < ensemble.columns; c++) raw[c]! += tree.leaf[at + c]!;
  }
  return raw;
}

/** A node while a tree is being assembled from an operator's attributes. */
export interface NodeSpec {
  feature: number;
  threshold: number;
  mode: number;
  missingYes: boolean;
  /** Keys of the children (in the operator's own numbering); undefined for a leaf. */
  yes?: number;
  no?: number;
  members?: Set<number>;
  weights: [column: number, weight: number][];
}

/**
 * Lays out one tree from its nodes keyed by the operator's ids, root first, checking that
 * every child exists and that no path loops back.
 */
export function buildTree(nodes: Map<number, NodeSpec>, root: number, columns: number, what: string): Tree {
  const order: number[] = [];
  const index = new Map<number, number>();
  let depth = 0;
  const visit = (key: number, level: number, onPath: Set<number>) => {
    const node = nodes.get(key);
    if (!node) throw new Unsupported(`${what} refers to node ${key}, which it does not define`);
    if (onPath.has(key)) throw new Unsupported(`${what} loops back to node ${key}`);
    if (index.has(key)) throw new Unsupported(`${what} reaches node ${key} twice; a tree node has one parent`);
    index.set(key, order.length);
    order.push(key);
    if (node.yes === undefined || node.no === undefined) {
      depth = Math.max(depth, level);
      return;
    }
    onPath.add(key);
    visit(node.yes, level + 1, onPath);
    visit(node.no, level + 1, onPath);
    onPath.delete(key);
  };
  visit(root, 0, new Set());
  const size = order.length;
  const tree: Tree = {
    feature: new Int32Array(size),
    threshold: new Float64Array(size),
    mode: new Uint8Array(size),
    missingYes: new Uint8Array(size),
    yes: new Int32Array(size).fill(-1),
    no: new Int32Array(size).fill(-1),
    members: new Map(),
    leaf: new Float64Array(size * columns),
    depth,
  };
  order.forEach((key, n) => {
    const node = nodes.get(key)!;
    for (const [column, weight] of node.weights) {
      if (column < 0 || column >= columns) throw new Unsupported(`${what} gives a weight to column ${column} of ${columns}`);
      tree.leaf[n * columns + column]! += weight;
    }
    if (node.yes === undefined || node.no === undefined) return;
    tree.feature[n] = node.feature;
    tree.threshold[n] = node.threshold;
    tree.mode[n] = node.mode;
    tree.missingYes[n] = node.missingYes ? 1 : 0;
    tree.yes[n] = index.get(node.yes)!;
    tree.no[n] = index.get(node.no)!;
    if (node.members) tree.members.set(n, node.members);
  });
  return tree;
}

/** Divides every leaf weight (AVERAGE aggregation is the SUM of weights / number of trees). */
export function scaleLeaves(trees: Tree[], factor: number): void {
  for (const tree of trees) for (let k = 0; k < tree.leaf.length; k++) tree.leaf[k]! *= factor;
}

export function featureCount(trees: Tree[]): number {
  let max = -1;
  for (const tree of trees) for (let n = 0; n < tree.yes.length; n++) if (tree.yes[n]! >= 0) max = Math.max(max, tree.feature[n]!);
  return max + 1;
}
