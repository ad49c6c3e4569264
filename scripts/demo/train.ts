import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { auc, fit, logLoss, predict, type LogisticModel, type Row } from "./logreg.js";
import type { Definitions } from "../../src/repo/types.js";
import { toOnnx } from "./onnx.js";

/** What one training run consumed and produced. */
export interface TrainResult {
  model: LogisticModel;
  /** Hyper-parameters and split, as strings (tracking params). */
  params: Record<string, string>;
  /** Held-out AUC and log loss, plus training-set figures. */
  metrics: { auc: number; log_loss: number; train_auc: number; train_log_loss: number; base_rate: number };
  /** sha256 of the training-set file, hex. */
  trainingSetSha256: string;
  trainRows: number;
  testRows: number;
  /** The held-out set starts here (ISO-8601 UTC): every test row is later than every training row. */
  splitAt: string;
}

export interface TrainOptions {
  /** A Parquet training set from `mlf get-historical` (labels + features). */
  trainingSet: string;
  /**
   * A Parquet holdout set of the same shape, later in time (what `mlf pipeline run` gives):
   * the model fits every row of the training set and is evaluated on these rows. Without it,
   * the last `holdoutDays` of the training set are held out.
   */
  holdoutSet?: string;
  /** Feature columns, in the model's input order. */
  features: string[];
  /** The 0/1 label column. */
  label: string;
  /** The entity timestamp column (the split is by time). */
  timestampColumn: string;
  /** The last this many days are held out; default 28. */
  holdoutDays?: number;
  l2?: number;
  /** Squared standardized features as inputs too (see LogisticModel.squares). */
  squares?: boolean;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Reads the training set in time order (DuckDB; ties broken by every column, so the order is stable). */
async function readTrainingSet(options: TrainOptions, path = options.trainingSet): Promise<{ rows: Row[]; labels: number[]; times: number[] }> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    const columns = [...options.features.map((f) => `${ident(f)}::double`), `${ident(options.label)}::integer`, `epoch_ms(${ident(options.timestampColumn)}::timestamptz)::double`];
    const k = options.features.length;
    const reader = await connection.runAndReadAll(`select ${columns.join(", ")} from read_parquet('${path.replace(/'/g, "''")}') where ${ident(options.label)} is not null order by ${k + 2}, ${columns.map((_, i) => i + 1).join(", ")}`);
    const rows: Row[] = [];
    const labels: number[] = [];
    const times: number[] = [];
    for (const values of reader.getRowsJS()) {
      rows.push(values.slice(0, k) as (number | null)[]);
      labels.push(values[k] as number);
      times.push(values[k + 1] as number);
    }
    return { rows, labels, times };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Fits on all but the last `holdoutDays` and evaluates on them. Deterministic. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const holdoutDays = options.holdoutDays ?? 28;
  const l2 = options.l2 ?? 1e-4;
  const trainingSetSha256 = createHash("sha256").update(readFileSync(options.trainingSet)).digest("hex");
  const training = await readTrainingSet(options);
  const holdout = options.holdoutSet === undefined ? undefined : await readTrainingSet(options, options.holdoutSet);
  const rows = [...training.rows, ...(holdout?.rows ?? [])];
  const labels = [...training.labels, ...(holdout?.labels ?? [])];
  const times = [...training.times, ...(holdout?.times ?? [])];
  if (training.rows.length === 0) throw new Error(`The training set ${options.trainingSet} has no labelled rows.`);
  const splitAt = holdout ? training.times[training.times.length - 1]! : times[times.length - 1]! - holdoutDays * 86_400_000;
  const cut = holdout ? training.rows.length : times.findIndex((t) => t > splitAt);
  const trainEnd = cut < 0 ? rows.length : cut;
  if (trainEnd === 0 || trainEnd === rows.length) {
    throw new Error(holdout ? `The holdout set ${options.holdoutSet} has no labelled rows.` : `The training set ${options.trainingSet} spans too little time for a ${holdoutDays}-day hold-out.`);
  }
  const model = fit(options.features, rows.slice(0, trainEnd), labels.slice(0, trainEnd), { l2, squares: options.squares === true });
  const scores = rows.map((row) => predict(model, row));
  const trainLabels = labels.slice(0, trainEnd);
  const testLabels = labels.slice(trainEnd);
  return {
    model,
    params: {
      model: options.squares ? "logistic_regression_squares" : "logistic_regression",
      solver: "newton",
      l2: String(l2),
      features: options.features.join(","),
      ...(options.holdoutSet === undefined ? { holdout_days: String(holdoutDays) } : { holdout_set: options.holdoutSet }),
      label: options.label,
    },
    metrics: {
      auc: auc(scores.slice(trainEnd), testLabels),
      log_loss: logLoss(scores.slice(trainEnd), testLabels),
      train_auc: auc(scores.slice(0, trainEnd), trainLabels),
      train_log_loss: logLoss(scores.slice(0, trainEnd), trainLabels),
      base_rate: trainLabels.reduce((a, b) => a + b, 0) / trainLabels.length,
    },
    trainingSetSha256,
    trainRows: trainEnd,
    testRows: rows.length - trainEnd,
    splitAt: new Date(splitAt).toISOString(),
  };
}

/** Writes `model.onnx` and `model.json` (the TypeScript model, to recompute predictions) into `dir`. */
export function saveModel(model: LogisticModel, dir: string): { onnx: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const onnx = join(dir, "model.onnx");
  const json = join(dir, "model.json");
  writeFileSync(onnx, toOnnx(model));
  writeFileSync(json, `${JSON.stringify(model, null, 2)}\n`);
  return { onnx, json };
}

export function loadModel(path: string): LogisticModel {
  return JSON.parse(readFileSync(path, "utf8")) as LogisticModel;
}

/** The service's features in its own order (projection order, then schema order): the model's input order. */
export function serviceFeatures(defs: Definitions, service: string): string[] {
  const found = defs.featureServices.find((s) => s.name === service);
  if (!found) throw new Error(`No feature service named "${service}" is applied; run "mlf apply" first.`);
  return found.features.flatMap((p) => p.features ?? defs.featureViews.find((v) => v.name === p.view)!.schema.map((f) => f.name));
}
