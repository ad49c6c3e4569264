import { timingSafeEqual } from "node:crypto";
import { resolve } from "node:path";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { MlfError } from "../errors.js";
import { ensureDefaultExperiment } from "../tracking/experiments.js";
import { logInternalError, type LogSink } from "../util/internal-error.js";
import { version } from "../version.js";
import { experimentArtifactRoot, type MlflowContext, type Route } from "./context.js";
import { MlflowApiError, mlflowError } from "./errors.js";
import { parseMessage } from "./request.js";
import { registerArtifactRoutes } from "./routes/artifacts.js";
import { experimentRoutes } from "./routes/experiments.js";
import { loggedModelRoutes } from "./routes/logged-models.js";
import { registryRoutes } from "./routes/registry.js";
import { runIoRoutes } from "./routes/run-io.js";
import { runRoutes } from "./routes/runs.js";

/**
 * `mlf server`: MLflow's tracking server REST API 2.0 over mlf's tracking store, so MLflow
 * clients (`mlflow.set_tracking_uri("http://host:5000")`) log, register and load through mlf,
 * and what they write is at once visible to `mlf track` and `mlf registry` (the same files,
 * the same writers, the same locks). Routes answer under `/api/2.0/mlflow/...` and
 * `/ajax-api/2.0/mlflow/...` as MLflow's server does; errors are MLflow's envelope.
 */

export interface MlflowServerOptions {
  /** The tracking folder (absolute or relative to the working directory). */
  root: string;
  /** Interface to bind; loopback unless told otherwise. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 5000, as MLflow. */
  port?: number;
  /** Proxy artifacts (`mlflow-artifacts:/` run URIs, uploads through the server). Default true, as MLflow 2+. */
  serveArtifacts?: boolean;
  /** Where proxied artifacts are stored; default the tracking folder (each run's own artifacts/ folder). */
  artifactsDestination?: string;
  /** When set, every request needs `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Largest JSON request body in bytes. Default 8 MiB. */
  bodyLimitBytes?: number;
  /** Largest artifact upload in bytes. Default 5 GiB. */
  artifactLimitBytes?: number;
  /** The run index's cache folder (default: the user's cache dir). */
  cacheDir?: string;
  /** Receives failures (5xx answers) as records; an internal error's record has its message and stack. */
  log?: LogSink;
  /** Adds routes to the app before it listens (mlf's web UI, src/ui). */
  extend?: (app: FastifyInstance, ctx: MlflowContext) => void;
}

export interface MlflowServer {
  app: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

export const API_PREFIXES = ["/api/2.0", "/ajax-api/2.0"];

/** The cookie a browser presents the token in (page loads cannot carry an Authorization header); the UI's sign-in sets it. */
export const TOKEN_COOKIE = "mlf_token";

/** Compares in constant time. */
export function sameSecret(got: string, want: string): boolean {
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether a request presents the token: `Authorization: Bearer <token>`, or the token cookie. */
function checkToken(expected: string) {
  return (request: FastifyRequest) => {
    if (sameSecret(request.headers.authorization ?? "", `Bearer ${expected}`)) return true;
    const cookie = (request.headers.cookie ?? "").split(";").map((c) => c.trim()).find((c) => c.startsWith(`${TOKEN_COOKIE}=`));
    return cookie !== undefined && sameSecret(decodeURIComponent(cookie.slice(TOKEN_COOKIE.length + 1)), expected);
  };
}

/** The fastify app with every MLflow route; listens nowhere (see startMlflowServer). */
export function buildMlflowApp(ctx: MlflowContext, options: Omit<MlflowServerOptions, "root">): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? 8 * 1024 * 1024;
  const app = Fastify({ logger: false, bodyLimit, requestIdHeader: "x-request-id", return503OnClosing: false });
  const authorized = options.authToken ? checkToken(options.authToken) : undefined;
  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
    // Routes marked public (the UI's page and scripts, which hold no data) need no token.
    const open = (request.routeOptions.config as { public?: boolean } | undefined)?.public === true;
    if (authorized && !open && !authorized(request)) {
      throw new MlflowApiError("UNAUTHENTICATED", "This server needs a token: send Authorization: Bearer <token> (MLFLOW_TRACKING_TOKEN for MLflow clients).", "usage");
    }
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, body, internal } = mlflowError(error, request.id);
    if (internal && options.log) logInternalError(options.log, error, request);
    else if (status >= 500) options.log?.({ level: "error", msg: "request failed", request_id: request.id, method: request.method, url: request.url, status, error: body.message });
    void reply.code(status).type("application/json").send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error_code: "ENDPOINT_NOT_FOUND", message: `No endpoint ${request.method} ${request.url.split("?")[0]}; see MLflow's REST API 2.0 reference.` });
  });
  // MLflow reads JSON bodies whatever their content type (curl's default included).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));

  const routes: Route[] = [...experimentRoutes, ...runRoutes, ...runIoRoutes, ...loggedModelRoutes, ...registryRoutes];
  for (const prefix of API_PREFIXES) {
    for (const route of routes) {
      app.route({ method: route.method, url: `${prefix}/mlflow${route.path}`, handler: async (request) => route.handle({ ...parseMessage(request.query, request.body), ...(request.params as Record<string, string>) }, ctx) });
    }
  }
  registerArtifactRoutes(app, ctx, API_PREFIXES, options.artifactLimitBytes ?? 5 * 1024 ** 3);
  app.get("/health", async () => "OK");
  app.get("/version", async () => version);
  return app;
}

/** The routes' context of a server over `options.root` (paths made absolute). */
export function mlflowContext(options: Pick<MlflowServerOptions, "root" | "serveArtifacts" | "artifactsDestination" | "cacheDir">): MlflowContext {
  const root = resolve(options.root);
  return {
    root,
    serveArtifacts: options.serveArtifacts ?? true,
    artifactsDestination: resolve(options.artifactsDestination ?? root),
    ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
  };
}

/** Opens the store (creating experiment "0" when new), then listens. */
export async function startMlflowServer(options: MlflowServerOptions): Promise<MlflowServer> {
  const ctx = mlflowContext(options);
  const rootFor = experimentArtifactRoot(ctx);
  ensureDefaultExperiment(ctx.root, ctx.serveArtifacts ? (id) => rootFor(id)! : undefined);
  const app = buildMlflowApp(ctx, options);
  options.extend?.(app, ctx);
  return listen(app, options.host ?? "127.0.0.1", options.port ?? 5000);
}

/** Listens on host:port (0 = a free port); a port in use is a clear error. Close ends idle keep-alive connections too. */
export async function listen(app: FastifyInstance, host: string, port: number): Promise<MlflowServer> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new MlfError("unavailable", `Port ${port} on ${host} is in use; pass another --port.`);
    throw error;
  }
  const address = app.server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  return {
    app, port: bound,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    close: async () => {
      const idle = setInterval(() => app.server.closeIdleConnections(), 20);
      await app.close().finally(() => clearInterval(idle));
    },
  };
}
