import type { Log } from "../model-pool.js";
import type { AnsweredRow } from "./window.js";

export interface ShadowRecord {
  model: string;
  requestId: string;
  /** The shadowed rows: each with the answer the caller got and the shadow's prediction. */
  rows: AnsweredRow[];
}

/**
 * Both predictions of a shadowed request in the server log: one record per request, the
 * champion's answer beside the shadow's, per row. With feature logging on, the feature log
 * has them too, with the inputs each model saw (the shadow's as a second record of the request
 * with variant "shadow", written by /predict's scoring: src/serving/routes/predict.ts).
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
