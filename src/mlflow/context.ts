import { isAbsolute, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { MlfError } from "../errors.js";
import type { OrderBy, SearchKey } from "../tracking/filter.js";
import { checkArtifactPath } from "../tracking/names.js";
import type { Message } from "./request.js";

/** What every MLflow route needs: the store and where proxied artifacts live. */
export interface MlflowContext {
  /** The tracking folder shared with `mlf track` and `mlf registry`. */
  root: string;
  /** Whether run artifact URIs are `mlflow-artifacts:/...` (uploaded through this server) or local `file://` folders. */
  serveArtifacts: boolean;
  /** The folder behind `mlflow-artifacts:/`: by default the tracking folder, so artifacts sit in each run's own folder. */
  artifactsDestination: string;
  /** The run index's cache folder (default: the user's cache dir). */
  cacheDir?: string;
}

/** One MLflow endpoint: the method, the path after `/api/2.0/mlflow`, and the handler of its request message. */
export interface Route {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  handle(message: Message, ctx: MlflowContext): unknown;
}

export const PROXY_SCHEME = "mlflow-artifacts:";

/** MLflow's artifact location of a new experiment on this server. */
export const experimentArtifactRoot = (ctx: MlflowContext) => (experimentId: string) => (ctx.serveArtifacts ? `${PROXY_SCHEME}/${experimentId}` : undefined);

/**
 * The local file of a proxied artifact path (`<exp>/<run>/artifacts/...` below the
 * destination). Paths that are absolute or would leave the destination are refused; when
 * the destination is the tracking folder itself, only run and logged-model artifact folders can be reached,
 * so an upload can never overwrite a meta.yaml or a param.
 */
export function proxiedPath(ctx: MlflowContext, path: string): string {
  // As MLflow's validate_path_is_safe: no ".." part at all, even one that stays inside.
  if (path.split(/[/\\]/).includes("..")) throw new MlfError("invalid_argument", `The artifact path "${path}" contains ".."; use a path relative to the artifact root without "..".`);
  const clean = checkArtifactPath(path);
  if (ctx.artifactsDestination === ctx.root && clean !== "" && !/^[A-Za-z0-9_-]+\/(models\/)?[A-Za-z0-9_-]+\/artifacts(\/|$)/.test(clean)) {
    throw new MlfError("invalid_argument", `The artifact path "${path}" is not inside a run's or a logged model's artifacts (<experiment_id>/<run_id>/artifacts/..., <experiment_id>/models/<model_id>/artifacts/...); upload through its artifact_uri.`);
  }
  return join(ctx.artifactsDestination, clean);
}

/** The local folder of an artifact URI (`mlflow-artifacts:/...`, `file://...` or a path), or undefined when it is elsewhere. */
export function localArtifactDir(ctx: MlflowContext, uri: string): string | undefined {
  if (uri.startsWith(PROXY_SCHEME)) {
    const path = uri.slice(PROXY_SCHEME.length).replace(/^\/+/, "");
    const local = join(ctx.artifactsDestination, checkArtifactPath(path === "" ? "." : path));
    return relative(ctx.artifactsDestination, local).startsWith("..") ? undefined : local;
  }
  try {
    if (uri.startsWith("file:")) return fileURLToPath(uri);
  } catch {
    return undefined;
  }
  return isAbsolute(uri) ? uri : undefined;
}

/**
 * The local folder of a run's artifacts: the proxy's folder for `mlflow-artifacts:/` URIs,
 * else the tracking reader's (which falls back to the run's own artifacts/ folder for a store
 * copied from another machine, whose `file://` URIs name folders that are not here).
 */
export function runArtifactFolder(ctx: MlflowContext, info: { artifactUri: string; artifactDir: string }): string {
  return (info.artifactUri.startsWith(PROXY_SCHEME) && localArtifactDir(ctx, info.artifactUri)) || info.artifactDir;
}

type Value = string | number | undefined;

/** Orders by MLflow order_by clauses (missing values last), then by `tiebreak`. */
export function sortBy<T>(items: T[], orderBy: OrderBy[], valueOf: (item: T, key: SearchKey) => Value, tiebreak: (a: T, b: T) => number): T[] {
  return [...items].sort((a, b) => {
    for (const o of orderBy) {
      const x = valueOf(a, o.key);
      const y = valueOf(b, o.key);
      if (x === undefined || y === undefined) {
        if (x !== y) return x === undefined ? 1 : -1;
        continue;
      }
      if (x < y) return o.ascending ? -1 : 1;
      if (x > y) return o.ascending ? 1 : -1;
    }
    return tiebreak(a, b);
  });
}
