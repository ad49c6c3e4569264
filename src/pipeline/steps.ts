import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { MlfError } from "../errors.js";
import { appendEvent } from "../models/events.js";
import { setAlias } from "../models/lifecycle.js";
import { loadModel } from "../models/load.js";
import { modelExists, readAliases, type ModelVersion } from "../models/store.js";
import { registerMonitoredModel } from "../monitor/register.js";
import type { Pipeline } from "../repo/pipelines.js";
import type { Repo } from "../repo/repo.js";
import type { Definitions } from "../repo/types.js";
import { OnnxModel } from "../serving/runtime/onnx.js";
import type { FeastLineage } from "../tracking/feast-lineage.js";
import type { RunInfo } from "../tracking/types.js";
import { runTracked } from "../tracking/wrapper.js";
import { logArtifact } from "../tracking/write.js";
import type { Datasets } from "./datasets.js";
import { holdoutFor, modelInputRefs, readHoldout, scoreModel } from "./evaluate.js";
import type { GateDecision } from "./gate.js";

/** What every step knows about the run it belongs to. */
export interface StepContext {
  repo: Repo;
  defs: Definitions;
  pipeline: Pipeline;
  trackingDir: string;
  experimentId: string;
  parent: RunInfo;
  /** The parent run's artifact folder: datasets/, logs/ and the trainer's model/ live here. */
  work: string;
}

/** The champion now: the version the pipeline's alias points at, or null. */
export function currentChampion(trackingDir: string, pipeline: Pipeline): number | null {
  if (!modelExists(trackingDir, pipeline.model)) return null;
  return readAliases(trackingDir, pipeline.model)[pipeline.alias] ?? null;
}

/** The last non-empty line of the train log, to quote in a failure. */
function lastLine(path: string): string {
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const line = text.trimEnd().split("\n").at(-1)?.trim() ?? "";
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

/** The environment a train command gets beside MLF_RUN_ID and MLF_TRACKING_DIR. */
function trainEnv(ctx: StepContext, data: Datasets, modelOutput: string): Record<string, string> {
  return {
    MLF_PIPELINE: ctx.pipeline.name,
    MLF_PARENT_RUN_ID: ctx.parent.runId,
    MLF_REPO: ctx.repo.root,
    MLF_TRAINING_SET: data.train,
    MLF_HOLDOUT_SET: data.holdout,
    MLF_MODEL_OUTPUT: modelOutput,
    MLF_FEATURE_SERVICE: ctx.pipeline.featureService,
    MLF_FEATURES: data.featureColumns.join(","),
    MLF_LABEL: ctx.pipeline.label,
    MLF_TIMESTAMP_COLUMN: ctx.pipeline.timestampColumn,
  };
}

/**
 * Runs the train command as a tracked child run. It reads $MLF_TRAINING_SET (and may read
 * $MLF_HOLDOUT_SET), writes an ONNX model to $MLF_MODEL_OUTPUT, and may log params and
 * metrics to $MLF_RUN_ID; `${MLF_...}` in its arguments is replaced by those values. Its
 * output goes to logs/train.log of the pipeline run. The model folder then moves into the
 * train run's artifacts as `model/`, where registration takes it from.
 */
export async function trainStep(ctx: StepContext, data: Datasets, lineage: FeastLineage, tags: Record<string, string>): Promise<RunInfo> {
  const modelOutput = join(ctx.work, "model", "model.onnx");
  mkdirSync(dirname(modelOutput), { recursive: true });
  mkdirSync(join(ctx.work, "logs"), { recursive: true });
  const log = join(ctx.work, "logs", "train.log");
  const env = trainEnv(ctx, data, modelOutput);
  const command = ctx.pipeline.command.map((arg) => arg.replace(/\$\{(MLF_[A-Z_]+)\}/g, (whole, key: string) => env[key] ?? whole));
  const fd = openSync(log, "a");
  let result;
  try {
    result = await runTracked(ctx.trackingDir, {
      command,
      experiment: ctx.experimentId,
      runName: "train",
      cwd: ctx.repo.root,
      env: { ...process.env, ...env },
      inputs: [data.train, data.holdout],
      outputFd: fd,
      lineage,
      ...(ctx.pipeline.timeoutSeconds > 0 && { timeoutMs: ctx.pipeline.timeoutSeconds * 1000 }),
      tags,
    });
  } finally {
    closeSync(fd);
  }
  const tail = lastLine(log);
  const said = tail ? `: ${tail}` : "";
  if (result.timedOut) throw new MlfError("runtime", `the train command ran longer than its timeout of ${ctx.pipeline.timeoutSeconds} s and was stopped`);
  if (result.signal !== null || result.status === "KILLED") throw new MlfError("runtime", `the train command was killed by ${result.signal ?? "a signal"}${said}`);
  if (result.warnings.length > 0 && result.exitCode === 127) throw new MlfError("runtime", result.warnings[0]!);
  if (result.exitCode !== 0) throw new MlfError("runtime", `the train command exited with status ${result.exitCode}${said} (see ${log})`);
  if (!existsSync(modelOutput)) throw new MlfError("runtime", `the train command exited 0 but wrote no model to $MLF_MODEL_OUTPUT (${modelOutput})`);
  logArtifact(ctx.trackingDir, result.run, dirname(modelOutput));
  rmSync(dirname(modelOutput), { recursive: true, force: true });
  return result.run;
}

export interface Scores {
  holdoutRows: number;
  challenger: number;
  champion: { version: number; value: number } | null;
}

/** Scores the challenger (the train run's model) and the current champion on the same holdout rows. */
export async function evaluateStep(ctx: StepContext, data: Datasets, trainRun: RunInfo): Promise<Scores> {
  const { repo, defs, pipeline } = ctx;
  const holdout = await readHoldout(repo, data.holdout, data.featureColumns, pipeline.label);
  const challengerFile = join(trainRun.artifactDir, "model", "model.onnx");
  const challenger = await OnnxModel.load(readFileSync(challengerFile), "the challenger");
  let challengerScore;
  try {
    challengerScore = await scoreModel(challenger, modelInputRefs(defs, { service: pipeline.featureService }, "The challenger"), holdout, pipeline.metric, "the challenger");
  } finally {
    await challenger.release();
  }
  const version = currentChampion(ctx.trackingDir, pipeline);
  if (version === null) return { holdoutRows: challengerScore.rows, challenger: challengerScore.value, champion: null };
  const what = `the champion (${pipeline.model} version ${version})`;
  const loaded = await loadModel(ctx.trackingDir, `models:/${pipeline.model}/${version}`);
  const champion = await OnnxModel.fromSession(loaded.session, what);
  try {
    const mlf = loaded.resolved.mlmodel?.mlf;
    const refs = modelInputRefs(defs, { features: mlf?.features ?? null, service: mlf?.featureService ?? null }, what);
    const own = await holdoutFor(repo, holdout, data.entityColumns, refs, pipeline.label, pipeline.timestampColumn, join(ctx.work, "datasets"));
    const score = await scoreModel(champion, refs, own, pipeline.metric, what);
    return { holdoutRows: challengerScore.rows, challenger: challengerScore.value, champion: { version, value: score.value } };
  } finally {
    await champion.release();
  }
}

/**
 * Registers the challenger with its lineage (run, data digests, both scores, the decision) and
 * writes the decision to the model's audit log; only then, and only when the gate passed,
 * moves the alias. A crash before the alias moves leaves the champion where it was.
 */
export async function gateStep(ctx: StepContext, data: Datasets, trainRun: RunInfo, scores: Scores, decision: GateDecision, onRegistered: (version: ModelVersion) => void): Promise<{ version: ModelVersion; previous: number | null }> {
  const { pipeline, trackingDir } = ctx;
  const metric = pipeline.metric;
  // The training set is the version's drift reference: what on_drift and `mlf monitor drift` compare with.
  const version = await registerMonitoredModel(trackingDir, pipeline.model, {
    reference: data.train,
    offline: ctx.repo.config.offlineStore,
    runId: trainRun.runId,
    artifactPath: "model",
    service: pipeline.featureService,
    definitions: ctx.defs,
    description: `pipeline ${pipeline.name}: ${metric} ${scores.challenger.toFixed(4)}${scores.champion ? ` (champion version ${scores.champion.version}: ${scores.champion.value.toFixed(4)})` : ""}`,
    tags: {
      "mlf.pipeline": pipeline.name,
      "mlf.pipeline.run_id": ctx.parent.runId,
      "mlf.pipeline.decision": decision.promote ? "promote" : "reject",
      "mlf.feature_service": pipeline.featureService,
      "mlf.training_set.sha256": data.trainSha256,
      "mlf.holdout_set.sha256": data.holdoutSha256,
      "mlf.metric": metric,
      "mlf.metric.challenger": String(scores.challenger),
      ...(scores.champion && { "mlf.metric.champion": String(scores.champion.value), "mlf.champion_version": String(scores.champion.version) }),
    },
  });
  onRegistered(version);
  appendEvent(trackingDir, {
    action: "pipeline_decision",
    model: pipeline.model,
    version: version.version,
    alias: pipeline.alias,
    before: scores.champion && { version: scores.champion.version, [metric]: scores.champion.value },
    after: {
      decision: decision.promote ? "promote" : "reject",
      [metric]: scores.challenger,
      champion: scores.champion && { version: scores.champion.version, [metric]: scores.champion.value },
      improvement: decision.improvement,
      min_improvement: pipeline.minImprovement,
      pipeline: pipeline.name,
      run_id: ctx.parent.runId,
      reason: decision.reason,
    },
  });
  if (!decision.promote) return { version, previous: scores.champion?.version ?? null };
  // A compare-and-set: the alias moves only if it still points at the champion that was scored.
  const moved = setAlias(trackingDir, pipeline.model, pipeline.alias, version.version, { expected: scores.champion?.version ?? null });
  return { version, previous: moved.previous };
}
