import type { FastifyInstance, FastifyRequest } from "fastify";
import { API_PREFIXES } from "../mlflow/server.js";
import { MlflowApiError } from "../mlflow/errors.js";

/**
 * What the page may change. `mlf ui` is read-only unless started with --allow-writes, and
 * then accepts only the registry changes the page offers (aliases and stages), each through
 * MLflow's route, which calls the same library function as `mlf registry alias|promote` and
 * so writes the same audit log. `mlf server` keeps every MLflow write open (its clients log
 * through it); the page adds nothing its REST API does not already allow.
 */
export type WriteMode = "none" | "page" | "all";

/** MLflow routes that are reads although sent as POST (search bodies can be long). */
const POST_READS = new Set(["/runs/search", "/experiments/search", "/registered-models/search", "/model-versions/search", "/registered-models/get-latest-versions"]);
/** The page's writes: set and remove an alias, move a version to a stage. */
const PAGE_WRITES = new Set(["POST /registered-models/alias", "DELETE /registered-models/alias", "POST /model-versions/transition-stage"]);

/** The MLflow path of an API request (`/runs/search`), or undefined for other routes. */
function mlflowPath(url: string): string | undefined {
  const path = url.split("?")[0]!;
  for (const prefix of API_PREFIXES) {
    if (path.startsWith(`${prefix}/mlflow/`)) return path.slice(prefix.length + "/mlflow".length);
    if (path.startsWith(`${prefix}/mlflow-artifacts/`)) return path.slice(prefix.length);
  }
  return undefined;
}

/**
 * A browser sends Origin (and Sec-Fetch-Site) with a cross-site request; another web page
 * must not make the user's browser change the store, token or not (a token cookie is
 * SameSite=Strict, but a server without a token has no cookie to withhold). MLflow's own
 * clients send neither header.
 */
function crossSite(request: FastifyRequest): boolean {
  if (request.headers["sec-fetch-site"] === "cross-site") return true;
  const origin = request.headers.origin;
  if (origin === undefined || origin === "null") return origin === "null";
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

export function registerWriteGuard(app: FastifyInstance, mode: WriteMode): void {
  app.addHook("onRequest", async (request) => {
    const path = mlflowPath(request.url);
    if (path === undefined || request.method === "GET" || request.method === "HEAD" || (request.method === "POST" && POST_READS.has(path))) return;
    if (crossSite(request)) throw new MlflowApiError("PERMISSION_DENIED", "A cross-site request cannot change the store; use the page served by this server.", "usage");
    if (mode === "all" || (mode === "page" && PAGE_WRITES.has(`${request.method} ${path}`))) return;
    throw new MlflowApiError(
      "PERMISSION_DENIED",
      mode === "page"
        ? `mlf ui changes only aliases and stages (${request.method} ${path} is not one of them); log runs through mlf server.`
        : "mlf ui is read-only; start it with --allow-writes to change aliases and stages from the page.",
      "usage",
    );
  });
}
