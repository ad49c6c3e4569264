import { MlfError } from "../errors.js";
import type { FeatureBackend } from "./features.js";
import type { FeatureLog } from "./logging/record.js";
import type { RequestMetrics } from "./metrics.js";
import type { Log, ModelPool } from "./model-pool.js";
import type { ProcessMetrics } from "./process-metrics.js";
import type { Routing } from "./routing/routing.js";

/**
 * Everything a route module needs, built once by startServer. Its own module so that the
 * routes depend on this and not on server.ts, which registers them.
 */
export interface ServerContext {
  pool: ModelPool;
  features: FeatureBackend | undefined;
  metrics: RequestMetrics;
  processMetrics: ProcessMetrics;
  log: Log;
  /** Where /predict and /get-online-features hand their answers; absent when feature logging is off. */
  featureLog?: FeatureLog;
  /** More metric families for /metrics (the feature logger's, the drift gauges), rendered in order. */
  metricSources: { render(): string[] }[];
  /** The routes between served models and their challengers, when any are declared. */
  routing?: Routing;
}

/** The feature store, or a 503 naming why it is missing. */
export function requireFeatures(ctx: Pick<ServerContext, "features">): FeatureBackend {
  if (!ctx.features) throw new MlfError("unavailable", "This server has no feature repository; start mlf serve inside one (or with -C DIR).");
  return ctx.features;
}
