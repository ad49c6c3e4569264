import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import { OfflineEngine } from "../offline/engine.js";
import { getHistoricalFeatures, type HistoricalFeaturesOptions, type ViewMatch } from "../offline/get-historical.js";
import { copyToFile } from "../offline/output.js";
import type { Pipeline } from "../repo/pipelines.js";
import { serviceRefs } from "../repo/resolve.js";
import type { Definitions } from "../repo/types.js";
import type { Repo } from "../repo/repo.js";
import { sha256 } from "../tracking/wrapper.js";
import { ident, literal } from "../util/sql.js";
import { formatDuration, formatTime } from "../util/time.js";

/** The training and holdout sets of one pipeline run: the same point-in-time join, split by time. */
export interface Datasets {
  /** Parquet files: every column of the entity rows, then the feature service's features. */
  train: string;
  holdout: string;
  trainRows: number;
  holdoutRows: number;
  /** Holdout rows whose label is not null: the rows both models are scored on. */
  labelledHoldoutRows: number;
  /** Every training row is at or before this time, every holdout row after it (ISO-8601 UTC). */
  splitAt: string;
  /** The newest entity row's time (ISO-8601 UTC). */
  lastAt: string;
  /** sha256 of the two files. */
  trainSha256: string;
  holdoutSha256: string;
  /** Columns of the entity rows (keys, timestamp, label, ...), in order. */
  entityColumns: string[];
  /** Feature columns in the service's order: the model's input order. */
  featureColumns: string[];
  views: ViewMatch[];
  seconds: number;
}

/** How get-historical reads the pipeline's entity rows. */
function entityOptions(pipeline: Pipeline): Pick<HistoricalFeaturesOptions, "entities" | "entitySql" | "timestampColumn"> {
  return { ...("path" in pipeline.entities ? { entities: pipeline.entities.path } : { entitySql: pipeline.entities.sql }), timestampColumn: pipeline.timestampColumn };
}

/**
 * Builds the point-in-time training set of the pipeline's entity rows once, then splits it by
 * time: rows within `holdout` of the newest row are held out, every other row trains. Never a
 * random split: a model is scored only on rows later than everything it learnt from.
 */
export async function buildDatasets(repo: Repo, defs: Definitions, pipeline: Pipeline, folder: string): Promise<Datasets> {
  const started = performance.now();
  mkdirSync(folder, { recursive: true });
  const full = join(folder, "labelled.parquet");
  try {
    const result = await getHistoricalFeatures(repo, { ...entityOptions(pipeline), service: pipeline.featureService, output: full, cwd: repo.root });
    // get-historical writes the entity rows' columns, then the service's features in order.
    const width = serviceRefs(defs, pipeline.featureService).length;
    const entityColumns = result.columns.slice(0, result.columns.length - width);
    const featureColumns = result.columns.slice(entityColumns.length);
    if (!entityColumns.includes(pipeline.label)) {
      throw new MlfError("invalid_data", `The entity rows of pipeline "${pipeline.name}" have no label column "${pipeline.label}"; they have: ${entityColumns.join(", ")}.`);
    }
    const engine = await OfflineEngine.open(repo.config.offlineStore);
    try {
      const from = `read_parquet(${literal(full)})`;
      const ts = ident(pipeline.timestampColumn);
      // In microseconds, DuckDB's own resolution, so no row lands on the wrong side by rounding.
      const [stats] = await engine.rows(`SELECT count(*) AS n, epoch_us(max(${ts})) AS last FROM ${from}`);
      if (Number(stats!.n) === 0) throw new MlfError("invalid_data", `The entity rows of pipeline "${pipeline.name}" are empty; nothing to train on.`);
      const lastUs = BigInt(stats!.last as bigint);
      const splitUs = lastUs - BigInt(pipeline.holdoutSeconds) * 1_000_000n;
      const before = `epoch_us(${ts}) <= ${splitUs}`;
      const [counts] = await engine.rows(
        `SELECT count(*) FILTER (WHERE ${before}) AS train, count(*) FILTER (WHERE NOT ${before}) AS holdout, count(*) FILTER (WHERE NOT ${before} AND ${ident(pipeline.label)} IS NOT NULL) AS labelled FROM ${from}`,
      );
      const trainRows = Number(counts!.train);
      const holdoutRows = Number(counts!.holdout);
      if (trainRows === 0) {
        throw new MlfError("invalid_data", `The holdout of pipeline "${pipeline.name}" (${formatDuration(pipeline.holdoutSeconds)}) covers every entity row; shorten it so some rows remain to train on.`);
      }
      const train = join(folder, "train.parquet");
      const holdout = join(folder, "holdout.parquet");
      await copyToFile(engine, `SELECT * FROM ${from} WHERE ${before}`, train);
      await copyToFile(engine, `SELECT * FROM ${from} WHERE NOT ${before}`, holdout);
      return {
        train,
        holdout,
        trainRows,
        holdoutRows,
        labelledHoldoutRows: Number(counts!.labelled),
        splitAt: isoMicros(splitUs),
        lastAt: isoMicros(lastUs),
        trainSha256: await sha256(train),
        holdoutSha256: await sha256(holdout),
        entityColumns,
        featureColumns,
        views: result.views,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      engine.close();
    }
  } finally {
    rmSync(full, { force: true });
  }
}

/** A time in microseconds as ISO-8601 UTC, keeping the microseconds when there are any. */
function isoMicros(us: bigint): string {
  const text = formatTime(Number(us / 1000n));
  const micros = Number(us % 1000n);
  return micros === 0 ? text : text.replace(/(\.\d{3})?Z$/, (m, ms: string | undefined) => `${ms ?? ".000"}${String(micros).padStart(3, "0")}Z`);
}
