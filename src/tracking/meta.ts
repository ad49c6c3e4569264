import { parse, stringify } from "yaml";
import { MlfError } from "../errors.js";
import { readFileIfExists, writeFileAtomic } from "../util/fs.js";
import type { Experiment, RunStatus } from "./types.js";

/** MLflow's integer encoding of run statuses in meta.yaml. */
export const statusCodes: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const statusByCode = new Map(Object.entries(statusCodes).map(([k, v]) => [v, k as RunStatus]));

export function statusFromCode(value: unknown): RunStatus {
  if (typeof value === "string" && value in statusCodes) return value as RunStatus;
  const status = statusByCode.get(Number(value));
  if (!status) throw new Error(`unknown status ${String(value)}`);
  return status;
}

/** The keys MLflow 2.x writes in a run's meta.yaml (sorted, as PyYAML's safe_dump does). */
export interface RunMetaFile {
  artifact_uri: string;
  end_time: number | null;
  entry_point_name: string;
  experiment_id: string;
  lifecycle_stage: string;
  run_id: string;
  run_name: string;
  run_uuid: string;
  source_name: string;
  source_type: number;
  source_version: string;
  start_time: number | null;
  status: number;
  tags: never[];
  user_id: string;
}

export interface ExperimentMetaFile {
  artifact_location: string;
  creation_time: number;
  experiment_id: string;
  last_update_time: number;
  lifecycle_stage: string;
  name: string;
}

/** Reads a meta.yaml into a plain object; undefined when the file is missing. */
export function readMeta(path: string): Record<string, unknown> | undefined {
  const text = readFileIfExists(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new MlfError("invalid_data", `${path} is not valid YAML (${(error as Error).message.split("\n")[0]}); restore it from a copy or remove the folder.`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new MlfError("invalid_data", `${path} is not a meta.yaml mapping; restore it from a copy or remove the folder.`);
  }
  return value as Record<string, unknown>;
}

/** meta.yaml text: keys sorted and strings quoted like PyYAML's safe_dump (MLflow's write_yaml). */
export function renderMeta(meta: RunMetaFile | ExperimentMetaFile | Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.entries(meta).sort(([a], [b]) => (a < b ? -1 : 1)));
  return stringify(sorted, { singleQuote: true, lineWidth: 0 });
}

/** Writes meta.yaml atomically (temp + rename). */
export function writeMeta(path: string, meta: RunMetaFile | ExperimentMetaFile | Record<string, unknown>): void {
  writeFileAtomic(path, renderMeta(meta));
}

const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
const num = (v: unknown) => (v === null || v === undefined || v === "" || !Number.isFinite(Number(v)) ? null : Number(v));

export function experimentFromMeta(meta: Record<string, unknown>, folderId: string, tags: Record<string, string> = {}): Experiment {
  return {
    experimentId: str(meta.experiment_id ?? folderId),
    name: str(meta.name),
    artifactLocation: str(meta.artifact_location),
    lifecycleStage: meta.lifecycle_stage === "deleted" ? "deleted" : "active",
    creationTime: num(meta.creation_time),
    lastUpdateTime: num(meta.last_update_time),
    tags,
  };
}

export { num as metaNumber, str as metaString };
