import { existsSync, mkdirSync, renameSync, rmSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
// Synchronous, like the rest of the tracking API (see write.ts).
import { withLockSync } from "../util/lock.js";
import { readMeta, statusCodes, writeMeta, type ExperimentMetaFile } from "./meta.js";
import { checkExperimentName, checkKey, checkTagValue, limits } from "./names.js";
import { experimentDir, getExperiment, listExperiments, listRunIds, locateRun, readRunInfo, runDir, TRASH, type RunRef } from "./read.js";
import type { Experiment, RunInfo, RunStatus } from "./types.js";
import { setTag, updateRunMeta } from "./write.js";

/**
 * The rest of MLflow's tracking verbs (what its REST API offers beyond logging): run updates,
 * soft delete and restore of runs and experiments, renames, tag deletion and experiment tags.
 * Deletion is MLflow's soft delete: a run gets `lifecycle_stage: deleted` in its meta.yaml, an
 * experiment also moves into `.trash` (files kept, as MLflow's file store does). Every meta.yaml
 * change is a read-modify-write under that file's lock.
 */

const ref = (root: string, run: string | RunRef): RunRef => (typeof run === "string" ? locateRun(root, run) : run);
const bump = (dir: string) => {
  const now = new Date();
  utimesSync(dir, now, now);
};

export interface RunUpdate {
  status?: RunStatus;
  /** Epoch ms. */
  endTime?: number | null;
  runName?: string;
}

/** MLflow's update_run: status, end time and name (a rename also sets the `mlflow.runName` tag). */
export function updateRun(root: string, run: string | RunRef, update: RunUpdate): RunInfo {
  const r = ref(root, run);
  if (update.status !== undefined && !(update.status in statusCodes)) {
    throw new MlfError("invalid_argument", `"${update.status}" is not a run status; use RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.`);
  }
  if (update.runName !== undefined && update.runName.length > limits.runNameLength) {
    throw new MlfError("invalid_argument", `The run name "${update.runName.slice(0, 40)}..." is longer than ${limits.runNameLength} characters; shorten it.`);
  }
  updateRunMeta(root, r, (m) => ({
    ...m,
    ...(update.status !== undefined && { status: statusCodes[update.status] }),
    ...(update.endTime !== undefined && { end_time: update.endTime }),
  }));
  if (update.runName !== undefined && update.runName !== "") setTag(root, r, "mlflow.runName", update.runName);
  return readRunInfo(root, r)!;
}

/** Soft-deletes (`deleted`) or restores (`active`) a run. */
export function setRunLifecycle(root: string, run: string | RunRef, stage: "active" | "deleted"): void {
  const r = ref(root, run);
  updateRunMeta(root, r, (m) => ({ ...m, lifecycle_stage: stage, ...(stage === "deleted" ? { deleted_time: Date.now() } : { deleted_time: null }) }));
}

/** Removes a run tag; not_found when the run has no such tag (MLflow's error). */
export function deleteTag(root: string, run: string | RunRef, key: string): void {
  checkKey("tag", key);
  const r = ref(root, run);
  const file = join(runDir(root, r), "tags", key);
  if (!existsSync(file)) throw new MlfError("not_found", `No tag with name: ${key} in run with id ${r.runId}.`);
  rmSync(file);
  bump(join(runDir(root, r), "tags"));
}

/** Rewrites an experiment's meta.yaml in `dir` (callers hold the store's experiment lock). */
function writeExperimentMeta(dir: string, change: (meta: Record<string, unknown>) => Record<string, unknown>): void {
  const file = join(dir, "meta.yaml");
  writeMeta(file, { ...change(readMeta(file)!), last_update_time: Date.now() } as unknown as ExperimentMetaFile);
}

/** Read-modify-write of an experiment's meta.yaml under the store's experiment lock. */
function updateExperimentMeta(root: string, experimentId: string, change: (meta: Record<string, unknown>) => Record<string, unknown>): Experiment {
  const exp = requireExperimentId(root, experimentId);
  withLockSync(join(root, ".experiments"), () => writeExperimentMeta(join(root, exp.experimentId), change));
  return getExperiment(root, exp.experimentId);
}

/** An experiment by id only (a name never matches): MLflow's REST calls pass ids. */
export function requireExperimentId(root: string, experimentId: string): Experiment {
  const found = listExperiments(root, { includeDeleted: true }).find((e) => e.experimentId === String(experimentId));
  if (!found) throw new MlfError("not_found", `No Experiment with id=${experimentId} exists.`);
  return found;
}

/** Moves every run of an experiment in stage `from` to the other stage (MLflow's experiment delete and restore). */
function setRunsLifecycle(root: string, experimentId: string, from: "active" | "deleted"): void {
  for (const runId of listRunIds(root, experimentId)) {
    const info = readRunInfo(root, { experimentId, runId });
    if (info?.lifecycleStage === from) setRunLifecycle(root, info, from === "active" ? "deleted" : "active");
  }
}

/**
 * Deletes or restores an experiment as MLflow's file store does. Delete marks the experiment's
 * active runs deleted, records `deleted` in its meta.yaml and moves its folder into `.trash`;
 * restore moves it back, records `active` and marks its deleted runs active again. Each step is
 * an atomic write or rename under the experiments lock, and readers find an experiment and its
 * runs in either place, so a crash between steps leaves a readable store that the same call
 * finishes. Experiment `0` cannot be deleted.
 */
export function setExperimentLifecycle(root: string, experimentId: string, stage: "active" | "deleted"): Experiment {
  if (stage === "deleted" && experimentId === "0") throw new MlfError("invalid_argument", "Cannot delete the default experiment '0'. This is an internally reserved experiment.");
  const exp = requireExperimentId(root, experimentId);
  const id = exp.experimentId;
  const active = join(root, id);
  const trashed = join(root, TRASH, id);
  withLockSync(join(root, ".experiments"), () => {
    if (stage === "deleted") {
      if (!existsSync(active)) throw new MlfError("not_found", `Could not find experiment with ID ${id}`);
      if (existsSync(trashed)) throw new MlfError("conflict", `Cannot delete experiment ${id}: ${trashed} already holds a deleted experiment with that id; remove it from the trash first.`);
      setRunsLifecycle(root, id, "active");
      writeExperimentMeta(active, (m) => ({ ...m, lifecycle_stage: "deleted" }));
      mkdirSync(join(root, TRASH), { recursive: true });
      renameSync(active, trashed);
      return;
    }
    if (exp.lifecycleStage !== "deleted") throw new MlfError("not_found", `Could not find deleted experiment with ID ${id}`);
    if (existsSync(trashed)) {
      if (existsSync(active)) throw new MlfError("conflict", `Cannot restore experiment with ID ${id}. An experiment with same ID already exists.`);
      renameSync(trashed, active);
    }
    writeExperimentMeta(active, (m) => ({ ...m, lifecycle_stage: "active" }));
    setRunsLifecycle(root, id, "deleted");
  });
  return getExperiment(root, id);
}

/** Renames an experiment; conflict when another experiment has the name. */
export function renameExperiment(root: string, experimentId: string, newName: string): Experiment {
  checkExperimentName(newName);
  const exp = requireExperimentId(root, experimentId);
  if (exp.lifecycleStage !== "active") throw new MlfError("invalid_argument", `Cannot rename a non-active experiment ${experimentId}.`);
  const taken = listExperiments(root, { includeDeleted: true }).find((e) => e.name === newName && e.experimentId !== exp.experimentId);
  if (taken) throw new MlfError("conflict", `Experiment '${newName}' already exists.`);
  return updateExperimentMeta(root, experimentId, (m) => ({ ...m, name: newName }));
}

/** Sets (value) or deletes (undefined) an experiment tag, `<exp_id>/tags/<key>` as MLflow's file store keeps them. */
export function setExperimentTag(root: string, experimentId: string, key: string, value: string | undefined): void {
  checkKey("tag", key);
  const exp = requireExperimentId(root, experimentId);
  const file = join(experimentDir(root, exp.experimentId), "tags", key);
  if (value === undefined) {
    if (!existsSync(file)) throw new MlfError("not_found", `No tag with name: ${key} in experiment with id ${experimentId}.`);
    rmSync(file);
    return;
  }
  checkTagValue(key, value);
  if (exp.lifecycleStage !== "active") throw new MlfError("invalid_argument", `The experiment ${experimentId} must be in the 'active' state.`);
  writeFileAtomic(file, value);
}
