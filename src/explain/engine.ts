import type { Transform } from "./head.js";

/** How the attributions were computed. */
export type ExplainMethod = "linear" | "tree" | "kernel";

/** One row's attributions before they are named and checked (see Explanation for the fields). */
export interface RawExplanation {
  prediction: number;
  explainedValue: number;
  baseValue: number;
  phi: Float64Array;
  target: number;
  label?: number | string;
  space: "margin" | "output";
  transform: Transform;
  approximate: boolean;
  /** KernelSHAP: coalitions evaluated. */
  samples?: number;
}

/** A way of attributing one row of input features; `target` is an output column or undefined for the model's default. */
export interface Engine {
  method: ExplainMethod;
  width: number;
  explain(row: Float64Array, target: number | undefined): Promise<RawExplanation>;
  release(): Promise<void>;
}

/** Mean of each column over rows. */
export function columnMeans(rows: ArrayLike<number>[], width: number): Float64Array {
  const mean = new Float64Array(width);
  for (const row of rows) for (let i = 0; i < width; i++) mean[i]! += row[i]!;
  return mean.map((v) => v / rows.length);
}

/** A cache of per-target state computed on first use (targets are few: classes or outputs). */
export function perTarget<T>(make: (target: number) => T): (target: number) => T {
  const cache = new Map<number, T>();
  return (target) => {
    let value = cache.get(target);
    if (value === undefined) cache.set(target, (value = make(target)));
    return value;
  };
}
