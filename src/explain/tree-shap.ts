import { goesYes, type Ensemble, type Tree } from "./trees.js";

/**
 * Interventional TreeSHAP (Lundberg et al. 2020, "From local explanations to global
 * understanding with explainable AI for trees", the independent algorithm): the exact Shapley
 * values of the game v(S) = mean over background rows z of f(x_S, z_rest), the model run on
 * x's values for the features in S and z's for the others.
 *
 * For one background row z and one tree, a row mixing x and z reaches leaf L exactly when
 * every feature that x and z split differently on L's path takes the side the path takes:
 * P = features where the path follows x, N = those where it follows z. The leaf's game is
 * v_L(S) = value(L) · [P ⊆ S and N ∩ S = ∅], whose Shapley values are
 *   value · (|P|-1)! |N|! / (|P|+|N|)!   for each feature in P,
 *  -value · |P|! (|N|-1)! / (|P|+|N|)!   for each feature in N,
 * and 0 for every other feature. Summed over the leaves reachable that way and averaged over
 * z, this gives the attributions; they add up to f(x) - mean f(z) by construction.
 * Cost: O(trees · background · leaves reachable by mixing x and z), no sampling.
 */
export class TreeShap {
  /** Per tree: for each background row, whether it takes the yes branch at each node. */
  private readonly backgroundDirections: Uint8Array[];
  /** Shapley weights by (|P|, |N|), row-major with stride `stride`. */
  private readonly positive: Float64Array;
  private readonly negative: Float64Array;
  private readonly stride: number;

  constructor(
    private readonly ensemble: Ensemble,
    private readonly background: Float64Array[],
    features: number,
  ) {
    this.backgroundDirections = ensemble.trees.map((tree) => {
      const size = tree.yes.length;
      const directions = new Uint8Array(size * background.length);
      background.forEach((z, b) => directions.set(directionsOf(tree, z), b * size));
      return directions;
    });
    const longest = Math.min(features, Math.max(0, ...ensemble.trees.map((t) => t.depth)));
    this.stride = longest + 1;
    const logFactorial = [0];
    for (let k = 1; k <= 2 * longest; k++) logFactorial.push(logFactorial[k - 1]! + Math.log(k));
    this.positive = new Float64Array(this.stride * this.stride);
    this.negative = new Float64Array(this.stride * this.stride);
    for (let p = 0; p <= longest; p++) {
      for (let n = 0; n <= longest; n++) {
        const total = logFactorial[p + n]!;
        if (p > 0) this.positive[p * this.stride + n] = Math.exp(logFactorial[p - 1]! + logFactorial[n]! - total);
        if (n > 0) this.negative[p * this.stride + n] = Math.exp(logFactorial[p]! + logFactorial[n - 1]! - total);
      }
    }
  }

  /**
   * Attributions of row `x` (preprocessed, `features` values) for the explained value whose
   * per-tree leaf values are `leafValues` (one entry per node of each tree).
   */
  attributions(x: Float64Array, leafValues: Float64Array[]): Float64Array {
    const phi = new Float64Array(x.length);
    const state = new Int8Array(x.length);
    const onX: number[] = [];
    const onZ: number[] = [];
    const { positive, negative, stride } = this;
    this.ensemble.trees.forEach((tree, t) => {
      const { yes, no, feature } = tree;
      const values = leafValues[t]!;
      const xDirections = directionsOf(tree, x);
      const all = this.backgroundDirections[t]!;
      const size = yes.length;
      let z = 0;
      const walk = (node: number): void => {
        if (yes[node]! < 0) {
          const v = values[node]!;
          if (v === 0) return;
          const p = onX.length;
          const n = onZ.length;
          if (p > 0) {
            const w = v * positive[p * stride + n]!;
            for (let k = 0; k < p; k++) phi[onX[k]!]! += w;
          }
          if (n > 0) {
            const w = v * negative[p * stride + n]!;
            for (let k = 0; k < n; k++) phi[onZ[k]!]! -= w;
          }
          return;
        }
        const xWay = xDirections[node]! ? yes[node]! : no[node]!;
        const zYes = all[z + node]!;
        if (zYes === xDirections[node]) return walk(xWay);
        const zWay = zYes ? yes[node]! : no[node]!;
        const f = feature[node]!;
        const seen = state[f]!;
        // A feature met again on the path must keep the side (x or z) it was given first.
        if (seen === 1) return walk(xWay);
        if (seen === -1) return walk(zWay);
        state[f] = 1;
        onX.push(f);
        walk(xWay);
        onX.pop();
        state[f] = -1;
        onZ.push(f);
        walk(zWay);
        onZ.pop();
        state[f] = 0;
      };
      for (let b = 0; b < this.background.length; b++) {
        z = b * size;
        walk(0);
      }
    });
    for (let i = 0; i < phi.length; i++) phi[i]! /= this.background.length;
    return phi;
  }
}

/** For each interior node, 1 when `row` takes its yes branch (leaves: 0). */
function directionsOf(tree: Tree, row: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(tree.yes.length);
  for (let n = 0; n < out.length; n++) if (tree.yes[n]! >= 0 && goesYes(tree, n, row[tree.feature[n]!]!)) out[n] = 1;
  return out;
}

/** Per tree, each node's value for the explained combination of score columns (zero on interior nodes). */
export function leafValues(ensemble: Ensemble, weights: number[]): Float64Array[] {
  return ensemble.trees.map((tree) => {
    const out = new Float64Array(tree.yes.length);
    for (let n = 0; n < out.length; n++) {
      let v = 0;
      for (let c = 0; c < ensemble.columns; c++) v += weights[c]! * tree.leaf[n * ensemble.columns + c]!;
      out[n] = v;
    }
    return out;
  });
}
