import { readFileSync } from "node:fs";
import { MlfError } from "../errors.js";
import { samplePositions } from "../util/random.js";
import type { ExplainMethod, Engine, RawExplanation } from "./engine.js";
import { exactEngine } from "./exact.js";
import { Unsupported, type Transform } from "./head.js";
import { kernelEngine } from "./kernel.js";
import { parseOnnx, type OnnxGraph } from "./onnx-model.js";
import { ProtoError } from "./protobuf.js";
import { recognize, type ExactModel } from "./recognize.js";
import { OnnxScorer } from "./runtime.js";

export type { ExplainMethod } from "./engine.js";
export type { Transform } from "./head.js";

export interface ExplainerOptions {
  /**
   * Reference rows (the model's input features, in input order) that attributions are
   * measured against: base_value is the model's mean explained value over them. Exact
   * explainers cost time linear in their number; about 100 rows is plenty.
   */
  background: number[][];
  /** Names of the input features, in input order (default: the model's `feature_names` metadata, else f0, f1, ...). */
  featureNames?: string[];
  /** "auto" (default): exact when the model allows, else KernelSHAP; "exact": refuse models without an exact method; "kernel": always KernelSHAP. */
  method?: "auto" | "exact" | "kernel";
  /** KernelSHAP's coalition budget (default 1024); with fewer than 2^features - 2 coalitions the result is an estimate. */
  samples?: number;
  /** KernelSHAP's random seed (default 0): the same seed gives the same attributions. */
  seed?: number;
  /**
   * KernelSHAP runs `samples` x background rows through the model per explanation: with more
   * background rows than this it uses a uniform subsample of this many, drawn with `seed`
   * (default: every row). The exact methods always use the whole background.
   */
  kernelBackground?: number;
  /** How errors name the model (default: its path, or "the model"). */
  label?: string;
}

export interface Attribution {
  feature: string;
  /** The feature's value in the explained row (null for a missing value, NaN). */
  value: number | null;
  attribution: number;
}

/**
 * One row explained. Additivity: base_value + Σ attribution = explained_value (up to float
 * rounding), and prediction = transform(explained_value).
 */
export interface Explanation {
  /** The model's output for the explained column: P(class) for a classifier, the value for a regressor. */
  prediction: number;
  /** The explained quantity for this row, in `space`. */
  explained_value: number;
  /** Mean explained value over the background. */
  base_value: number;
  /** One per input feature, in input order. */
  attributions: Attribution[];
  method: ExplainMethod;
  /** False for the exact methods, and for KernelSHAP when it enumerated every coalition. */
  approximate: boolean;
  /** "margin": attributions sum to the score before the output transform (log-odds for a logistic output); "output": to the prediction itself. */
  space: "margin" | "output";
  /** prediction = transform(explained_value); "softmax" uses the other classes' margins too. */
  transform: Transform;
  /** The explained output column (class index for a classifier). */
  target: number;
  /** The class label of that column, for a classifier. */
  class?: number | string;
  /** KernelSHAP: coalitions evaluated. */
  samples?: number;
}

export interface GlobalImportance {
  /** Rows explained. */
  rows: number;
  method: ExplainMethod;
  space: "margin" | "output";
  /** Mean |attribution| per feature over the rows, most important first. */
  features: { feature: string; importance: number }[];
}

export interface Explainer {
  readonly method: ExplainMethod;
  readonly featureNames: string[];
  /** Background rows the attributions are measured against (base_value is the mean over them). */
  readonly backgroundRows: number;
  /** Why the model was not explained exactly (KernelSHAP under method "auto"). */
  readonly fallbackReason?: string;
  /**
   * Explains one row of input features (NaN for a missing value). `target` picks the output
   * column: default class 1 of a binary classifier, the predicted class of a multiclass one,
   * the first output of a regressor.
   */
  explain(row: number[], options?: { target?: number }): Promise<Explanation>;
  /** Mean |attribution| per feature over `rows` (each explained as `explain` would). */
  globalImportance(rows: number[][], options?: { target?: number }): Promise<GlobalImportance>;
  /** Releases the onnxruntime session KernelSHAP holds (a no-op for exact explainers). */
  close(): Promise<void>;
}

function readModel(model: Uint8Array | string): Uint8Array {
  if (typeof model !== "string") return model;
  try {
    return readFileSync(model);
  } catch {
    throw new MlfError("file_not_found", `Cannot read the model file ${model}; check the path.`);
  }
}

function checkRow(row: unknown, width: number, what: string, names?: string[]): Float64Array {
  if (!Array.isArray(row) || row.length !== width) {
    throw new MlfError("invalid_argument", `${what} has ${Array.isArray(row) ? row.length : "no"} values but the model takes ${width} features; send one value per feature.`);
  }
  const bad = row.findIndex((v) => typeof v !== "number");
  if (bad >= 0) throw new MlfError("invalid_argument", `${what} has a non-number for feature ${names?.[bad] ?? bad}; send numbers (NaN for a missing value).`);
  return Float64Array.from(row as number[]);
}

function defaultNames(graph: OnnxGraph, width: number): string[] {
  const recorded = graph.metadata.get("feature_names")?.split(",");
  if (recorded?.length === width) return recorded;
  return Array.from({ length: width }, (_, i) => `f${i}`);
}

/**
 * Loads an explainer for an ONNX model (bytes or a file path). Linear models and tree
 * ensembles are read from the graph and explained exactly; any other model is explained by
 * KernelSHAP through onnxruntime (loaded only then). Bad input (an unreadable model, a
 * background of the wrong width, unknown method) is refused with an MlfError.
 */
export async function loadExplainer(model: Uint8Array | string, options: ExplainerOptions): Promise<Explainer> {
  const label = options.label ?? (typeof model === "string" ? model : "the model");
  const method = options.method ?? "auto";
  if (!["auto", "exact", "kernel"].includes(method)) throw new MlfError("invalid_argument", `Unknown explanation method ${method}; use auto, exact or kernel.`);
  const samples = options.samples ?? 1024;
  if (!Number.isInteger(samples) || samples < 1) throw new MlfError("invalid_argument", `The sample budget ${samples} is not a positive integer; pass one (default 1024).`);
  const kernelRows = options.kernelBackground ?? Number.POSITIVE_INFINITY;
  if (!(kernelRows >= 1) || (Number.isFinite(kernelRows) && !Number.isInteger(kernelRows))) throw new MlfError("invalid_argument", `kernelBackground ${kernelRows} is not a positive integer; pass how many background rows KernelSHAP may use.`);
  if (!Array.isArray(options.background) || options.background.length === 0) {
    throw new MlfError("invalid_argument", `The background for ${label} has no rows; pass reference rows (about 100) to measure attributions against.`);
  }
  const bytes = readModel(model);
  let graph: OnnxGraph;
  try {
    graph = parseOnnx(bytes);
  } catch (error) {
    if (!(error instanceof ProtoError)) throw error;
    throw new MlfError("invalid_argument", `${label} is not a valid ONNX model (${error.message}); pass an ONNX file.`);
  }
  let exact: ExactModel | undefined;
  let fallbackReason: string | undefined;
  if (method !== "kernel") {
    try {
      exact = recognize(graph);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      if (method === "exact") throw new MlfError("invalid_argument", `${label} has no exact explanation (${error.message}); use method "kernel" or "auto".`);
      fallbackReason = error.message;
    }
  }
  const scorer = exact ? undefined : await OnnxScorer.open(bytes, label);
  const width = exact?.width ?? scorer!.width;
  const names = options.featureNames ?? defaultNames(graph, width);
  try {
    if (names.length !== width) throw new MlfError("invalid_argument", `${names.length} feature names were given for ${width} model inputs; pass one name per input.`);
    const checked = options.background.map((row, r) => Array.from(checkRow(row, width, `Background row ${r}`, names)));
    const seed = options.seed ?? 0;
    const background = exact || checked.length <= kernelRows ? checked : samplePositions(checked.length, kernelRows, seed).map((p) => checked[p]!);
    const engine = exact ? exactEngine(exact, background, names) : await kernelEngine(scorer!, background, { samples, seed });
    return explainer(engine, names, background.length, fallbackReason);
  } catch (error) {
    await scorer?.release();
    throw error;
  }
}

function named(raw: RawExplanation, method: ExplainMethod, row: Float64Array, names: string[]): Explanation {
  const attributions = names.map((feature, i) => ({ feature, value: Number.isNaN(row[i]) ? null : row[i]!, attribution: raw.phi[i]! + 0 })); // + 0: no -0 in the output
  const broken = attributions.find((a) => !Number.isFinite(a.attribution));
  if (broken || !Number.isFinite(raw.prediction)) {
    const which = broken ? `feature ${broken.feature} (value ${broken.value ?? "missing"})` : "the prediction";
    throw new MlfError("invalid_argument", `The explanation of this row is not a finite number at ${which}; send finite values, or a model that imputes missing ones.`);
  }
  return {
    prediction: raw.prediction,
    explained_value: raw.explainedValue,
    base_value: raw.baseValue,
    attributions,
    method,
    approximate: raw.approximate,
    space: raw.space,
    transform: raw.transform,
    target: raw.target,
    ...(raw.label === undefined ? {} : { class: raw.label }),
    ...(raw.samples === undefined ? {} : { samples: raw.samples }),
  };
}

function explainer(engine: Engine, featureNames: string[], backgroundRows: number, fallbackReason: string | undefined): Explainer {
  const explain = async (row: number[], options: { target?: number } = {}) => {
    const x = checkRow(row, engine.width, "The row", featureNames);
    return named(await engine.explain(x, options.target), engine.method, x, featureNames);
  };
  return {
    method: engine.method,
    featureNames,
    backgroundRows,
    fallbackReason,
    explain,
    async globalImportance(rows, options = {}) {
      if (!Array.isArray(rows) || rows.length === 0) throw new MlfError("invalid_argument", "There are no rows to compute feature importance over; pass at least one row.");
      const sums = new Float64Array(featureNames.length);
      let space: "margin" | "output" = "output";
      for (const row of rows) {
        const e = await explain(row, options);
        e.attributions.forEach((a, i) => (sums[i]! += Math.abs(a.attribution)));
        space = e.space;
      }
      const features = featureNames.map((feature, i) => ({ feature, importance: sums[i]! / rows.length })).sort((a, b) => b.importance - a.importance);
      return { rows: rows.length, method: engine.method, space, features };
    },
    close: () => engine.release(),
  };
}
