import { join } from "node:path";
import { MlfError } from "../errors.js";
import { resolveColumn } from "../monitor/match.js";
import { getHistoricalFeatures } from "../offline/get-historical.js";
import { OfflineEngine } from "../offline/engine.js";
import type { PipelineMetric } from "../repo/pipelines.js";
import type { Repo } from "../repo/repo.js";
import { formatFeatureRef, serviceRefs } from "../repo/resolve.js";
import type { Definitions } from "../repo/types.js";
import type { OnnxModel, Prediction } from "../serving/runtime/onnx.js";
import { ident, literal } from "../util/sql.js";
import { computeMetric } from "./metrics.js";

/**
 * Both models of a gate are scored here, by the same code on the same holdout rows, through
 * the runtime `mlf serve` uses; what a train script reports about itself is never used.
 */

/** A holdout file, read for scoring: labelled rows only, in file order. */
export interface Holdout {
  path: string;
  columns: string[];
  rows: unknown[][];
  labels: number[];
}

/** Rows per call into the runtime: bounds the size of one input tensor. */
const BATCH = 50_000;

const plain = (v: unknown) => (typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? Number(v) : v);

/** Reads the labelled rows of a holdout file (`columns` plus the label). */
export async function readHoldout(repo: Repo, path: string, columns: string[], label: string): Promise<Holdout> {
  const engine = await OfflineEngine.open(repo.config.offlineStore);
  try {
    const select = [...columns, label].map(ident).join(", ");
    const rows = await engine.rows(`SELECT ${select} FROM read_parquet(${literal(path)}) WHERE ${ident(label)} IS NOT NULL`);
    return {
      path,
      columns,
      rows: rows.map((r) => columns.map((c) => plain(r[c]))),
      labels: rows.map((r) => Number(plain(r[label]))),
    };
  } finally {
    engine.close();
  }
}

/** A model's input refs (`view:feature`) in input order: the ones it recorded, else its feature service's. */
export function modelInputRefs(defs: Definitions, recorded: { features?: string[] | null; service?: string | null }, what: string): string[] {
  if (recorded.features && recorded.features.length > 0) return recorded.features;
  if (recorded.service) return serviceRefs(defs, recorded.service).map(formatFeatureRef);
  throw new MlfError("invalid_data", `${what} records no input features, so it cannot be scored on a holdout; register it with --features or --service.`);
}

/**
 * A holdout holding `refs`: the pipeline's own when it has every one, else the same entity
 * rows joined again with exactly these features (a champion trained on other features is
 * scored on the same rows, each feature point-in-time, as it would have seen them).
 */
export async function holdoutFor(repo: Repo, holdout: Holdout, entityColumns: string[], refs: string[], label: string, timestampColumn: string, folder: string): Promise<Holdout> {
  if (refs.every((r) => resolveColumn(r, holdout.columns) !== undefined)) return holdout;
  const path = join(folder, "holdout-champion.parquet");
  const entitySql = `SELECT ${entityColumns.map(ident).join(", ")} FROM read_parquet(${literal(holdout.path)})`;
  const result = await getHistoricalFeatures(repo, { entitySql, features: refs, fullFeatureNames: true, timestampColumn, output: path, cwd: repo.root });
  return readHoldout(repo, path, result.columns.slice(entityColumns.length), label);
}

function score(p: Prediction, what: string): number {
  if (typeof p === "number" && Number.isFinite(p)) return p;
  if (typeof p === "boolean") return Number(p);
  throw new MlfError("invalid_data", `${what} predicted ${JSON.stringify(p)}, not a finite score; export it with one probability or value per row.`);
}

/** The metric of `model` on the holdout, its inputs taken by `refs` in order. */
export async function scoreModel(model: OnnxModel, refs: string[], holdout: Holdout, metric: PipelineMetric, what: string): Promise<{ value: number; rows: number }> {
  const columns = refs.map((r) => {
    const column = resolveColumn(r, holdout.columns);
    if (column === undefined) throw new MlfError("invalid_data", `The holdout has no column for ${r}, an input of ${what}.`);
    return column;
  });
  const index = columns.map((c) => holdout.columns.indexOf(c));
  const scores: number[] = [];
  for (let start = 0; start < holdout.rows.length; start += BATCH) {
    const rows = holdout.rows.slice(start, start + BATCH).map((r) => index.map((i) => r[i]));
    const predictions = await model.predict({ kind: "frame", columns, rows }, columns);
    for (const p of predictions) scores.push(score(p, what));
  }
  return { value: computeMetric(metric, scores, holdout.labels), rows: scores.length };
}
