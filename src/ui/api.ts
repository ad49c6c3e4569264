import { createReadStream, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { FastifyInstance } from "fastify";
import { MlfError } from "../errors.js";
import { runArtifactFolder, type MlflowContext } from "../mlflow/context.js";
import { MlflowApiError } from "../mlflow/errors.js";
import { runInfoJson } from "../mlflow/json.js";
import { optString, optStrings, parseMessage, reqString } from "../mlflow/request.js";
import { sameSecret, TOKEN_COOKIE } from "../mlflow/server.js";
import { describeVersion } from "../models/catalogue.js";
import { readEvents } from "../models/events.js";
import { checkModelName, parseVersion } from "../models/names.js";
import { readModel } from "../models/store.js";
import { repoLogDir } from "../repo/feature-logs.js";
import { appliedRegistry, type Repo } from "../repo/repo.js";
import { compareRuns } from "../tracking/compare.js";
import { checkArtifactPath } from "../tracking/names.js";
import { getRun } from "../tracking/read.js";
import { parseSince } from "../util/time.js";
import { featureCatalogue } from "./catalogue.js";
import { driftVersions, readableReference } from "./drift.js";
import type { PipelineView, UiInfo, VersionView } from "./types.js";

/**
 * The UI's own JSON API, for what MLflow's REST API has no endpoint for: run comparison
 * (the same `compareRuns` as `mlf track compare`), a model's audit log and a version's
 * lineage (as `mlf registry history|show`), the feature repository's catalogue, drift
 * reports (as `mlf monitor drift --model`), pipelines and their runs (as `mlf pipeline
 * list|history`), and MLflow's `/get-artifact` download route (its
 * UI's, not part of the REST API). All reads.
 */

export interface UiApiOptions {
  info: Omit<UiInfo, "trackingDir">;
  /** The feature repository, when the server has one. */
  repo?: Repo;
  authToken?: string;
}

const MAX_COMPARE = 20;
/** Runs per pipeline on its page. */
const PIPELINE_RUNS = 20;

export function registerUiApi(app: FastifyInstance, ctx: MlflowContext, options: UiApiOptions): void {
  const info: UiInfo = { ...options.info, trackingDir: ctx.root };
  const message = (request: { query: unknown }) => parseMessage(request.query, undefined);

  app.get("/ui-api/info", async () => info);

  app.get("/ui-api/compare", async (request) => {
    const ids = [...new Set(optStrings(message(request), "run_id"))];
    if (ids.length < 2 || ids.length > MAX_COMPARE) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Compare takes 2 to ${MAX_COMPARE} runs (run_id=...&run_id=...); got ${ids.length}.`);
    const runs = ids.map((id) => getRun(ctx.root, id));
    return { runs: runs.map((r) => runInfoJson(r.info)), ...compareRuns(runs) };
  });

  app.get("/ui-api/models/:name/events", async (request) => {
    const name = checkModelName((request.params as { name: string }).name);
    readModel(ctx.root, name);
    return { events: readEvents(ctx.root, name) };
  });

  app.get("/ui-api/models/:name/versions/:version", async (request) => {
    const { name, version } = request.params as { name: string; version: string };
    const detail = describeVersion(ctx.root, `${checkModelName(name)}/${parseVersion(version, name)}`);
    const reference = readableReference(ctx.root, detail)?.record ?? null;
    return { ...detail, reference } satisfies VersionView;
  });

  app.get("/ui-api/features", async () => {
    if (!options.repo) throw new MlfError("not_found", "This server has no feature repository; start mlf ui inside one or pass -C <repo>.");
    return featureCatalogue(appliedRegistry(options.repo), ctx.root);
  });

  // `mlf pipeline list` and `history`: the triggers are not checked (that reads every input
  // file and may run a drift test); `mlf pipeline status` does that.
  app.get("/ui-api/pipelines", async () => {
    const defs = options.repo ? appliedRegistry(options.repo).definitions : undefined;
    const [{ pipelineRuns }, { currentChampion }] = await Promise.all([import("../pipeline/history.js"), import("../pipeline/steps.js")]);
    const pipelines = (defs?.pipelines ?? []).map((pipeline): PipelineView => {
      const { history } = pipelineRuns(ctx.root, pipeline);
      return { pipeline, champion: currentChampion(ctx.root, pipeline), runs: history.slice(0, PIPELINE_RUNS), total: history.length };
    });
    return { pipelines };
  });

  const logDir = options.repo && repoLogDir(options.repo.root, options.repo.config);
  app.get("/ui-api/drift", async () => ({ versions: driftVersions(ctx.root, logDir) }));

  // `mlf monitor drift --model NAME/N --since ...`: the version's reference against its feature logs. Reads only.
  app.get("/ui-api/drift/report", async (request) => {
    const m = message(request);
    const since = optString(m, "since");
    const repo = options.repo;
    if (!repo) throw new MlfError("not_found", "This server has no feature repository, so no feature logs to check; start mlf ui inside one or pass -C <repo>.");
    const { monitorDrift } = await import("../monitor/model-drift.js");
    return monitorDrift({
      model: reqString(m, "model"), trackingDir: ctx.root, repoRoot: repo.root, cwd: repo.root, offline: repo.config.offlineStore, logDir: logDir!,
      ...(since && { since: parseSince(since) }),
    });
  });

  // MLflow's UI downloads a run's artifact from this route (mlflow/server/handlers.py get_artifact_handler).
  app.get("/get-artifact", async (request, reply) => {
    const m = message(request);
    const run = getRun(ctx.root, optString(m, "run_id") || reqString(m, "run_uuid"));
    const path = checkArtifactPath(reqString(m, "path"));
    const file = join(runArtifactFolder(ctx, run.info), path);
    const stats = statSync(file, { throwIfNoEntry: false });
    if (!stats?.isFile()) throw new MlfError("not_found", `Run ${run.info.runId} has no artifact file "${path}"; list its artifacts with GET /api/2.0/mlflow/artifacts/list.`);
    return reply
      .type("application/octet-stream")
      .header("content-length", stats.size)
      .header("content-disposition", `attachment; filename="${basename(file).replace(/["\\\r\n]/g, "_")}"`)
      .header("x-content-type-options", "nosniff")
      .send(createReadStream(file));
  });

  // Sign-in: a browser cannot add an Authorization header to page loads, so the token the
  // user types becomes an HttpOnly cookie the server accepts in its place (SameSite=Strict:
  // never sent with a request another site starts).
  app.post("/ui-api/session", { config: { public: true } }, async (request, reply) => {
    const token = optString(parseMessage({}, request.body), "token") ?? "";
    if (options.authToken === undefined) return {};
    if (!sameSecret(token, options.authToken)) throw new MlflowApiError("UNAUTHENTICATED", "That is not this server's token; copy it from where mlf ui was started (--auth-token or $MLF_AUTH_TOKEN).", "usage");
    void reply.header("set-cookie", `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`);
    return {};
  });
}
