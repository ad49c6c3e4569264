import type { FastifyInstance } from "fastify";
import type { MlflowContext } from "../mlflow/context.js";
import { buildMlflowApp, listen, mlflowContext, type MlflowServer } from "../mlflow/server.js";
import type { Repo } from "../repo/repo.js";
import type { LogSink } from "../util/internal-error.js";
import { version } from "../version.js";
import { registerUiApi } from "./api.js";
import { defaultAssetsDir, registerAssets, requireAssets } from "./assets.js";
import { registerWriteGuard, type WriteMode } from "./guard.js";

/**
 * `mlf ui`: the web page for runs, models and features. One HTTP stack: the page is served by
 * the same fastify app as MLflow's REST API (src/mlflow), reads runs, experiments and the
 * registry through MLflow's routes in MLflow's shapes, and the rest through /ui-api
 * (src/ui/api.ts). `mlf server` serves the same page (see registerUi).
 */

export interface UiOptions {
  /** `page`: aliases and stages may be changed from the page; `none`: read-only; `all`: every MLflow write (mlf server). */
  writes: WriteMode;
  /** The feature repository whose catalogue and feature logs the page shows, if any (see openRepo). */
  repo?: Repo;
  authToken?: string;
  /** The built app (default: dist/ui of this installation). */
  assetsDir?: string;
}

/** Adds the page, its API and the write guard to an MLflow app. */
export function registerUi(app: FastifyInstance, ctx: MlflowContext, options: UiOptions): void {
  registerWriteGuard(app, options.writes);
  registerUiApi(app, ctx, {
    info: {
      version,
      allowWrites: options.writes !== "none",
      repo: options.repo ? { root: options.repo.root, project: options.repo.config.project } : null,
    },
    ...(options.repo && { repo: options.repo }),
    ...(options.authToken !== undefined && { authToken: options.authToken }),
  });
  registerAssets(app, options.assetsDir ?? defaultAssetsDir());
}

export interface UiServerOptions extends Omit<UiOptions, "writes"> {
  /** The tracking folder (runs and the model registry). */
  root: string;
  host?: string;
  /** Default 5000, as MLflow's UI; 0 picks a free port. */
  port?: number;
  /** Accept alias and stage changes from the page (default: read-only). */
  allowWrites?: boolean;
  /** The run index's cache folder (default: the user's cache dir). */
  cacheDir?: string;
  log?: LogSink;
}

/**
 * Serves the page over a tracking folder, loopback unless told otherwise. Unlike `mlf
 * server` it writes nothing to the store on start (no default experiment is created): a
 * read-only viewer of a store MLflow or a colleague wrote leaves it byte for byte.
 */
export async function startUiServer(options: UiServerOptions): Promise<MlflowServer> {
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  requireAssets(assetsDir);
  const ctx = mlflowContext({ root: options.root, ...(options.cacheDir !== undefined && { cacheDir: options.cacheDir }) });
  const app = buildMlflowApp(ctx, {
    ...(options.authToken !== undefined && { authToken: options.authToken }),
    ...(options.log !== undefined && { log: options.log }),
  });
  registerUi(app, ctx, { ...options, assetsDir, writes: options.allowWrites ? "page" : "none" });
  return listen(app, options.host ?? "127.0.0.1", options.port ?? 5000);
}
