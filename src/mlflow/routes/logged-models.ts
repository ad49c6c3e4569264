import { parseFilter, type Grammar, type OrderBy, type SearchKey } from "../../tracking/filter.js";
import { requireExperimentId } from "../../tracking/lifecycle.js";
import { createLoggedModel, deleteLoggedModel, deleteLoggedModelTag, finalizeLoggedModel, logLoggedModelParams, setLoggedModelTags } from "../../tracking/logged-model-write.js";
import { getLoggedModel, listLoggedModels, type LoggedModel, type LoggedModelStatus } from "../../tracking/logged-models.js";
import { compareValue } from "../../tracking/search.js";
import { sortBy, type Route } from "../context.js";
import { MlflowApiError } from "../errors.js";
import { loggedModelJson } from "../json.js";
import { keyValues, optBool, optString, optStrings, page, reqString, type Message } from "../request.js";

/** MLflow 3's logged-model endpoints (service.proto: createLoggedModel ... LogLoggedModelParams). */

/** Attributes a logged-model filter or order_by names, with MLflow's aliases. */
const attributeNames: Record<string, string> = {
  name: "name", model_id: "model_id", model_type: "model_type", status: "status", source_run_id: "source_run_id",
  creation_timestamp: "creation_timestamp", creation_time: "creation_timestamp", creation_timestamp_ms: "creation_timestamp",
  last_updated_timestamp: "last_updated_timestamp", last_updated_timestamp_ms: "last_updated_timestamp",
};
const grammar: Grammar = {
  kinds: new Set(["metric", "param", "tag", "attribute"]),
  strings: new Set(["name", "model_id", "model_type", "status", "source_run_id"]),
  numeric: new Set(["creation_timestamp", "creation_time", "creation_timestamp_ms", "last_updated_timestamp", "last_updated_timestamp_ms"]),
  bare: true,
};

/** A dataset restriction: a name, and optionally its digest (MLflow's DatasetFilter). */
type DatasetFilter = { name: string; digest?: string };
const onDatasets = (filters: DatasetFilter[]) => (m: LoggedModel["metrics"][number]) =>
  filters.length === 0 || filters.some((d) => m.dataset?.name === d.name && (d.digest === undefined || m.dataset.digest === d.digest));

function attribute(m: LoggedModel, name: string): string | number | undefined {
  const values: Record<string, string | number | null> = {
    name: m.name, model_id: m.modelId, model_type: m.modelType, status: m.status, source_run_id: m.sourceRunId,
    creation_timestamp: m.creationTimestamp, last_updated_timestamp: m.lastUpdatedTimestamp,
  };
  return values[attributeNames[name] ?? name] ?? undefined;
}

/** The latest value (by timestamp, then step) of a model's metric on the given datasets. */
function latestOn(m: LoggedModel, key: string, datasets: DatasetFilter[]): number | undefined {
  const points = m.metrics.filter((p) => p.key === key && onDatasets(datasets)(p));
  points.sort((a, b) => b.timestamp - a.timestamp || b.step - a.step);
  return points[0]?.value;
}

function datasetFilters(list: unknown, field: string): DatasetFilter[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid value for parameter '${field}': it must be a list of {"dataset_name", "dataset_digest"} objects.`);
  return (list as Message[]).map((d) => {
    const name = optString(d, "dataset_name");
    if (!name) throw new MlflowApiError("INVALID_PARAMETER_VALUE", "`dataset_name` in the `datasets` clause must be specified.");
    const digest = optString(d, "dataset_digest");
    return { name, ...(digest && { digest }) };
  });
}

/**
 * MLflow's search_logged_models: live models of the experiments that match every clause (a
 * metric clause on any of the model's latest values on the given datasets); with datasets and
 * no metric clause, only models with a metric on one of them. Ordered by the order_by fields
 * (attributes or `metrics.<key>`, missing values last), then creation time, newest first, and
 * model id, as MLflow's store does.
 */
function search(m: Message, root: string): object {
  const experiments = optStrings(m, "experiment_ids");
  for (const id of experiments) requireExperimentId(root, id);
  const datasets = datasetFilters(m.datasets, "datasets");
  const clauses = parseFilter(optString(m, "filter"), grammar);
  const order: { key: SearchKey; ascending: boolean; datasets: DatasetFilter[] }[] = ((m.order_by ?? []) as Message[]).map((o) => {
    const field = reqString(o, "field_name");
    const [kind, ...rest] = field.split(".");
    if (rest.length > 0 && kind !== "metrics") throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid order by field name: ${field}. Only metrics are supported.`);
    if (rest.length === 0 && !(field in attributeNames)) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid order by field name: ${field}`);
    const name = optString(o, "dataset_name");
    const digest = optString(o, "dataset_digest");
    const key: SearchKey = rest.length > 0 ? { kind: "metric", name: rest.join(".") } : { kind: "attribute", name: attributeNames[field]! };
    return { key, ascending: optBool(o, "ascending") ?? true, datasets: name ? [{ name, ...(digest && { digest }) }] : [] };
  });
  const hasMetricClause = clauses.some((c) => c.key.kind === "metric");
  const found = experiments.flatMap((id) => listLoggedModels(root, id)).filter((model) =>
    clauses.every((c) => {
      if (c.key.kind === "metric") return model.metrics.some((p) => p.key === c.key.name && onDatasets(datasets)(p) && compareValue(p.value, c));
      if (c.key.kind === "attribute") return compareValue(attribute(model, c.key.name), c);
      return compareValue((c.key.kind === "param" ? model.params : model.tags)[c.key.name], c);
    }) && (hasMetricClause || datasets.length === 0 || model.metrics.some(onDatasets(datasets))));
  const byDataset = new Map(order.map((o) => [o.key, o.datasets]));
  const orderBy: OrderBy[] = order.map(({ key, ascending }) => ({ key, ascending }));
  if (!order.some((o) => o.key.kind === "attribute" && o.key.name === "creation_timestamp")) orderBy.push({ key: { kind: "attribute", name: "creation_timestamp" }, ascending: false });
  const sorted = sortBy(found, orderBy, (model, key) => (key.kind === "metric" ? latestOn(model, key.name, byDataset.get(key) ?? []) : attribute(model, key.name)), (a, b) => (a.modelId < b.modelId ? -1 : 1));
  const { items, next_page_token } = page(m, sorted, { default: 100, max: 50_000 });
  return { ...(items.length > 0 && { models: items.map(loggedModelJson) }), ...(next_page_token && { next_page_token }) };
}

/** protobuf JSON writes the status enum by name (LOGGED_MODEL_READY) or number (2). */
function finalStatus(m: Message): LoggedModelStatus {
  const value = m.status;
  const byName: Record<string, LoggedModelStatus> = { LOGGED_MODEL_READY: "READY", "2": "READY", LOGGED_MODEL_UPLOAD_FAILED: "FAILED", "3": "FAILED" };
  const status = byName[String(value)];
  if (!status) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid value ${JSON.stringify(value)} for parameter 'status': a logged model is finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.`);
  return status;
}

const modelId = (m: Message) => reqString(m, "model_id");

export const loggedModelRoutes: Route[] = [
  {
    method: "POST", path: "/logged-models",
    handle: (m, ctx) => {
      const name = optString(m, "name");
      const modelType = optString(m, "model_type");
      const sourceRunId = optString(m, "source_run_id");
      const model = createLoggedModel(ctx.root, {
        experimentId: reqString(m, "experiment_id"), params: keyValues(m, "params"), tags: keyValues(m, "tags"),
        ...(name && { name }), ...(modelType && { modelType }), ...(sourceRunId && { sourceRunId }),
      });
      return { model: loggedModelJson(model) };
    },
  },
  { method: "POST", path: "/logged-models/search", handle: (m, ctx) => search(m, ctx.root) },
  { method: "GET", path: "/logged-models/:model_id", handle: (m, ctx) => ({ model: loggedModelJson(getLoggedModel(ctx.root, modelId(m))) }) },
  { method: "PATCH", path: "/logged-models/:model_id", handle: (m, ctx) => ({ model: loggedModelJson(finalizeLoggedModel(ctx.root, modelId(m), finalStatus(m))) }) },
  { method: "DELETE", path: "/logged-models/:model_id", handle: (m, ctx) => (deleteLoggedModel(ctx.root, modelId(m)), {}) },
  { method: "PATCH", path: "/logged-models/:model_id/tags", handle: (m, ctx) => (setLoggedModelTags(ctx.root, modelId(m), keyValues(m, "tags")), {}) },
  { method: "DELETE", path: "/logged-models/:model_id/tags/:tag_key", handle: (m, ctx) => (deleteLoggedModelTag(ctx.root, modelId(m), reqString(m, "tag_key")), {}) },
  { method: "POST", path: "/logged-models/:model_id/params", handle: (m, ctx) => (logLoggedModelParams(ctx.root, modelId(m), keyValues(m, "params")), {}) },
];
