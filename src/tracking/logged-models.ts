import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import { latestMetric, listMetricKeys, parseMetricFile, readKeyValues } from "./files.js";
import { metaNumber, metaString, readMeta } from "./meta.js";
import { artifactDirOf, experimentDir, experimentFolders, subdirs } from "./read.js";
import type { Metric } from "./types.js";

/**
 * MLflow 3's logged models, in MLflow's file-store layout: `<experiment>/models/<model_id>/`
 * holds `meta.yaml` (MLflow's keys: artifact_location, creation_timestamp, experiment_id,
 * last_updated_timestamp, lifecycle_stage, model_id, model_type, name, source_run_id, status
 * as MLflow's integer, status_message), `params/<key>`, `tags/<key>`, `metrics/<key>` (lines
 * `<ts> <value> <step> <run_id> [<dataset_name> <dataset_digest>]`) and, where mlf puts the
 * artifacts of a store it serves, `artifacts/`. A model folder is built under a temp name and
 * renamed into place, so readers never see one without its meta.yaml; meta.yaml changes are
 * read-modify-writes under its lock; params are immutable (created exclusively).
 */

export const loggedModelStatuses = ["UNSPECIFIED", "PENDING", "READY", "FAILED"] as const;
/** MLflow's LoggedModelStatus; meta.yaml stores its index (PENDING is 1, READY 2). */
export type LoggedModelStatus = (typeof loggedModelStatuses)[number];

export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  /** Where the model's artifacts are, as recorded (`<experiment artifact location>/models/<id>/artifacts`). */
  artifactLocation: string;
  /** The local folder of the artifacts: the location when it is a local path that exists, else `<model folder>/artifacts`. */
  artifactDir: string;
  /** Epoch ms. */
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  modelType: string | null;
  sourceRunId: string | null;
  status: LoggedModelStatus;
  statusMessage: string | null;
  lifecycleStage: "active" | "deleted";
  tags: Record<string, string>;
  params: Record<string, string>;
  /** The latest point of each metric per dataset (MLflow's grouping), each with the run that logged it. */
  metrics: Metric[];
}

const MODEL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A model id names a folder: letters, digits, `-`, `_` only, so it never escapes the store. */
export function checkLoggedModelId(modelId: string): string {
  if (!MODEL_ID.test(modelId)) throw new MlfError("invalid_argument", `"${modelId}" is not a logged model id; ids look like m-0123456789abcdef0123456789abcdef.`);
  return modelId;
}

export const modelsFolder = (root: string, experimentId: string) => join(experimentDir(root, experimentId), "models");

/** The folder of a logged model, searched in every experiment (deleted ones too); not_found when there is none. */
export function locateLoggedModel(root: string, modelId: string): string {
  checkLoggedModelId(modelId);
  for (const { dir } of experimentFolders(root)) {
    const folder = join(dir, "models", modelId);
    if (existsSync(join(folder, "meta.yaml"))) return folder;
  }
  throw new MlfError("not_found", `Model '${modelId}' not found`);
}

function statusOf(value: unknown): LoggedModelStatus {
  if (typeof value === "number") return loggedModelStatuses[value] ?? "UNSPECIFIED";
  // Earlier MLflow 3 versions wrote the name.
  const name = String(value ?? "").replace(/^LoggedModelStatus\./, "");
  return (loggedModelStatuses as readonly string[]).includes(name) ? (name as LoggedModelStatus) : "UNSPECIFIED";
}

/** The latest point of each metric per (dataset name, digest), as MLflow's file store reports a model's metrics. */
function modelMetrics(dir: string): Metric[] {
  const out: Metric[] = [];
  const warnings: string[] = [];
  for (const key of listMetricKeys(join(dir, "metrics"))) {
    const file = join(dir, "metrics", key);
    const groups = new Map<string, Metric[]>();
    for (const p of parseMetricFile(readFileSync(file, "utf8"), key, file, warnings, "model")) {
      const g = `${p.dataset?.name ?? ""}\u0000${p.dataset?.digest ?? ""}`;
      groups.set(g, [...(groups.get(g) ?? []), p]);
    }
    for (const points of groups.values()) out.push(latestMetric(points)!);
  }
  return out;
}

/** Reads the model in `dir` (deleted or not). */
function readLoggedModelAt(dir: string): LoggedModel {
  const meta = readMeta(join(dir, "meta.yaml"));
  if (!meta) throw new MlfError("not_found", `Model '${dir}' not found`);
  const location = metaString(meta.artifact_location);
  const str = (v: unknown) => (v === null || v === undefined || v === "" ? null : String(v));
  return {
    modelId: metaString(meta.model_id),
    experimentId: metaString(meta.experiment_id),
    name: metaString(meta.name),
    artifactLocation: location,
    artifactDir: artifactDirOf(location, dir),
    creationTimestamp: metaNumber(meta.creation_timestamp) ?? 0,
    lastUpdatedTimestamp: metaNumber(meta.last_updated_timestamp) ?? 0,
    modelType: str(meta.model_type),
    sourceRunId: str(meta.source_run_id),
    status: statusOf(meta.status),
    statusMessage: str(meta.status_message),
    lifecycleStage: meta.lifecycle_stage === "deleted" ? "deleted" : "active",
    tags: readKeyValues(join(dir, "tags")),
    params: readKeyValues(join(dir, "params")),
    metrics: modelMetrics(dir),
  };
}

/** The folder of a live logged model; unknown and deleted ones are MLflow's not_found. */
export function liveModelDir(root: string, modelId: string): string {
  const dir = locateLoggedModel(root, modelId);
  if (readMeta(join(dir, "meta.yaml"))?.lifecycle_stage === "deleted") throw new MlfError("not_found", `Model '${modelId}' not found`);
  return dir;
}

/** A live logged model; unknown and deleted ones are MLflow's not_found. */
export function getLoggedModel(root: string, modelId: string): LoggedModel {
  return readLoggedModelAt(liveModelDir(root, modelId));
}

/** The live logged models of one experiment, in folder order (search sorts them). */
export function listLoggedModels(root: string, experimentId: string): LoggedModel[] {
  const folder = modelsFolder(root, experimentId);
  return subdirs(folder)
    .filter((id) => MODEL_ID.test(id) && existsSync(join(folder, id, "meta.yaml")))
    .map((id) => readLoggedModelAt(join(folder, id)))
    .filter((m) => m.lifecycleStage === "active" && m.experimentId === experimentId);
}
