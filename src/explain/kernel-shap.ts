import { MlfError } from "../errors.js";
import { random } from "../util/random.js";

/** Runs the model on `rows` rows (row-major in `data`) and returns the explained value of each. */
export type Evaluate = (data: Float64Array, rows: number) => Promise<Float64Array>;

export interface KernelOptions {
  /** Coalition budget: how many feature subsets are evaluated (each over the whole background). */
  samples: number;
  seed: number;
}

export interface KernelResult {
  phi: Float64Array;
  /** Coalitions evaluated. */
  coalitions: number;
  /** Every coalition was enumerated: the result is the exact Shapley values, not an estimate. */
  exhaustive: boolean;
}

/** Rows evaluated per model call: bounds memory for large budgets and backgrounds. */
const CHUNK_ROWS = 65_536;

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** Calls `visit` with every k-subset of 0..m-1 (as index lists, lexicographic). */
function combinations(m: number, k: number, visit: (subset: number[]) => void): void {
  const subset = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    visit(subset);
    let i = k - 1;
    while (i >= 0 && subset[i] === m - k + i) i--;
    if (i < 0) return;
    subset[i]!++;
    for (let j = i + 1; j < k; j++) subset[j] = subset[j - 1]! + 1;
  }
}

/**
 * KernelSHAP's coalitions and weights (Lundberg & Lee 2017, as the shap library draws them):
 * subset sizes are taken from the outside in (1 and m-1, then 2 and m-2, ...) and enumerated
 * completely while the budget covers them, each subset weighted by the Shapley kernel; the
 * rest of the budget is drawn at random from the kernel's size distribution, each subset
 * with its complement (paired sampling), and the drawn ones share the remaining weight.
 */
export function coalitions(m: number, budget: number, seed: number): { masks: Uint8Array[]; weights: number[]; exhaustive: boolean } {
  const masks: Uint8Array[] = [];
  const weights: number[] = [];
  const add = (members: number[], weight: number, complement: boolean) => {
    const mask = new Uint8Array(m).fill(complement ? 1 : 0);
    for (const i of members) mask[i] = complement ? 0 : 1;
    masks.push(mask);
    weights.push(weight);
  };
  const sizes = Math.ceil((m - 1) / 2);
  const paired = Math.floor((m - 1) / 2);
  const kernel = Array.from({ length: sizes }, (_, k) => ((m - 1) / ((k + 1) * (m - k - 1))) * (k < paired ? 2 : 1));
  const total = kernel.reduce((a, b) => a + b, 0);
  const share = kernel.map((w) => w / total);
  let left = Math.min(budget, m <= 30 ? 2 ** m - 2 : budget);
  let remaining = share.slice();
  let full = 0;
  for (let size = 1; size <= sizes; size++) {
    const isPaired = size <= paired;
    const count = binomial(m, size) * (isPaired ? 2 : 1);
    if ((left * remaining[size - 1]!) / count < 1 - 1e-8) break;
    full++;
    left -= count;
    if (remaining[size - 1]! < 1) remaining = remaining.map((w) => w / (1 - remaining[size - 1]!));
    const weight = share[size - 1]! / binomial(m, size) / (isPaired ? 2 : 1);
    combinations(m, size, (subset) => {
      add(subset, weight, false);
      if (isPaired) add(subset, weight, true);
    });
  }
  if (full === sizes || left <= 0) return { masks, weights, exhaustive: full === sizes };
  const fixed = masks.length;
  const draw = share.map((w, k) => (k < paired ? w / 2 : w)).slice(full);
  const drawTotal = draw.reduce((a, b) => a + b, 0);
  const rng = random(seed);
  // Each drawn subset's index, and its complement's (-1 when the budget ran out before it).
  const seen = new Map<string, [number, number]>();
  const order = Array.from({ length: m }, (_, i) => i);
  for (let attempt = 0; left > 0 && attempt < 4 * budget; attempt++) {
    let u = rng() * drawTotal;
    let k = 0;
    while (k < draw.length - 1 && u >= draw[k]!) u -= draw[k++]!;
    const size = k + full + 1;
    // A partial Fisher-Yates shuffle picks `size` distinct features.
    for (let i = 0; i < size; i++) {
      const j = i + Math.floor(rng() * (m - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const members = order.slice(0, size);
    const key = members.slice().sort((a, b) => a - b).join(",");
    const at = seen.get(key);
    if (at !== undefined) {
      weights[at[0]]!++;
      if (at[1] >= 0) weights[at[1]]!++;
      continue;
    }
    const index = masks.length;
    add(members, 1, false);
    left--;
    const pairs = size <= paired && left > 0;
    if (pairs) {
      add(members, 1, true);
      left--;
    }
    seen.set(key, [index, pairs ? index + 1 : -1]);
  }
  const drawnWeight = share.slice(full).reduce((a, b) => a + b, 0);
  const drawnTotal = weights.slice(fixed).reduce((a, b) => a + b, 0);
  for (let k = fixed; k < weights.length; k++) weights[k] = (weights[k]! * drawnWeight) / drawnTotal;
  return { masks, weights, exhaustive: false };
}

/** Solves A x = b (n x n, row-major) by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-300);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    if (Math.abs(a[pivot * n + col]!) < 1e-12 * scale) throw new MlfError("runtime", "KernelSHAP's least-squares system is singular; raise the sample budget.");
    if (pivot !== col) {
      for (let c = 0; c < n; c++) [a[col * n + c], a[pivot * n + c]] = [a[pivot * n + c]!, a[col * n + c]!];
      [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col]! / a[col * n + col]!;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c]! -= f * a[col * n + c]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let c = r + 1; c < n; c++) s -= a[r * n + c]! * x[c]!;
    x[r] = s / a[r * n + r]!;
  }
  return x;
}

/** Mean model value over the background for each coalition (x's values on the coalition, z's elsewhere). */
async function coalitionValues(x: ArrayLike<number>, background: ArrayLike<number>[], varying: number[], masks: Uint8Array[], evaluate: Evaluate): Promise<Float64Array> {
  const width = x.length;
  const perCoalition = background.length;
  const values = new Float64Array(masks.length);
  const coalitionsPerChunk = Math.max(1, Math.floor(CHUNK_ROWS / perCoalition));
  for (let first = 0; first < masks.length; first += coalitionsPerChunk) {
    const last = Math.min(masks.length, first + coalitionsPerChunk);
    const rows = (last - first) * perCoalition;
    const data = new Float64Array(rows * width);
    let at = 0;
    for (let k = first; k < last; k++) {
      const mask = masks[k]!;
      for (const z of background) {
        for (let i = 0; i < width; i++) data[at + i] = z[i]!;
        for (let j = 0; j < varying.length; j++) if (mask[j]) data[at + varying[j]!] = x[varying[j]!]!;
        at += width;
      }
    }
    const out = await evaluate(data, rows);
    for (let k = first; k < last; k++) {
      let sum = 0;
      for (let b = 0; b < perCoalition; b++) sum += out[(k - first) * perCoalition + b]!;
      values[k] = sum / perCoalition;
    }
  }
  return values;
}

/** Whether two feature values are the same (NaN equals NaN: both missing). */
const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/**
 * KernelSHAP attributions of `x` for a model evaluated by `evaluate`, against `background`:
 * fx = f(x) and base = mean f(background) are given. Features whose value equals every
 * background row's get 0 (they never change the input). The weighted least squares is solved
 * with Σ φ = fx - base as a constraint (the last varying feature is eliminated), so the
 * attributions add up to fx - base exactly, whatever the budget.
 */
export async function kernelShap(x: ArrayLike<number>, background: ArrayLike<number>[], fx: number, base: number, evaluate: Evaluate, options: KernelOptions): Promise<KernelResult> {
  const phi = new Float64Array(x.length);
  const varying = Array.from({ length: x.length }, (_, i) => i).filter((i) => background.some((z) => !same(z[i]!, x[i]!)));
  const m = varying.length;
  if (m === 0) return { phi, coalitions: 0, exhaustive: true };
  if (m === 1) {
    phi[varying[0]!] = fx - base;
    return { phi, coalitions: 0, exhaustive: true };
  }
  const { masks, weights, exhaustive } = coalitions(m, options.samples, options.seed);
  const values = await coalitionValues(x, background, varying, masks, evaluate);
  const n = m - 1;
  const ata = new Float64Array(n * n);
  const atb = new Float64Array(n);
  const total = fx - base;
  masks.forEach((mask, k) => {
    const w = weights[k]!;
    const y = values[k]! - base - mask[n]! * total;
    for (let i = 0; i < n; i++) {
      const ai = mask[i]! - mask[n]!;
      if (ai === 0) continue;
      atb[i]! += w * ai * y;
      for (let j = 0; j < n; j++) ata[i * n + j]! += w * ai * (mask[j]! - mask[n]!);
    }
  });
  const beta = solve(ata, atb, n);
  let sum = 0;
  beta.forEach((b, i) => {
    phi[varying[i]!] = b;
    sum += b;
  });
  phi[varying[n]!] = total - sum;
  return { phi, coalitions: masks.length, exhaustive };
}
