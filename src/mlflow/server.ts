import { timingSafeEqual } from "node:crypto";
import { resolve } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { MlfError } from "../errors.js";
import { ensureDefaultExperiment } from "../tracking/write.js";
import { logInternalError, type LogSink } from "../util/internal-error.js";
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
}

export interface MlflowServer {
  app: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

export const API_PREFIXES = ["/api/2.0", "/ajax-api/2.0"];

function checkToken(expected: string) {
  const want = Buffer.from(`Bearer ${expected}`);
  return (header: string | undefined) => {
    const got = Buffer.from(header ?? "");
    return got.length === want.length && timingSafeEqual(got, want);
  };
}

/** The fastify app with every MLflow route; listens nowhere (see startMlflowServer). */
export function buildMlflowApp(ctx: MlflowContext, options: Omit<MlflowServerOptions, "root">): FastifyInstance {
  const bodyLimit = options.bodyLimitBytes ?? 8 * 1024 * 1024;
  const app = Fastify({ logger: false, bodyLimit, requestIdHeader: "x-request-id", return503OnClosing: false });
  const authorized = options.authToken ? checkToken(options.authToken) : undefined;
  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
    if (authorized && !authorized(request.headers.authorization)) {
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
  app.get("/version", async () => process.env.npm_package_version ?? "0.1.0");
  return app;
}

/** Opens the store (creating experiment "0" when new), then listens. */
export async function startMlflowServer(options: MlflowServerOptions): Promise<MlflowServer> {
  const root = resolve(options.root);
  const serveArtifacts = options.serveArtifacts ?? true;
  const ctx: MlflowContext = {
    root,
    serveArtifacts,
    artifactsDestination: resolve(options.artifactsDestination ?? root),
    ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }),
  };
  const rootFor = experimentArtifactRoot(ctx);
  ensureDefaultExperiment(root, serveArtifacts ? (id) => rootFor(id)! : undefined);
  const app = buildMlflowApp(ctx, options);
  const host = options.host ?? "127.0.0.1";
  try {
    await app.listen({ host, port: options.port ?? 5000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") throw new MlfError("unavailable", `Port ${options.port ?? 5000} on ${host} is in use; pass another --port.`);
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 5000);
  return {
    app, port,
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    close: async () => {
      const idle = setInterval(() => app.server.closeIdleConnections(), 20);
      await app.close().finally(() => clearInterval(idle));
    },
  };
}
