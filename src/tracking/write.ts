import { cpSync, existsSync, mkdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { randomInt, randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { MlfError } from "../errors.js";
import { appendLine, createExclusive, readFileIfExists, tempPathFor, writeFileAtomic } from "../util/fs.js";
// The tracking API is synchronous, like MLflow's file store (a training loop logs inline), and
// its locked sections are a few small file writes, so it takes the synchronous lock.
import { withLockSync } from "../util/lock.js";
import { metricLine } from "./files.js";
import { artifactBase, getOrCreateExperiment } from "./experiments.js";
import { appendModelMetrics } from "./logged-model-write.js";
import { checkLoggedModelId } from "./logged-models.js";
import { livenessTags } from "./liveness.js";
import { readMeta, statusCodes, writeMeta, type RunMetaFile } from "./meta.js";
import { checkArtifactPath, checkKey, checkParams, checkParamValue, checkTags, checkTagValue, limits } from "./names.js";
import { locateRun, readRunInfo, runDir, type RunRef } from "./read.js";
import type { Metric, RunInfo, RunStatus } from "./types.js";

/**
 * Writers of the tracking store. Every meta.yaml and tag is written atomically (temp +
 * rename); metric points are appended with one O_APPEND write per batch, so concurrent
 * processes never interleave or lose a line; a param is created exclusively (link), so two
 * writers of different values cannot both win. After each write the kind's folder mtime is
 * bumped: that is the change signal the run index checks.
 */

export interface StartRunOptions {
  /** Experiment name or id; created when no experiment has that name. Default: `0` (Default). */
  experiment?: string;
  runName?: string;
  tags?: Record<string, string>;
  params?: Record<string, string>;
  /** Epoch ms; default now. */
  startTime?: number;
  user?: string;
  /** `mlflow.source.name`: the command or script that produced the run. */
  sourceName?: string;
}

export interface MetricPoint {
  key: string;
  value: number;
  /** Epoch ms; default now. */
  timestamp?: number;
  /** Integer; default 0. */
  step?: number;
  /** The dataset the value was computed on (MLflow 3's `dataset_name`, `dataset_digest`). */
  dataset?: { name: string; digest: string };
  /** A logged model the point is a metric of (MLflow 3's `model_id`): it is also written to that model's metrics. */
  modelId?: string;
}

const ref = (root: string, run: string | RunRef): RunRef => (typeof run === "string" ? locateRun(root, run) : run);
const bump = (dir: string) => {
  const now = new Date();
  utimesSync(dir, now, now);
};

function defaultUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

const adjectives = ["brave", "calm", "clever", "eager", "gentle", "honest", "jolly", "kind", "lucky", "merry", "nimble", "proud", "quiet", "rare", "sharp", "swift", "tidy", "vivid", "wise", "zesty"];
const nouns = ["otter", "falcon", "panda", "lynx", "heron", "koala", "moose", "tiger", "whale", "zebra", "bison", "crane", "gecko", "llama", "raven", "seal", "shrew", "trout", "wolf", "yak"];
const randomRunName = () => `${adjectives[randomInt(adjectives.length)]}-${nouns[randomInt(nouns.length)]}-${randomInt(1000)}`;

/**
 * Opens a new RUNNING run. The run folder is built under a dot-name and renamed into place,
 * so readers (mlf or MLflow) never see a run without its meta.yaml.
 */
export function startRun(root: string, options: StartRunOptions = {}): RunInfo {
  const experiment = getOrCreateExperiment(root, options.experiment ?? "0");
  if (experiment.lifecycleStage !== "active") throw new MlfError("invalid_argument", `Experiment "${experiment.name}" (${experiment.experimentId}) is deleted; restore it or start the run in another experiment.`);
  const runName = options.runName ?? randomRunName();
  if (runName.length > limits.runNameLength) throw new MlfError("invalid_argument", `The run name "${runName.slice(0, 40)}..." is longer than ${limits.runNameLength} characters; shorten it.`);
  const tags: Record<string, string> = {
    "mlflow.runName": runName,
    "mlflow.user": options.user ?? defaultUser(),
    "mlflow.source.type": "LOCAL",
    ...(options.sourceName !== undefined && { "mlflow.source.name": options.sourceName }),
    ...options.tags,
  };
  checkTags(tags);
  checkParams(options.params ?? {});
  const runId = randomUUID().replaceAll("-", "");
  const expDir = join(root, experiment.experimentId);
  const tmp = join(expDir, `.tmp-${runId}`);
  const meta: RunMetaFile = {
    artifact_uri: `${artifactBase(root, experiment)}/${runId}/artifacts`,
    end_time: null,
    entry_point_name: "",
    experiment_id: experiment.experimentId,
    lifecycle_stage: "active",
    run_id: runId,
    run_name: runName,
    run_uuid: runId,
    source_name: "",
    source_type: 4,
    source_version: "",
    start_time: options.startTime ?? Date.now(),
    status: statusCodes.RUNNING,
    tags: [],
    user_id: tags["mlflow.user"]!,
  };
  try {
    for (const sub of ["metrics", "params", "tags", "artifacts"]) mkdirSync(join(tmp, sub), { recursive: true });
    for (const [k, v] of Object.entries(tags)) writeFileAtomic(join(tmp, "tags", k), v);
    for (const [k, v] of Object.entries(options.params ?? {})) writeFileAtomic(join(tmp, "params", k), v);
    writeMeta(join(tmp, "meta.yaml"), meta);
    renameSync(tmp, join(expDir, runId));
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return readRunInfo(root, { experimentId: experiment.experimentId, runId })!;
}

function requireRunFolder(root: string, r: RunRef): string {
  const folder = runDir(root, r);
  if (!existsSync(join(folder, "meta.yaml"))) throw new MlfError("not_found", `No run "${r.runId}" in experiment ${r.experimentId} of ${root}; list runs with "mlf track ls".`);
  return folder;
}

/** Logs a param. Params are immutable: the same value again is a no-op, a different one a conflict. */
export function logParam(root: string, run: string | RunRef, key: string, value: string): void {
  checkKey("param", key);
  checkParamValue(key, value);
  const r = ref(root, run);
  const folder = requireRunFolder(root, r);
  const existing = createExclusive(join(folder, "params", key), value);
  if (existing !== undefined && existing !== value) {
    throw new MlfError("conflict", `Param "${key}" of run ${r.runId} is already "${existing}" and params are immutable; log the new value under another name or start a new run.`);
  }
  if (existing === undefined) bump(join(folder, "params"));
}

/**
 * Logs a batch of metric points: one O_APPEND write per metric key, so concurrent writers
 * never interleave lines. Values may be NaN or ±Infinity (MLflow accepts them). Points linked
 * to a logged model are also appended to the model's metrics; one that the run's history
 * already holds is not appended to the run again (MLflow 3's client re-logs a run's metrics
 * with the model's id after `log_model`; its SQL store, the default, keeps them once).
 */
export function logMetrics(root: string, run: string | RunRef, points: MetricPoint[]): void {
  const byKey = new Map<string, Metric[]>();
  const byModel = new Map<string, Map<string, Metric[]>>();
  const now = Date.now();
  const add = (map: Map<string, Metric[]>, m: Metric) => map.set(m.key, [...(map.get(m.key) ?? []), m]);
  for (const p of points) {
    checkKey("metric", p.key);
    const value = p.value;
    if (typeof value !== "number") {
      throw new MlfError("invalid_argument", `The value of metric "${p.key}" is not a number: ${String(p.value)}; pass a number such as 0.93.`);
    }
    const timestamp = p.timestamp ?? now;
    const step = p.step ?? 0;
    if (!Number.isInteger(timestamp) || !Number.isInteger(step)) throw new MlfError("invalid_argument", `Metric "${p.key}" needs an integer timestamp (ms) and step; got ${timestamp} and ${step}.`);
    if (p.dataset && ![p.dataset.name, p.dataset.digest].every((x) => /^\S+$/.test(x))) {
      throw new MlfError("invalid_argument", `Metric "${p.key}" names a dataset "${p.dataset.name}" with digest "${p.dataset.digest}"; both must be non-empty and without spaces.`);
    }
    const m: Metric = { key: p.key, value, timestamp, step, ...(p.dataset && { dataset: p.dataset }) };
    add(byKey, m);
    if (p.modelId !== undefined) {
      const id = checkLoggedModelId(p.modelId);
      if (!byModel.has(id)) byModel.set(id, new Map());
      add(byModel.get(id)!, m);
    }
  }
  if (byKey.size === 0) return;
  const r = ref(root, run);
  const folder = requireRunFolder(root, r);
  // The models first: an unknown model id fails the batch before anything is written.
  appendModelMetrics(root, r.runId, byModel);
  const linked = new Set([...byModel.values()].flatMap((keys) => [...keys.values()].flat()));
  for (const [key, list] of byKey) {
    const file = join(folder, "metrics", key);
    const logged = list.some((m) => linked.has(m)) ? new Set((readFileIfExists(file) ?? "").split("\n")) : undefined;
    const lines = list.map((m) => metricLine(m)).filter((line, i) => !(logged?.has(line) && linked.has(list[i]!)));
    if (lines.length > 0) appendPoints(root, r, file, `${lines.join("\n")}\n`);
  }
  bump(join(folder, "metrics"));
}

function appendPoints(root: string, r: RunRef, file: string, text: string): void {
  try {
    appendLine(file, text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    // First point of a nested key (`a/b`), or a run without a metrics folder yet.
    requireRunFolder(root, r);
    mkdirSync(dirname(file), { recursive: true });
    appendLine(file, text);
  }
}

/** logMetrics of one point. */
export function logMetric(root: string, run: string | RunRef, key: string, value: number, options: { step?: number; timestamp?: number } = {}): void {
  logMetrics(root, run, [{ key, value, ...options }]);
}

/** Sets (or replaces) a tag; `mlflow.runName` also renames the run in meta.yaml, as MLflow does. */
export function setTag(root: string, run: string | RunRef, key: string, value: string): void {
  checkKey("tag", key);
  checkTagValue(key, value);
  const r = ref(root, run);
  const folder = requireRunFolder(root, r);
  writeFileAtomic(join(folder, "tags", key), value);
  bump(join(folder, "tags"));
  if (key === "mlflow.runName") updateRunMeta(root, r, (m) => ({ ...m, run_name: value }));
}

/** Read-modify-write of a run's meta.yaml under its lock, keeping keys mlf does not know. */
export function updateRunMeta(root: string, r: RunRef, change: (meta: Record<string, unknown>) => Record<string, unknown>): void {
  const file = join(runDir(root, r), "meta.yaml");
  withLockSync(file, () => {
    const meta = readMeta(file);
    if (!meta) throw new MlfError("not_found", `No run "${r.runId}" in ${root}; list runs with "mlf track ls".`);
    writeMeta(file, change(meta) as unknown as RunMetaFile);
  });
}

/** Closes a run with a terminal status (default FINISHED) and an end time (epoch ms, default now). */
export function endRun(root: string, run: string | RunRef, options: { status?: RunStatus; endTime?: number } = {}): RunInfo {
  const status = options.status ?? "FINISHED";
  if (!(status in statusCodes) || status === "RUNNING" || status === "SCHEDULED") {
    throw new MlfError("invalid_argument", `"${status}" is not a status a run can end with; use FINISHED, FAILED or KILLED.`);
  }
  const r = ref(root, run);
  updateRunMeta(root, r, (m) => ({ ...m, status: statusCodes[status], end_time: options.endTime ?? Date.now() }));
  return readRunInfo(root, r)!;
}

/** Records the caller as the run's owner (pid, host) and refreshes its heartbeat (see liveness.ts). */
export function heartbeat(root: string, run: string | RunRef, options: { pid?: number; now?: number } = {}): void {
  const r = ref(root, run);
  const folder = requireRunFolder(root, r);
  writeFileAtomic(join(folder, "tags", livenessTags.pid), String(options.pid ?? process.pid));
  writeFileAtomic(join(folder, "tags", livenessTags.host), hostname());
  writeFileAtomic(join(folder, "tags", livenessTags.heartbeat), String(options.now ?? Date.now()));
  bump(join(folder, "tags"));
}

/**
 * Copies a local file or folder into the run's artifacts, under `artifactPath` (a relative
 * folder; names that would leave the artifact folder are refused). Returns the destination.
 */
export function logArtifact(root: string, run: string | RunRef, localPath: string, artifactPath = ""): string {
  const sub = checkArtifactPath(artifactPath === "" ? "." : artifactPath);
  const r = ref(root, run);
  const info = readRunInfo(root, r);
  if (!info) throw new MlfError("not_found", `No run "${r.runId}" in ${root}; list runs with "mlf track ls".`);
  let stats;
  try {
    stats = statSync(localPath);
  } catch {
    throw new MlfError("file_not_found", `Cannot read ${localPath}; pass an existing file or folder to log as an artifact.`);
  }
  const dest = join(info.artifactDir, sub, basename(resolve(localPath)));
  const rel = relative(info.artifactDir, dest);
  if (rel.startsWith("..") || rel === "") throw new MlfError("invalid_argument", `The artifact "${localPath}" would escape the run's artifact folder; pass a file or folder with a name.`);
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  // Copied under a temp name and renamed, so a reader never sees half an artifact.
  cpSync(localPath, tmp, { recursive: stats.isDirectory() });
  if (stats.isDirectory()) rmSync(dest, { recursive: true, force: true });
  renameSync(tmp, dest);
  return dest;
}
