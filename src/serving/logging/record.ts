import type { FeatureStatus } from "../../online/get-online.js";
import type { Prediction } from "../runtime/onnx.js";

/**
 * The feature log as the server's routes see it: one record per answered request, handed to
 * `FeatureLog.log` after the answer is computed. The format written to disk is defined in
 * src/repo/feature-logs.ts; this is only what a route knows.
 */

/** One logged feature: its value per entity row and, for a value read online, its status per row. */
export interface FeatureLogColumn {
  values: readonly unknown[];
  /**
   * Per row, the online read's status. Absent for a value the request itself sent: it is
   * logged PRESENT, or NULL_VALUE when null. (An OnlineColumn fits this shape as it is.)
   */
  statuses?: readonly FeatureStatus[];
}

/** One answered request. Arrays are kept by reference until the next flush: do not modify them after logging. */
export interface FeatureLogRecord {
  /** Which log: a served model's (`/predict`) or a feature service's (`/get-online-features`). */
  kind: "models" | "services";
  /** The model's served name, or the feature service's name. */
  name: string;
  /** The model version that answered: a registry version number ("3"); another version (a file's digest) is logged as NULL. */
  modelVersion?: string;
  /** The HTTP route that answered, e.g. "/predict". */
  route: string;
  /**
   * Which routing variant answered, as /predict's answer names it ("champion", "challenger",
   * "v7", ...), or "shadow" for a shadow's predictions (a second record with the same request
   * id, which the caller did not get); absent when the model was not routed.
   */
  variant?: string;
  /** The request's id (as in the server log and the x-request-id header); also the sampling key. */
  requestId: string;
  /** When the answer was computed, epoch ms. */
  at: number;
  /** How many entity rows the record holds. */
  rows: number;
  /**
   * The rows' positions in the request (its `request_row`) when the record holds some of its
   * rows (a routed batch answered by several variants, a shadow's share); default 0, 1, ...
   */
  positions?: readonly number[];
  /**
   * Entity join keys as the request sent them: one value per row, or one value for every row.
   * Keys that are not join keys of the applied feature registry are not logged.
   */
  keys: Readonly<Record<string, unknown>>;
  /** The features' refs (`view:feature`), in the order of `columns`. Optional for a feature service: its refs are read from the registry. */
  features?: readonly string[];
  columns: readonly FeatureLogColumn[];
  /** One prediction per row (`/predict` only). */
  predictions?: readonly Prediction[];
}

/**
 * Where routes hand their answers. `log` never throws and never waits: it samples (by request
 * id), queues the record, or drops it when the queue is full (counted in /metrics); files are
 * written later, off the request path.
 */
export interface FeatureLog {
  /** Queues one answered request; true when queued, false when sampled out, not logged or dropped. */
  log(record: FeatureLogRecord): boolean;
}
