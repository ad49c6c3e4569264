import { DELETED_STAGE } from "../models/names.js";
import type { ModelVersion, RegisteredModel } from "../models/store.js";
import type { LoggedModel } from "../tracking/logged-models.js";
import type { ModelOutput, RunInputs } from "../tracking/run-io.js";
import type { Experiment, Metric, Run, RunInfo } from "../tracking/types.js";

/**
 * MLflow's REST API objects, one serializer per object, shared by `--json` output and the
 * MLflow REST server (src/mlflow/server.ts). Field names, types and presence follow MLflow's
 * protos (mlflow/protos/service.proto, model_registry.proto) as its server writes them with
 * `message_to_json`: snake_case names, int64 times as JSON numbers (epoch ms), enums as their
 * names, a model version's number as a string, and proto2 presence: an unset field and an
 * empty repeated field are left out (a run with no params has no `data.params`). Doubles that
 * JSON cannot hold are written as protobuf's JSON does: "NaN", "Infinity", "-Infinity".
 * Nothing mlf-specific is added to these objects.
 */

export interface KeyValueJson {
  key: string;
  value: string;
}
export interface MetricJson {
  key: string;
  value: number | "NaN" | "Infinity" | "-Infinity";
  timestamp: number;
  step: number;
  /** MLflow 3: the dataset the value was computed on, and, for a logged model's metric, the model and the run that logged it. */
  dataset_name?: string;
  dataset_digest?: string;
  model_id?: string;
  run_id?: string;
}
export interface RunInfoJson {
  run_id: string;
  run_uuid: string;
  run_name?: string;
  experiment_id: string;
  user_id: string;
  status: RunInfo["status"];
  start_time?: number;
  end_time?: number;
  artifact_uri?: string;
  lifecycle_stage: RunInfo["lifecycleStage"];
}
export interface DatasetInputJson {
  tags?: KeyValueJson[];
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
}
export interface RunJson {
  info: RunInfoJson;
  data: { metrics?: MetricJson[]; params?: KeyValueJson[]; tags?: KeyValueJson[] };
  /** MLflow's RunInputs: datasets and logged models the run used. */
  inputs: { dataset_inputs?: DatasetInputJson[]; model_inputs?: { model_id: string }[] };
  /** MLflow 3's RunOutputs: logged models the run produced. */
  outputs: { model_outputs?: { model_id: string; step: number }[] };
}
export interface LoggedModelJson {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    creation_timestamp_ms: number;
    last_updated_timestamp_ms: number;
    artifact_uri: string;
    status: string;
    model_type?: string;
    source_run_id?: string;
    status_message?: string;
    tags?: KeyValueJson[];
  };
  data: { params?: KeyValueJson[]; metrics?: MetricJson[] };
}
export interface ExperimentJson {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: Experiment["lifecycleStage"];
  last_update_time?: number;
  creation_time?: number;
  tags?: KeyValueJson[];
}
export interface ModelVersionJson {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id?: string;
  current_stage: string;
  description: string;
  source: string;
  run_id?: string;
  status: string;
  status_message?: string;
  tags?: KeyValueJson[];
  run_link: string;
  aliases?: string[];
}
export interface RegisteredModelJson {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: ModelVersionJson[];
  tags?: KeyValueJson[];
  aliases?: { alias: string; version: string }[];
}

/** protobuf JSON of a double. */
export function doubleJson(value: number): MetricJson["value"] {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  return value;
}

/** Repeated fields are left out when empty, as protobuf's JSON does. */
function repeated<K extends string, T>(name: K, items: T[]): { [P in K]?: T[] } {
  return (items.length > 0 ? { [name]: items } : {}) as { [P in K]?: T[] };
}

/** `{key: value}` as MLflow's `[{"key","value"}]`, sorted by key so output is stable. */
export function keyValuesJson(values: Record<string, string>): KeyValueJson[] {
  return Object.keys(values).sort().map((key) => ({ key, value: values[key]! }));
}

export function metricJson(m: Metric, modelId?: string): MetricJson {
  return {
    key: m.key, value: doubleJson(m.value), timestamp: m.timestamp, step: m.step,
    ...(m.dataset && { dataset_name: m.dataset.name, dataset_digest: m.dataset.digest }),
    ...(modelId !== undefined && { model_id: modelId }),
    ...(m.runId !== undefined && { run_id: m.runId }),
  };
}

export function runInfoJson(i: RunInfo): RunInfoJson {
  return {
    run_id: i.runId,
    run_uuid: i.runId,
    ...(i.runName !== "" && { run_name: i.runName }),
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    ...(i.startTime !== null && { start_time: i.startTime }),
    ...(i.endTime !== null && { end_time: i.endTime }),
    ...(i.artifactUri !== "" && { artifact_uri: i.artifactUri }),
    lifecycle_stage: i.lifecycleStage,
  };
}

/**
 * MLflow's Run: info, data (latest metrics, params, tags), inputs and outputs (MLflow 3's
 * server always sends both, empty when the run has none).
 */
export function runJson(run: Pick<Run, "info" | "params" | "metrics" | "tags">, io: { inputs?: RunInputs; outputs?: ModelOutput[] } = {}): RunJson {
  const metrics = Object.keys(run.metrics).sort().map((k) => metricJson(run.metrics[k]!));
  const datasets = (io.inputs?.datasetInputs ?? []).map((d): DatasetInputJson => ({
    ...repeated("tags", keyValuesJson(d.tags)),
    dataset: {
      name: d.dataset.name, digest: d.dataset.digest, source_type: d.dataset.sourceType, source: d.dataset.source,
      ...(d.dataset.schema !== undefined && { schema: d.dataset.schema }), ...(d.dataset.profile !== undefined && { profile: d.dataset.profile }),
    },
  }));
  return {
    info: runInfoJson(run.info),
    data: { ...repeated("metrics", metrics), ...repeated("params", keyValuesJson(run.params)), ...repeated("tags", keyValuesJson(run.tags)) },
    inputs: { ...repeated("dataset_inputs", datasets), ...repeated("model_inputs", (io.inputs?.modelInputs ?? []).map((model_id) => ({ model_id }))) },
    outputs: repeated("model_outputs", (io.outputs ?? []).map((o) => ({ model_id: o.modelId, step: o.step }))),
  };
}

/** MLflow's LoggedModelStatus names, as its protobuf JSON writes the enum. */
const loggedModelStatusJson = { UNSPECIFIED: "LOGGED_MODEL_STATUS_UNSPECIFIED", PENDING: "LOGGED_MODEL_PENDING", READY: "LOGGED_MODEL_READY", FAILED: "LOGGED_MODEL_UPLOAD_FAILED" } as const;

/** MLflow 3's LoggedModel: info (with tags) and data (params, and the metrics linked to it). */
export function loggedModelJson(m: LoggedModel): LoggedModelJson {
  return {
    info: {
      model_id: m.modelId, experiment_id: m.experimentId, name: m.name,
      creation_timestamp_ms: m.creationTimestamp, last_updated_timestamp_ms: m.lastUpdatedTimestamp,
      artifact_uri: m.artifactLocation, status: loggedModelStatusJson[m.status],
      ...(m.modelType !== null && { model_type: m.modelType }),
      ...(m.sourceRunId !== null && { source_run_id: m.sourceRunId }),
      ...(m.statusMessage !== null && { status_message: m.statusMessage }),
      ...repeated("tags", keyValuesJson(m.tags)),
    },
    data: { ...repeated("params", keyValuesJson(m.params)), ...repeated("metrics", m.metrics.map((x) => metricJson(x, m.modelId))) },
  };
}

export function experimentJson(e: Experiment): ExperimentJson {
  return {
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    ...(e.lastUpdateTime !== null && { last_update_time: e.lastUpdateTime }),
    ...(e.creationTime !== null && { creation_time: e.creationTime }),
    ...repeated("tags", keyValuesJson(e.tags)),
  };
}

export function modelVersionJson(v: ModelVersion): ModelVersionJson {
  return {
    name: v.name,
    version: String(v.version),
    creation_timestamp: v.creationTimestamp,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    ...(v.userId !== null && { user_id: v.userId }),
    current_stage: v.currentStage,
    description: v.description,
    source: v.source,
    ...(v.runId !== null && { run_id: v.runId }),
    status: v.status,
    ...(v.statusMessage && { status_message: v.statusMessage }),
    ...repeated("tags", keyValuesJson(v.tags)),
    run_link: v.runLink,
    ...repeated("aliases", [...v.aliases].sort()),
  };
}

/**
 * MLflow's latest version per stage (the highest live version in each), as
 * `get-latest-versions` and a registered model's `latest_versions` report them.
 */
export function latestPerStage(versions: ModelVersion[], stages?: string[]): ModelVersion[] {
  const wanted = stages && stages.length > 0 ? new Set(stages.map((s) => s.toLowerCase())) : undefined;
  const latest = new Map<string, ModelVersion>();
  for (const v of versions) {
    if (v.currentStage === DELETED_STAGE || (wanted && !wanted.has(v.currentStage.toLowerCase()))) continue;
    const seen = latest.get(v.currentStage);
    if (!seen || seen.version < v.version) latest.set(v.currentStage, v);
  }
  return [...latest.values()].sort((a, b) => a.version - b.version);
}

/** MLflow's RegisteredModel, with its `latest_versions` computed from `versions`. */
export function registeredModelJson(m: RegisteredModel, versions: ModelVersion[]): RegisteredModelJson {
  const aliases = Object.keys(m.aliases).sort().map((alias) => ({ alias, version: String(m.aliases[alias]) }));
  return {
    name: m.name,
    creation_timestamp: m.creationTimestamp,
    ...(m.lastUpdatedTimestamp && { last_updated_timestamp: m.lastUpdatedTimestamp }),
    ...(m.description && { description: m.description }),
    ...repeated("latest_versions", latestPerStage(versions).map(modelVersionJson)),
    ...repeated("tags", keyValuesJson(m.tags)),
    ...repeated("aliases", aliases),
  };
}
