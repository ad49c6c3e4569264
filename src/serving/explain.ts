import { MlfError } from "../errors.js";
import type { Explanation } from "../explain/explainer.js";
import type { FeatureStatus } from "../online/get-online.js";
import type { Repo } from "../repo/repo.js";
import type { ServerContext } from "./context.js";
import { isBatch, modelRows, rowCount, type ModelRows } from "./model-rows.js";
import { toTyped } from "./runtime/convert.js";
import type { Prediction } from "./runtime/onnx.js";
import type { PredictBody } from "./schemas.js";
import type { ModelArtifact } from "./sources.js";

/**
 * What /explain answers (and `mlf explain` prints with --json): the prediction /predict would
 * give for the same body, explained by the version's explainer on the same input values.
 */

/** Rows one /explain request may ask for: each costs milliseconds of the event loop (KernelSHAP: tens). */
const MAX_EXPLAIN_ROWS = 100;

/** One input feature's part in one prediction. */
export interface FeatureAttribution {
  /** The model input, `view:feature`. */
  feature: string;
  /** The value the model was given (null: missing, fed as NaN). */
  value: number | null;
  /** The online read's status; a value sent in the request is PRESENT, or NULL_VALUE when null. */
  status: FeatureStatus;
  /** Where the value came from: the online store, or the request's `features`. */
  source: "online" | "request";
  /** Additive: base_value + Σ attribution = explained_value. */
  attribution: number;
}

/** One row explained. */
export interface RowExplanation {
  /** What /predict answers for this row (the served model's output, run by onnxruntime). */
  prediction: Prediction;
  /** The model's mean explained value over the background. */
  base_value: number;
  /** The explained quantity for this row: base_value + Σ attribution. */
  explained_value: number;
  /** "margin": the score before `transform` (log-odds for a logistic output); "output": the prediction itself. */
  space: Explanation["space"];
  /** prediction ≈ transform(explained_value); identity in output space. */
  transform: Explanation["transform"];
  method: Explanation["method"];
  /** True only for KernelSHAP estimates (fewer coalitions than all). */
  approximate: boolean;
  /** The explained output column, and its class label for a classifier. */
  target: number;
  class?: number | string;
  /** One per model input, in input order. */
  attributions: FeatureAttribution[];
}

interface Version {
  name: string;
  version: string;
}

/** The answer's header: which version explained, against how many background rows. */
export interface ExplainHeader {
  model: string;
  model_version: string;
  background_rows: number;
}

export type ExplainAnswer = (ExplainHeader & RowExplanation) | (ExplainHeader & { explanations: RowExplanation[] });

function statusOf(column: ModelRows["columns"][number], r: number): { status: FeatureStatus; source: "online" | "request" } {
  if (column.statuses) return { status: column.statuses[r]!, source: "online" };
  return { status: column.values[r] === null ? "NULL_VALUE" : "PRESENT", source: "request" };
}

/**
 * Explains the body's rows with `model` (a loaded version with its explainer): the same rows
 * /predict would build (modelRows), predicted by the served model and explained by the
 * version's explainer. A version without reference data is a `conflict` before anything is
 * read; a non-numeric input value is refused naming it.
 */
export async function explainBody(ctx: Pick<ServerContext, "features">, model: ModelArtifact & Version, body: PredictBody, count: number, batch: boolean): Promise<ExplainAnswer> {
  if (count > MAX_EXPLAIN_ROWS) throw new MlfError("invalid_argument", `${count} rows were sent to /explain, which explains at most ${MAX_EXPLAIN_ROWS} per request; send fewer rows per request.`);
  const explainer = await model.explainer.get();
  const inputs = await modelRows(ctx, model, body, count);
  const { refs, rows, columns } = inputs;
  const predictions = await model.model.predict({ kind: "frame", columns: refs, rows }, refs);
  const explanations: RowExplanation[] = [];
  for (let r = 0; r < count; r++) {
    const x = Array.from(toTyped(rows[r]!, "float64", (i) => `${refs[i]}, row ${r}`) as Float64Array);
    const e = await explainer.explain(x);
    explanations.push({
      prediction: predictions[r]!,
      base_value: e.base_value,
      explained_value: e.explained_value,
      space: e.space,
      transform: e.transform,
      method: e.method,
      approximate: e.approximate,
      target: e.target,
      ...(e.class !== undefined && { class: e.class }),
      attributions: e.attributions.map((a, i) => ({ feature: refs[i]!, value: a.value, ...statusOf(columns[i]!, r), attribution: a.attribution })),
    });
  }
  const header: ExplainHeader = { model: model.name, model_version: model.version, background_rows: explainer.backgroundRows };
  return batch ? { ...header, explanations } : { ...header, ...explanations[0]! };
}

export interface ExplainEntitiesOptions {
  /** A model reference as `mlf serve --model` takes it (`NAME@ALIAS`, `NAME/N`, a file). */
  model: string;
  trackingDir: string;
  /** The feature repository whose online store the features are read from. */
  repo: Repo;
  /** Join keys: a value each (one row), or lists of equal length (a batch). */
  entities: PredictBody["entities"];
  /** Request-time values by feature ref, as /explain's `features`. */
  features?: PredictBody["features"];
  /** The model's input refs in order, for a version that records none (`-f`). */
  inputs?: string[];
}

/**
 * `mlf explain`: what /explain would answer for these entities, without a server: the model
 * is loaded as `mlf serve` loads it (checked bytes, the version's explainer) and the features
 * are read from the repository's online store through the same path.
 */
export async function explainEntities(options: ExplainEntitiesOptions): Promise<ExplainAnswer> {
  const [{ modelSource }, { openFeatureBackend }] = await Promise.all([import("./model-registry-source.js"), import("./features.js")]);
  const source = modelSource(options.trackingDir, options.model);
  const resolved = await source.resolve();
  const artifact = await resolved.load();
  try {
    if (options.inputs && artifact.features && options.inputs.join() !== artifact.features.join()) {
      throw new MlfError("usage", `${source.name} version ${resolved.version} records its inputs (${artifact.features.slice(0, 3).join(", ")}...); drop -f, which is only for a version that records none.`);
    }
    const body: PredictBody = { model: source.name, entities: options.entities, ...(options.features && { features: options.features }) };
    const model = { ...artifact, ...(options.inputs && !artifact.features && { features: options.inputs }), name: source.name, version: resolved.version };
    const backend = await openFeatureBackend(options.repo);
    try {
      return await explainBody({ features: backend }, model, body, rowCount(body), isBatch(body));
    } finally {
      await backend.close();
    }
  } finally {
    await Promise.all([artifact.model.release(), artifact.explainer.release()]);
  }
}
