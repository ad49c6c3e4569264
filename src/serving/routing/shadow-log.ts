import type { Log } from "../model-pool.js";
import type { AnsweredRow } from "./window.js";

export interface ShadowRecord {
  model: string;
  requestId: string;
  /** The shadowed rows: each with the answer the caller got and the shadow's prediction. */
  rows: AnsweredRow[];
}

/**
 * Where both predictions of a shadowed request are logged: one server log record per
 * request, the champion's answer beside the shadow's, per row. The one place to change when
 * the feature logs of `mlf serve` (src/serving/logging) take /predict rows with a variant.
 */
export function logShadowPredictions(log: Log, record: ShadowRecord): void {
  log({
    level: "info",
    msg: "shadow prediction",
    model: record.model,
    request_id: record.requestId,
    rows: record.rows.map((r) => ({ key: r.key ?? null, answered: { variant: r.variant, version: r.version, prediction: r.prediction }, shadow: r.shadow })),
  });
}
