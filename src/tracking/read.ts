import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MlfError } from "../errors.js";
import { latestMetric, listMetricKeys, parseMetricFile, readKeyValues } from "./files.js";
import { runLiveness } from "./liveness.js";
import { experimentFromMeta, metaNumber, metaString, readMeta, statusFromCode } from "./meta.js";
import { checkId, checkKey } from "./names.js";
import type { Experiment, Metric, Run, RunInfo } from "./types.js";

/** MLflow's trash: deleting an experiment moves its folder, runs and all, here; restoring moves it back. */
export const TRASH = ".trash";
/** Folders at the root that are not experiments (MLflow's trash and model registry). */
const NOT_EXPERIMENTS = new Set([TRASH, "models"]);
/** Folders inside an experiment that are not runs (MLflow's RESERVED_EXPERIMENT_FOLDERS). */
const NOT_RUNS = new Set(["tags", "datasets", "traces", "models"]);

/** A run located in the store. RunInfo satisfies it, so a started run can be passed back cheaply. */
export interface RunRef {
  experimentId: string;
  runId: string;
}

/**
 * An experiment's folder: `<root>/<id>`, or `<root>/.trash/<id>` once it is deleted. An id in
 * neither place resolves to the active path (where a new experiment is created).
 */
export function experimentDir(root: string, experimentId: string): string {
  const active = join(root, experimentId);
  if (existsSync(active)) return active;
  const trashed = join(root, TRASH, experimentId);
  return existsSync(trashed) ? trashed : active;
}
export const runDir = (root: string, ref: RunRef) => join(experimentDir(root, ref.experimentId), ref.runId);

/** The sub-folders of `dir` that are not dot-names (temp and trash folders); none when `dir` is missing. */
export function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * Every experiment with a readable meta.yaml, ordered by id (MLflow's `0` first). Deleted ones
 * (in `.trash`, or marked deleted in place by older stores) only on request.
 */
export function listExperiments(root: string, options: { includeDeleted?: boolean } = {}): Experiment[] {
  const out: Experiment[] = [];
  const folders = subdirs(root).filter((id) => !NOT_EXPERIMENTS.has(id)).map((id) => ({ id, dir: join(root, id) }));
  const active = new Set(folders.map((f) => f.id));
  // A trashed folder whose id is also active is shadowed by it (MLflow refuses that restore).
  if (options.includeDeleted) folders.push(...subdirs(join(root, TRASH)).filter((id) => !active.has(id)).map((id) => ({ id, dir: join(root, TRASH, id) })));
  for (const { id, dir } of folders) {
    const meta = readMeta(join(dir, "meta.yaml"));
    if (!meta) continue;
    const experiment = experimentFromMeta(meta, id, readKeyValues(join(dir, "tags")));
    if (dir !== join(root, id)) experiment.lifecycleStage = "deleted";
    if (experiment.lifecycleStage === "active" || options.includeDeleted) out.push(experiment);
  }
  return out.sort((a, b) => a.experimentId.length - b.experimentId.length || (a.experimentId < b.experimentId ? -1 : 1));
}

/** An experiment by id or by name; not_found names the existing ones. */
export function getExperiment(root: string, idOrName: string): Experiment {
  const all = listExperiments(root, { includeDeleted: true });
  const found = all.find((e) => e.experimentId === idOrName) ?? all.find((e) => e.name === idOrName);
  if (!found) {
    const names = all.map((e) => e.name).join(", ") || "none";
    throw new MlfError("not_found", `No experiment "${idOrName}" in ${root} (experiments: ${names}); check the name or create it with "mlf track start -e ${idOrName}".`);
  }
  return found;
}

/** Run folders of an experiment (ids only; a folder is a run once its meta.yaml exists). */
export function listRunIds(root: string, experimentId: string): string[] {
  return subdirs(experimentDir(root, experimentId)).filter((id) => !NOT_RUNS.has(id));
}

/** Every experiment folder, active ones first, then deleted ones (in `.trash`): where a run or logged model is looked for by id alone. */
export function experimentFolders(root: string): { experimentId: string; dir: string }[] {
  const active = subdirs(root).filter((id) => !NOT_EXPERIMENTS.has(id)).map((experimentId) => ({ experimentId, dir: join(root, experimentId) }));
  return [...active, ...subdirs(join(root, TRASH)).map((experimentId) => ({ experimentId, dir: join(root, TRASH, experimentId) }))];
}

/** Finds which experiment holds a run, active ones first, then deleted ones; not_found when none does. */
export function locateRun(root: string, runId: string): RunRef {
  checkId("run", runId);
  const found = experimentFolders(root).find(({ dir }) => existsSync(join(dir, runId, "meta.yaml")));
  if (found) return { experimentId: found.experimentId, runId };
  throw new MlfError("not_found", `No run "${runId}" in ${root}; list runs with "mlf track ls" (or pass --tracking-dir).`);
}

/** Resolves an artifact URI to a local folder; URIs of another machine fall back to `<folder>/artifacts` (a run's or a logged model's own). */
export function artifactDirOf(uri: string, folder: string): string {
  let path: string | undefined;
  try {
    if (uri.startsWith("file:")) path = fileURLToPath(uri);
    else if (isAbsolute(uri)) path = uri;
  } catch {
    path = undefined;
  }
  return path !== undefined && existsSync(path) ? path : join(folder, "artifacts");
}

/** The run's meta.yaml as a RunInfo; undefined when the folder has no meta.yaml (not yet, or not a run). */
export function readRunInfo(root: string, ref: RunRef): RunInfo | undefined {
  const folder = runDir(root, ref);
  const file = join(folder, "meta.yaml");
  const meta = readMeta(file);
  if (!meta) return undefined;
  let status;
  try {
    status = statusFromCode(meta.status);
  } catch {
    throw new MlfError("invalid_data", `${file} has an unknown status ${String(meta.status)}; set it to 1 (RUNNING), 3, 4 or 5.`);
  }
  const artifactUri = metaString(meta.artifact_uri);
  return {
    runId: metaString(meta.run_id ?? meta.run_uuid ?? ref.runId),
    runName: metaString(meta.run_name),
    experimentId: metaString(meta.experiment_id ?? ref.experimentId),
    userId: metaString(meta.user_id),
    status,
    startTime: metaNumber(meta.start_time),
    endTime: metaNumber(meta.end_time),
    lifecycleStage: meta.lifecycle_stage === "deleted" ? "deleted" : "active",
    artifactUri,
    artifactDir: artifactDirOf(artifactUri, folder),
  };
}

/** Reads one run completely, the way MLflow's file store does (every param, tag and metric file). */
export function readRun(root: string, ref: RunRef, warnings: string[] = [], now = Date.now()): Run | undefined {
  const info = readRunInfo(root, ref);
  if (!info) return undefined;
  const folder = runDir(root, ref);
  const params = readKeyValues(join(folder, "params"));
  const tags = readKeyValues(join(folder, "tags"));
  const metrics: Record<string, Metric> = {};
  for (const key of listMetricKeys(join(folder, "metrics"))) {
    const file = join(folder, "metrics", key);
    const latest = latestMetric(parseMetricFile(readFileSync(file, "utf8"), key, file, warnings));
    // The latest value only, without its dataset: the run index keeps no more (get-history has it all).
    if (latest) metrics[key] = { key, value: latest.value, timestamp: latest.timestamp, step: latest.step };
  }
  // MLflow keeps the run name in both places; a rename through the API only updates the tag.
  if (tags["mlflow.runName"] !== undefined) info.runName = tags["mlflow.runName"];
  return { info, params, metrics, tags, liveness: runLiveness(info.status, tags, now) };
}

/** A run by id with everything MLflow records, plus non-fatal read warnings (torn metric lines). */
export function getRun(root: string, run: string | RunRef): Run & { warnings: string[] } {
  const ref = typeof run === "string" ? locateRun(root, run) : run;
  const warnings: string[] = [];
  const found = readRun(root, ref, warnings);
  if (!found) throw new MlfError("not_found", `No run "${ref.runId}" in experiment ${ref.experimentId} of ${root}; list runs with "mlf track ls".`);
  return { ...found, warnings };
}

/** Every point of one metric in file order (oldest write first), plus warnings. */
export function getMetricHistory(root: string, run: string | RunRef, key: string): { metrics: Metric[]; warnings: string[] } {
  checkKey("metric", key);
  const ref = typeof run === "string" ? locateRun(root, run) : run;
  const file = join(runDir(root, ref), "metrics", key);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    const known = listMetricKeys(join(runDir(root, ref), "metrics")).join(", ") || "none";
    throw new MlfError("not_found", `Run ${ref.runId} has no metric "${key}" (metrics: ${known}); check the name.`);
  }
  const warnings: string[] = [];
  return { metrics: parseMetricFile(text, key, file, warnings), warnings };
}

/** mtime (ms) of a path, or -1 when it does not exist: the cheap change signal the run index uses. */
export function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}
