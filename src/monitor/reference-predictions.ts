import type { OfflineEngine } from "../offline/engine.js";
import { ident, literal } from "../util/sql.js";
import { OnnxModel } from "../serving/runtime/onnx.js";
import { numericalProfile } from "./profile.js";
import type { FeatureProfile } from "./profile-format.js";
import { numericalSample } from "./sample.js";

const BATCH = 16_384;

/**
 * The model's predictions on every row of the reference, profiled like a feature: what
 * prediction drift compares the served predictions with. The rows are fed as `/predict` feeds
 * them (the inputs in order, NULL as NaN for float inputs) in batches. Returns undefined, with
 * the reason, when the model gives something other than one number per row (a label model).
 */
export async function predictionProfile(engine: OfflineEngine, path: string, columns: string[], featureNames: string[], model: Uint8Array): Promise<{ profile?: FeatureProfile; reason?: string }> {
  const { JSDuckDBValueConverter } = await import("@duckdb/node-api");
  const onnx = await OnnxModel.load(model, "the model being registered");
  const read = /\.csv(\.gz)?$/i.test(path) ? `read_csv(${literal(path)}, header = true)` : `read_parquet(${literal(path)})`;
  const result = await engine.connection.stream(`SELECT ${columns.map(ident).join(", ")} FROM ${read}`);
  const predictions: number[] = [];
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    for (const p of await onnx.predict({ kind: "frame", columns: featureNames, rows: batch }, featureNames)) {
      if (typeof p !== "number") throw new TypeError(`the model predicts ${Array.isArray(p) ? "vectors" : typeof p + "s"}, not one number per row`);
      predictions.push(p);
    }
    batch = [];
  };
  try {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const row of chunk.convertRows(JSDuckDBValueConverter)) batch.push(row.map((v) => (typeof v === "bigint" ? Number(v) : v)));
      if (batch.length >= BATCH) await flush();
    }
    await flush();
  } catch (error) {
    return { reason: (error as Error).message };
  } finally {
    await onnx.release();
  }
  const finite = Float64Array.from(predictions.filter(Number.isFinite));
  const quality = { rows: predictions.length, missing: predictions.length - finite.length };
  return { profile: numericalProfile("prediction", "prediction", "DOUBLE", numericalSample(finite), quality) };
}
