import type { GetOnlineFeaturesBody, PushBody } from "./schemas.js";

/** Feast's /get-online-features response: one result per name (join keys first), each columnar over the entity rows. */
export interface OnlineFeaturesResponse {
  metadata: { feature_names: string[] };
  results: { values: unknown[]; statuses: string[]; event_timestamps: string[] }[];
}

/**
 * What the server needs from the feature store. Built from the online module's functions
 * (see openFeatureBackend); the routes only translate HTTP to these calls.
 */
export interface FeatureBackend {
  /** Feast's request shape in, Feast's response shape out. */
  getOnlineFeatures(request: GetOnlineFeaturesBody): Promise<OnlineFeaturesResponse>;
  /** Writes rows to the online store, keeping the newer of the stored and pushed value per key. */
  push(request: PushBody): Promise<{ view: string; rows: number }>;
  /** The feature refs (`view:feature`) a feature service projects, in order. */
  serviceFeatures(service: string): Promise<string[]>;
  /** Per online view, seconds since the newest stored event timestamp (null when the view is empty). */
  freshness(): Promise<{ view: string; ageSeconds: number | null }[]>;
  /** undefined when ready to serve, else why not (e.g. no registry applied yet). */
  check(): Promise<string | undefined>;
  /** Re-reads the applied feature registry when `mlf apply` changed it. */
  reload(): Promise<void>;
  close(): Promise<void>;
}
