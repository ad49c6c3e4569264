import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { MlfError } from "../errors.js";
import type { ServerContext } from "./context.js";
import type { FeatureBackend } from "./features.js";
import { parseCsv } from "./runtime/invocation.js";
import { RequestMetrics } from "./metrics.js";
import { ProcessMetrics } from "./process-metrics.js";
import { ModelPool, type Log } from "./model-pool.js";
import { registerAdminRoutes } from "./routes/admin.js";
import { registerExplainRoutes } from "./routes/explain.js";
import { registerFeatureRoutes } from "./routes/features.js";
import { registerInvocationRoutes } from "./routes/invocations.js";
import { registerPredictRoutes } from "./routes/predict.js";
import { registerRoutingRoutes } from "./routes/routing.js";
import type { RoutingClock } from "./routing/route.js";
import { Routing, type RouteSetup } from "./routing/routing.js";
import { RoutingState } from "./routing/state.js";
import { installBookkeeping } from "./bookkeeping.js";
import { DriftGauge, type DriftGaugeOptions } from "./logging/drift-gauge.js";
import { FeatureLogger, type FeatureLoggerOptions } from "./logging/logger.js";
import type { ModelSource } from "./sources.js";

export interface ServeOptions {
  /** Interface to bind; loopback unless told otherwise. */
  host?: string;
  /** TCP port; 0 picks a free one (see `Server.port`). Default 8000. */
  port?: number;
  models?: ModelSource[];
  /** The feature store behind /get-online-features, /push and /predict; without it those answer 503. */
  features?: FeatureBackend;
  /** Seconds between re-resolutions of every model reference; 0 disables polling. Default 5. */
  pollSeconds?: number;
  /** Largest accepted request body in bytes. Default 8 MiB. */
  bodyLimitBytes?: number;
  /** A request not answered within this many milliseconds gets a 503. Default 10 000. */
  requestTimeoutMs?: number;
  /** Receives one record per request and per model event; default: dropped. */
  log?: Log;
  /** Log a line per answered request (default true); 5xx answers are logged regardless. */
  logRequests?: boolean;
  /** Routes between served models and their challengers (canary, shadow, bandit); see src/serving/routing. */
  routes?: RouteSetup[];
  /** The SQLite file routes keep their rewards, shares and history in; required with routes. */
  routingState?: string;
  /** The routes' clock (tests inject one); default the system's. */
  clock?: RoutingClock;
  /** Log /predict and /get-online-features answers to Parquet files (see FeatureLogger); default off. */
  featureLog?: Omit<FeatureLoggerOptions, "definitions" | "log">;
  /** Recompute the served versions' drift gauges (see DriftGauge); default off. */
  drift?: DriftGaugeOptions;
}

/** A running server. `close` stops accepting, lets in-flight requests finish, then releases models and stores. */
export interface Server {
  app: FastifyInstance;
  pool: ModelPool;
  /** The routes, when any are declared. */
  routing: Routing | undefined;
  /** The feature logger, when logging is on. */
  featureLog?: FeatureLogger;
  /** The drift gauges, when recomputed. */
  drift?: DriftGauge;
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Builds the fastify app with every route; listens nowhere (see startServer). */
export function buildApp(ctx: ServerContext, options: ServeOptions): FastifyInstance {
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimitBytes ?? 8 * 1024 * 1024,
    requestTimeout: timeoutMs + 1000,
    // Requests that reach an open connection while closing are still answered: shutdown drops no request.
    return503OnClosing: false,
    genReqId: requestIds(),
    // Bodies are validated as sent: no type coercion, unknown keys are errors rather than dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  installBookkeeping(app, { metrics: ctx.metrics, log: ctx.log, logRequests: options.logRequests !== false, timeoutMs });
  // Only JSON and CSV bodies are accepted; anything else is a 415.
  app.removeContentTypeParser("text/plain");
  // MLflow's CSV scoring form becomes the equivalent dataframe_split body, so it meets the same schema.
  app.addContentTypeParser("text/csv", { parseAs: "string" }, (request, body, done) => {
    if (request.routeOptions.url !== "/invocations") return done(new MlfError("unsupported_media_type", "Only /invocations accepts text/csv; send application/json."), undefined);
    try {
      const frame = parseCsv(body as string);
      done(null, { dataframe_split: { columns: frame.columns, data: frame.rows } });
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  registerAdminRoutes(app, ctx);
  registerInvocationRoutes(app, ctx);
  registerFeatureRoutes(app, ctx);
  registerPredictRoutes(app, ctx);
  registerRoutingRoutes(app, ctx);
  registerExplainRoutes(app, ctx);
  return app;
}

/**
 * Request ids `req-<boot>-<n>`: a counter, as fastify's own, behind a random prefix drawn when
 * the server starts, so an id names one request across restarts too (feedback quoting an id
 * from before a restart must not reach the restarted server's request of the same number).
 */
function requestIds(): () => string {
  const boot = randomBytes(4).readUInt32BE().toString(36);
  let n = 0;
  return () => `req-${boot}-${(++n).toString(36)}`;
}

/** Loads the models, then listens. A model that fails to load is reported by /ready and /models, not thrown. */
export async function startServer(options: ServeOptions = {}): Promise<Server> {
  const log = options.log ?? (() => {});
  const pool = new ModelPool(options.models ?? [], log);
  const features = options.features;
  const featureLog = options.featureLog && new FeatureLogger({ ...options.featureLog, definitions: () => features?.definitions(), log });
  const drift = options.drift && new DriftGauge(pool, options.drift, log);
  const metricSources = [...(featureLog ? [featureLog] : []), ...(drift ? [drift] : [])];
  const routing = openRouting(options, pool, log);
  const ctx: ServerContext = { pool, features, metrics: new RequestMetrics(), processMetrics: new ProcessMetrics(), log, ...(routing && { routing }), ...(featureLog && { featureLog }), metricSources };
  const app = buildApp(ctx, options);
  await pool.refresh();
  routing?.start();
  const host = options.host ?? "127.0.0.1";
  try {
    await app.listen({ host, port: options.port ?? 8000 });
  } catch (error) {
    await pool.close();
    await routing?.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new MlfError("unavailable", `Port ${options.port ?? 8000} on ${host} is in use; pass another --port.`);
    throw error;
  }
  ctx.processMetrics.start();
  featureLog?.start();
  drift?.start();
  const pollSeconds = options.pollSeconds ?? 5;
  pool.startPolling(pollSeconds);
  // Registry changes from `mlf apply` / `mlf materialize` are picked up on the same beat.
  const featureTimer = features && pollSeconds > 0 ? setInterval(() => void features.reload().catch((e: Error) => log({ level: "error", msg: "feature registry reload failed", error: e.message })), pollSeconds * 1000).unref() : undefined;
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 8000);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log({ level: "info", msg: "listening", url, models: pool.status().map((m) => `${m.name}@${m.version ?? "unloaded"}`) });
  let closing: Promise<void> | undefined;
  return {
    app, pool, routing, ...(featureLog && { featureLog }), ...(drift && { drift }), host, port, url,
    close: () =>
      (closing ??= (async () => {
        clearInterval(featureTimer);
        await drift?.close();
        // Keep-alive connections become idle as their last answers are written: close them as
        // they do, so close() does not wait out the keep-alive timeout.
        const idle = setInterval(() => app.server.closeIdleConnections(), 20);
        await app.close().finally(() => clearInterval(idle));
        // Shadow scorings still running log their predictions: wait for them first.
        await routing?.close();
        // Every answered request has been logged by now: the last flush writes them all.
        await featureLog?.close();
        ctx.processMetrics.stop();
        await pool.close();
        await options.features?.close();
      })()),
  };
}

function openRouting(options: ServeOptions, pool: ModelPool, log: Log): Routing | undefined {
  if (!options.routes?.length) return undefined;
  if (!options.routingState) throw new MlfError("usage", "Routes keep their state in a file; run mlf serve inside a feature repository (data/routing.db) or pass --routing-db FILE.");
  const state = new RoutingState(options.routingState);
  try {
    return new Routing(options.routes, pool, state, log, options.clock);
  } catch (error) {
    state.close();
    throw error;
  }
}
