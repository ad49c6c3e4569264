import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { MlfError } from "../errors.js";
import { appendLine, createExclusive, tempPathFor, writeFileAtomic } from "../util/fs.js";
import { withLockSync } from "../util/lock.js";
import { artifactBase } from "./experiments.js";
import { metricLine } from "./files.js";
import { getLoggedModel, liveModelDir, locateLoggedModel, loggedModelStatuses, modelsFolder, type LoggedModel, type LoggedModelStatus } from "./logged-models.js";
import { readMeta, writeMeta } from "./meta.js";
import { checkKey, checkParams, checkTags } from "./names.js";
import { listExperiments } from "./read.js";
import type { Metric } from "./types.js";

/**
 * Writers of MLflow 3's logged models (layout in logged-models.ts). A model folder is built
 * under a temp name and renamed into place, so readers never see one without its meta.yaml;
 * meta.yaml changes are read-modify-writes under its lock; params are created exclusively
 * (immutable); metric lines are O_APPEND writes.
 */

export interface CreateLoggedModelOptions {
  experimentId: string;
  /** Default: a random name, as MLflow gives one. */
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  params?: Record<string, string>;
  tags?: Record<string, string>;
}

/** MLflow's rule for logged model names (they become parts of URIs and paths). */
function checkLoggedModelName(name: string): void {
  const bad = ["/", ":", ".", "%", '"', "'"];
  if (name === "" || bad.some((c) => name.includes(c)) || name.length > 500) {
    throw new MlfError("invalid_argument", `Invalid model name ('${name}') provided. Model name must be a non-empty string of at most 500 characters and cannot contain the following characters: ${bad.join(" ")}`);
  }
}

/** Creates a PENDING logged model in an active experiment; its artifacts go below the experiment's artifact location. */
export function createLoggedModel(root: string, options: CreateLoggedModelOptions): LoggedModel {
  const name = options.name || `${randomUUID().slice(0, 8)}-model`;
  checkLoggedModelName(name);
  checkParams(options.params ?? {});
  checkTags(options.tags ?? {});
  const experiment = listExperiments(root, { includeDeleted: true }).find((e) => e.experimentId === options.experimentId);
  if (!experiment) throw new MlfError("not_found", `Could not create model under experiment with ID ${options.experimentId} - no such experiment exists.`);
  if (experiment.lifecycleStage !== "active") throw new MlfError("invalid_argument", `Could not create model under non-active experiment with ID ${options.experimentId}.`);
  const modelId = `m-${randomUUID().replaceAll("-", "")}`;
  const folder = join(modelsFolder(root, experiment.experimentId), modelId);
  const now = Date.now();
  const tmp = tempPathFor(folder);
  try {
    for (const sub of ["metrics", "params", "tags"]) mkdirSync(join(tmp, sub), { recursive: true });
    for (const [k, v] of Object.entries(options.params ?? {})) writeFileAtomic(join(tmp, "params", k), v);
    for (const [k, v] of Object.entries(options.tags ?? {})) writeFileAtomic(join(tmp, "tags", k), v);
    writeMeta(join(tmp, "meta.yaml"), {
      artifact_location: `${artifactBase(root, experiment)}/models/${modelId}/artifacts`, creation_timestamp: now, experiment_id: experiment.experimentId,
      last_updated_timestamp: now, lifecycle_stage: "active", model_id: modelId, model_type: options.modelType ?? null, name,
      source_run_id: options.sourceRunId ?? null, status: loggedModelStatuses.indexOf("PENDING"), status_message: null,
    });
    renameSync(tmp, folder);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return getLoggedModel(root, modelId);
}

/** Read-modify-write of a live model's meta.yaml under its lock; bumps last_updated_timestamp. */
function updateModelMeta(root: string, modelId: string, change: (meta: Record<string, unknown>) => Record<string, unknown>): void {
  const file = join(locateLoggedModel(root, modelId), "meta.yaml");
  withLockSync(file, () => {
    const meta = readMeta(file)!;
    if (meta.lifecycle_stage === "deleted") throw new MlfError("not_found", `Model '${modelId}' not found`);
    writeMeta(file, { ...change(meta), last_updated_timestamp: Date.now() });
  });
}

/** Sets a model's final status (READY, or FAILED when its artifacts could not be uploaded). */
export function finalizeLoggedModel(root: string, modelId: string, status: LoggedModelStatus): LoggedModel {
  if (status !== "READY" && status !== "FAILED") throw new MlfError("invalid_argument", `A logged model is finalized as READY or FAILED, not ${status}.`);
  updateModelMeta(root, modelId, (m) => ({ ...m, status: loggedModelStatuses.indexOf(status) }));
  return getLoggedModel(root, modelId);
}

/** Soft-deletes a model (`lifecycle_stage: deleted`; files kept, as MLflow's file store does). */
export function deleteLoggedModel(root: string, modelId: string): void {
  updateModelMeta(root, modelId, (m) => ({ ...m, lifecycle_stage: "deleted" }));
}

export function setLoggedModelTags(root: string, modelId: string, tags: Record<string, string>): void {
  checkTags(tags);
  const dir = liveModelDir(root, modelId);
  for (const [k, v] of Object.entries(tags)) writeFileAtomic(join(dir, "tags", k), v);
}

export function deleteLoggedModelTag(root: string, modelId: string, key: string): void {
  checkKey("tag", key);
  const dir = liveModelDir(root, modelId);
  const file = join(dir, "tags", key);
  if (!existsSync(file)) throw new MlfError("not_found", `No tag with key '${key}' found for model with ID '${modelId}'.`);
  rmSync(file);
}

/** Logs params; like a run's they are immutable: the same value again is a no-op, another one a conflict. */
export function logLoggedModelParams(root: string, modelId: string, params: Record<string, string>): void {
  checkParams(params);
  const dir = liveModelDir(root, modelId);
  for (const [k, v] of Object.entries(params)) {
    const existing = createExclusive(join(dir, "params", k), v);
    if (existing !== undefined && existing !== v) {
      throw new MlfError("conflict", `Param "${k}" of model ${modelId} is already "${existing}" and params are immutable; log the new value under another name.`);
    }
  }
}

/**
 * Appends a run's metric points to the metric files of the logged models they are linked to
 * (model id -> key -> points). Every model is checked before anything is written.
 */
export function appendModelMetrics(root: string, runId: string, byModel: Map<string, Map<string, Metric[]>>): void {
  const dirs = [...byModel.keys()].map((modelId) => liveModelDir(root, modelId));
  [...byModel.values()].forEach((byKey, i) => {
    for (const [key, points] of byKey) {
      const file = join(dirs[i]!, "metrics", key);
      mkdirSync(dirname(file), { recursive: true });
      appendLine(file, `${points.map((p) => metricLine(p, runId)).join("\n")}\n`);
    }
  });
}
