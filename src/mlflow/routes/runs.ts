import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../../errors.js";
import { deleteTag, requireExperimentId, setRunLifecycle, updateRun } from "../../tracking/lifecycle.js";
import { statusCodes } from "../../tracking/meta.js";
import { checkArtifactPath } from "../../tracking/names.js";
import { getMetricHistory, getRun, readRunInfo, locateRun } from "../../tracking/read.js";
import { searchRuns } from "../../tracking/search.js";
import { readRunIo } from "../../tracking/run-io.js";
import type { Metric, Run, RunInfo, RunStatus } from "../../tracking/types.js";
import { logMetrics, logParam, setTag, startRun, type MetricPoint } from "../../tracking/write.js";
import { runArtifactFolder, type MlflowContext, type Route } from "../context.js";
import { MlflowApiError } from "../errors.js";
import { metricJson, runInfoJson, runJson } from "../json.js";
import { keyValues, optInt, optString, optStrings, page, reqDouble, reqString, runIdOf, type Message } from "../request.js";
import { viewFilter } from "./experiments.js";

/** MLflow's run, metric and artifact-listing endpoints (service.proto). */

/** MLflow's Run with its inputs and outputs, as its server answers runs/get, runs/create and runs/search. */
const fullRunJson = (ctx: MlflowContext, run: Run) => runJson(run, readRunIo(ctx.root, run.info));

/** MLflow's limits of one log-batch request (LogBatch in service.proto). */
const BATCH = { metrics: 1000, params: 100, tags: 100, total: 1000 };

function status(m: Message): RunStatus | undefined {
  const s = optString(m, "status");
  if (s === undefined) return undefined;
  if (!(s in statusCodes)) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid value "${s}" for parameter 'status': use RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.`);
  return s as RunStatus;
}

/** A params write: MLflow answers a changed value with INVALID_PARAMETER_VALUE and its own sentence. */
function logParamChecked(root: string, runId: string, key: string, value: string): void {
  try {
    logParam(root, runId, key, value);
  } catch (error) {
    if (!(error instanceof MlfError && error.code === "conflict")) throw error;
    const old = getRun(root, runId).params[key];
    throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old}' for run ID='${runId}'. Attempted logging new value '${value}'.`, "conflict");
  }
}

/** Writes go to RUNNING or finished runs alike, but never to a deleted one (MLflow's rule). */
export function activeRun(root: string, runId: string): RunInfo {
  const info = readRunInfo(root, locateRun(root, runId));
  if (!info) throw new MlfError("not_found", `Run with id=${runId} not found`);
  if (info.lifecycleStage !== "active") throw new MlflowApiError("INVALID_PARAMETER_VALUE", `The run ${runId} must be in the 'active' state. Current state is ${info.lifecycleStage}.`);
  return info;
}

function metricPoints(list: unknown): MetricPoint[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new MlflowApiError("INVALID_PARAMETER_VALUE", "Invalid value for parameter 'metrics': it must be a list of metrics.");
  return (list as Message[]).map((p) => {
    const key = reqString(p, "key");
    const timestamp = optInt(p, "timestamp");
    const step = optInt(p, "step");
    // MLflow 3: the dataset the value was computed on and the logged model it is a metric of.
    const datasetName = optString(p, "dataset_name");
    const datasetDigest = optString(p, "dataset_digest");
    const modelId = optString(p, "model_id");
    return {
      key, value: reqDouble(p, "value"), ...(timestamp !== undefined && { timestamp }), ...(step !== undefined && { step }),
      ...((datasetName || datasetDigest) && { dataset: { name: datasetName ?? "", digest: datasetDigest ?? "" } }), ...(modelId && { modelId }),
    };
  });
}

function logBatch(m: Message, ctx: MlflowContext): object {
  const runId = runIdOf(m);
  const metrics = metricPoints(m.metrics);
  const params = keyValues(m, "params");
  const tags = keyValues(m, "tags");
  const counts = { metrics: metrics.length, params: Object.keys(params).length, tags: Object.keys(tags).length };
  for (const kind of ["metrics", "params", "tags"] as const) {
    if (counts[kind] > BATCH[kind]) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `A batch logging request can contain at most ${BATCH[kind]} ${kind}. Got ${counts[kind]} ${kind}. Please split up ${kind} across multiple requests and try again.`);
  }
  if (counts.metrics + counts.params + counts.tags > BATCH.total) {
    throw new MlflowApiError("INVALID_PARAMETER_VALUE", `A batch logging request can contain at most ${BATCH.total} metrics, params, and tags in total; split it across several requests.`);
  }
  const info = activeRun(ctx.root, runId);
  for (const [k, v] of Object.entries(params)) logParamChecked(ctx.root, runId, k, v);
  for (const [k, v] of Object.entries(tags)) setTag(ctx.root, info, k, v);
  logMetrics(ctx.root, info, metrics);
  return {};
}

function search(m: Message, ctx: MlflowContext): object {
  const inView = viewFilter(m, "run_view_type");
  const experiments = optStrings(m, "experiment_ids");
  // As in MLflow: the experiments searched are the ones named; none named, no runs.
  if (experiments.length === 0) return {};
  for (const id of experiments) requireExperimentId(ctx.root, id);
  const filter = optString(m, "filter");
  const orderBy = optStrings(m, "order_by");
  const { runs } = searchRuns(ctx.root, {
    experiments, includeDeleted: true, ...(filter && { filter }), ...(orderBy.length > 0 && { orderBy }), ...(ctx.cacheDir && { cacheDir: ctx.cacheDir }),
  });
  const { items, next_page_token } = page(m, runs.filter((r) => inView(r.info.lifecycleStage)), { default: 1000, max: 50_000 });
  return { ...(items.length > 0 && { runs: items.map((r) => fullRunJson(ctx, r)) }), ...(next_page_token && { next_page_token }) };
}

/** MLflow's FileInfo list of one artifact folder, paths relative to the run's artifact root. */
function listArtifacts(m: Message, ctx: MlflowContext): object {
  const run = getRun(ctx.root, runIdOf(m));
  const sub = checkArtifactPath(optString(m, "path") || ".");
  const base = runArtifactFolder(ctx, run.info);
  let entries: { name: string; dir: boolean; size: number }[] = [];
  try {
    entries = readdirSync(join(base, sub), { withFileTypes: true })
      .filter((e) => !e.name.startsWith(".") || !e.name.endsWith(".tmp"))
      .map((e) => ({ name: e.name, dir: e.isDirectory(), size: e.isDirectory() ? 0 : statSync(join(base, sub, e.name)).size }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT" && (error as NodeJS.ErrnoException).code !== "ENOTDIR") throw error;
  }
  const files = entries.sort((a, b) => (a.name < b.name ? -1 : 1)).map((e) => ({ path: sub === "" ? e.name : `${sub}/${e.name}`, is_dir: e.dir, ...(!e.dir && { file_size: e.size }) }));
  return { root_uri: run.info.artifactUri, ...(files.length > 0 && { files }) };
}

export const runRoutes: Route[] = [
  {
    method: "POST", path: "/runs/create",
    handle: (m, ctx) => {
      const experimentId = optString(m, "experiment_id") || "0";
      const experiment = requireExperimentId(ctx.root, experimentId);
      if (experiment.lifecycleStage !== "active") throw new MlflowApiError("INVALID_PARAMETER_VALUE", `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`);
      const tags = keyValues(m, "tags");
      const runName = optString(m, "run_name") || tags["mlflow.runName"];
      const user = optString(m, "user_id") || tags["mlflow.user"];
      const startTime = optInt(m, "start_time");
      const info = startRun(ctx.root, { experiment: experiment.experimentId, tags, ...(runName && { runName }), ...(user && { user }), ...(startTime !== undefined && { startTime }) });
      return { run: fullRunJson(ctx, getRun(ctx.root, info)) };
    },
  },
  { method: "GET", path: "/runs/get", handle: (m, ctx) => ({ run: fullRunJson(ctx, getRun(ctx.root, runIdOf(m))) }) },
  {
    method: "POST", path: "/runs/update",
    handle: (m, ctx) => {
      const s = status(m);
      const endTime = optInt(m, "end_time");
      const runName = optString(m, "run_name");
      const info = updateRun(ctx.root, runIdOf(m), { ...(s && { status: s }), ...(endTime !== undefined && { endTime }), ...(runName && { runName }) });
      return { run_info: runInfoJson(getRun(ctx.root, info).info) };
    },
  },
  { method: "POST", path: "/runs/delete", handle: (m, ctx) => (setRunLifecycle(ctx.root, runIdOf(m), "deleted"), {}) },
  { method: "POST", path: "/runs/restore", handle: (m, ctx) => (setRunLifecycle(ctx.root, runIdOf(m), "active"), {}) },
  {
    method: "POST", path: "/runs/log-metric",
    handle: (m, ctx) => logBatch({ run_id: runIdOf(m), metrics: [{ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step, dataset_name: m.dataset_name, dataset_digest: m.dataset_digest, model_id: m.model_id }] }, ctx),
  },
  {
    method: "POST", path: "/runs/log-parameter",
    handle: (m, ctx) => {
      const runId = runIdOf(m);
      activeRun(ctx.root, runId);
      logParamChecked(ctx.root, runId, reqString(m, "key"), optString(m, "value") ?? "");
      return {};
    },
  },
  { method: "POST", path: "/runs/log-batch", handle: logBatch },
  {
    method: "POST", path: "/runs/set-tag",
    handle: (m, ctx) => {
      const info = activeRun(ctx.root, runIdOf(m));
      setTag(ctx.root, info, reqString(m, "key"), optString(m, "value") ?? "");
      return {};
    },
  },
  { method: "POST", path: "/runs/delete-tag", handle: (m, ctx) => (deleteTag(ctx.root, activeRun(ctx.root, runIdOf(m)), reqString(m, "key")), {}) },
  { method: "POST", path: "/runs/search", handle: search },
  { method: "GET", path: "/runs/search", handle: search },
  {
    method: "GET", path: "/metrics/get-history",
    handle: (m, ctx) => {
      const ref = locateRun(ctx.root, runIdOf(m));
      const key = reqString(m, "metric_key");
      let metrics: Metric[] = [];
      try {
        metrics = getMetricHistory(ctx.root, ref, key).metrics;
      } catch (error) {
        // A metric the run never logged has an empty history in MLflow, not an error.
        if (!(error instanceof MlfError && error.code === "not_found")) throw error;
      }
      // Without max_results the whole history comes back in one answer, as MLflow does.
      const { items, next_page_token } = page(m, metrics, { default: Math.max(metrics.length, 1), max: Math.max(metrics.length, 25_000) });
      return { ...(items.length > 0 && { metrics: items.map((x) => metricJson(x)) }), ...(next_page_token && { next_page_token }) };
    },
  },
  { method: "GET", path: "/artifacts/list", handle: listArtifacts },
];
