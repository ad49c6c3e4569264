import { join } from "node:path";
import type { ModelVersion } from "../models/store.js";
import { pipelineMetrics, type PipelineMetric } from "../repo/pipelines.js";
import { appliedRegistry, type Repo } from "../repo/repo.js";
import { getOrCreateExperiment } from "../tracking/experiments.js";
import { feastLineageTags } from "../tracking/feast-lineage.js";
import { HEARTBEAT_INTERVAL_MS } from "../tracking/liveness.js";
import type { RunInfo } from "../tracking/types.js";
import { endRun, heartbeat, logMetrics, logParam, setTag, startRun } from "../tracking/write.js";
import { writeFileAtomic } from "../util/fs.js";
import { buildDatasets, type Datasets } from "./datasets.js";
import { decide } from "./gate.js";
import { FINGERPRINT_ARTIFACT, pipelineTags, type TriggerResult } from "./history.js";
import { pipelineLineage } from "./lineage.js";
import { withPipelineLock } from "./lock.js";
import { currentChampion, evaluateStep, gateStep, trainStep, type Scores, type StepContext } from "./steps.js";
import { appliedPipeline, checkPipelineTriggers } from "./status.js";

export type StepName = "datasets" | "train" | "evaluate" | "gate";

/** Progress of a run, for a caller that shows it (the library never prints). */
export interface PipelineProgress {
  /** `triggers` ends once they are checked (detail: which fired). */
  step: StepName | "triggers";
  phase: "start" | "end";
  /** For `end`: what the step did, in one line. */
  detail?: string;
  seconds?: number;
  /** For the gate's `registered` moment: the new version, before any alias moves. */
  registered?: ModelVersion;
}

export interface RunPipelineOptions {
  trackingDir: string;
  /** Check the triggers and say what would happen; write nothing. */
  dryRun?: boolean;
  /** Train even when no trigger fired. */
  force?: boolean;
  /** How long to wait for another run of the same pipeline to finish, in ms (default: none). */
  waitMs?: number;
  onProgress?: (event: PipelineProgress) => void;
  /** Epoch ms, for the schedule trigger (default: now). */
  now?: number;
}

/**
 * The outcome of `mlf pipeline run`: `promoted` and `rejected` are the gate's verdicts,
 * `skipped` means no trigger fired, `dry_run` that nothing was done, `failed` that a step
 * failed (the champion untouched, the run FAILED with the reason).
 */
export interface PipelineResult {
  pipeline: string;
  model: string;
  alias: string;
  outcome: "promoted" | "rejected" | "failed" | "skipped" | "dry_run";
  /** One sentence: why this outcome. */
  reason: string;
  /** The parent tracking run, when the pipeline trained. */
  runId: string | null;
  triggers: TriggerResult[];
  forced: boolean;
  /** For a dry run: whether a real run would train. */
  wouldTrain?: boolean;
  failedStep?: StepName;
  metric: PipelineMetric;
  direction: "max" | "min";
  minImprovement: number;
  /** The champion before this run, and its holdout score when it was scored. */
  champion: { version: number; value: number | null } | null;
  challenger?: { version: number | null; value: number; runId: string };
  datasets?: { trainRows: number; holdoutRows: number; scoredRows: number; splitAt: string; trainSha256: string };
  seconds: number;
}

/**
 * `mlf pipeline run NAME`: checks the triggers and, when one fired (or `force`), builds the
 * point-in-time training and holdout sets, runs the train command, scores the challenger and
 * the champion on the same holdout, registers the challenger and moves the alias only when the
 * gate passes. Each step is a child of one parent tracking run. Two runs of one pipeline never
 * train at once (a lock; a dead holder's lock is taken over).
 */
export async function runPipeline(repo: Repo, name: string, options: RunPipelineOptions): Promise<PipelineResult> {
  const started = performance.now();
  const defs = appliedRegistry(repo).definitions;
  const pipeline = appliedPipeline(defs, name);
  const { trackingDir } = options;
  const base = {
    pipeline: name,
    model: pipeline.model,
    alias: pipeline.alias,
    forced: options.force === true,
    metric: pipeline.metric,
    direction: pipelineMetrics[pipeline.metric],
    minImprovement: pipeline.minImprovement,
  };
  const seconds = () => (performance.now() - started) / 1000;
  const now = options.now ?? Date.now();
  const check = () => checkPipelineTriggers(repo, defs, trackingDir, pipeline, now);
  const championNow = () => {
    const version = currentChampion(trackingDir, pipeline);
    return version === null ? null : { version, value: null };
  };

  if (options.dryRun) {
    const { results } = await check();
    const wouldTrain = options.force === true || results.some((t) => t.fired);
    const reason = wouldTrain ? (results.some((t) => t.fired) ? "a trigger fired; a run would train a challenger" : "forced; a run would train a challenger") : "no trigger fired; a run would do nothing";
    return { ...base, outcome: "dry_run", reason, runId: null, triggers: results, wouldTrain, champion: championNow(), seconds: seconds() };
  }

  const experiment = getOrCreateExperiment(trackingDir, pipeline.experiment);
  return withPipelineLock(join(trackingDir, experiment.experimentId, `pipeline-${name}`), name, options.waitMs ?? 0, async () => {
    const { results, fingerprint } = await check();
    options.onProgress?.({ step: "triggers", phase: "end", detail: results.map((t) => `${t.trigger} ${t.fired ? "fired" : "did not fire"}: ${t.reason}`).join("; ") || "none configured" });
    if (!options.force && !results.some((t) => t.fired)) {
      return { ...base, outcome: "skipped", reason: "no trigger fired; nothing to do", runId: null, triggers: results, champion: championNow(), seconds: seconds() };
    }
    const parent = startRun(trackingDir, {
      experiment: experiment.experimentId,
      runName: name,
      sourceName: `mlf pipeline run ${name}`,
      params: { model: pipeline.model, feature_service: pipeline.featureService, metric: pipeline.metric, min_improvement: String(pipeline.minImprovement), holdout_seconds: String(pipeline.holdoutSeconds), alias: pipeline.alias },
      tags: { [pipelineTags.pipeline]: name, [pipelineTags.triggers]: JSON.stringify(results), [pipelineTags.forced]: String(options.force === true), ...feastLineageTags(pipelineLineage(repo, defs, pipeline)) },
    });
    writeFileAtomic(join(parent.artifactDir, FINGERPRINT_ARTIFACT), `${JSON.stringify(fingerprint, null, 2)}\n`);
    const ctx: StepContext = { repo, defs, pipeline, trackingDir, experimentId: experiment.experimentId, parent, work: parent.artifactDir };
    return { ...base, runId: parent.runId, triggers: results, ...(await trainAndGate(ctx, championNow(), options.onProgress)), seconds: seconds() };
  });
}

type Trained = Pick<PipelineResult, "outcome" | "reason" | "failedStep" | "champion" | "challenger" | "datasets">;

/**
 * The steps of a run that trains, under its parent run (kept alive by a heartbeat). Any
 * failure ends the parent FAILED with the step and the reason, and is returned, not thrown:
 * it is the run's outcome.
 */
async function trainAndGate(ctx: StepContext, championBefore: PipelineResult["champion"], onProgress?: (event: PipelineProgress) => void): Promise<Trained> {
  const { repo, defs, pipeline, trackingDir, parent } = ctx;
  heartbeat(trackingDir, parent);
  const beat = setInterval(() => heartbeat(trackingDir, parent), HEARTBEAT_INTERVAL_MS);
  beat.unref();
  let current: StepName = "datasets";
  let data: Datasets | undefined;
  let scores: Scores | undefined;
  const summary = () => data && { datasets: { trainRows: data.trainRows, holdoutRows: data.holdoutRows, scoredRows: scores?.holdoutRows ?? 0, splitAt: data.splitAt, trainSha256: data.trainSha256 } };
  const step = <T>(name: StepName, fn: (child: RunInfo) => Promise<T>, detail: (value: T) => string) => {
    current = name;
    return childStep(ctx, name, fn, detail, onProgress);
  };
  try {
    const datasets = (data = await step("datasets", async (child) => {
      const built = await buildDatasets(repo, defs, pipeline, join(parent.artifactDir, "datasets"));
      logDatasetParams(ctx, child, built);
      return built;
    }, (d) => `${d.trainRows + d.holdoutRows} rows: ${d.trainRows} train up to ${d.splitAt}, ${d.holdoutRows} holdout`));

    current = "train";
    onProgress?.({ step: "train", phase: "start" });
    const trainStarted = performance.now();
    const trainRun = await trainStep(ctx, datasets, pipelineLineage(repo, defs, pipeline, datasets.trainRows), { "mlflow.parentRunId": parent.runId, [pipelineTags.step]: "train" });
    onProgress?.({ step: "train", phase: "end", detail: `run ${trainRun.runId} ${trainRun.status}`, seconds: (performance.now() - trainStarted) / 1000 });

    const evaluated = (scores = await step("evaluate", async (child) => {
      const s = await evaluateStep(ctx, datasets, trainRun);
      const points = [{ key: `challenger.${pipeline.metric}`, value: s.challenger }, ...(s.champion ? [{ key: `champion.${pipeline.metric}`, value: s.champion.value }] : [])];
      logMetrics(trackingDir, child, points);
      logMetrics(trackingDir, parent, points);
      return s;
    }, (s) => `${pipeline.metric} on ${s.holdoutRows} holdout rows: challenger ${s.challenger.toFixed(4)}${s.champion ? `, champion version ${s.champion.version} ${s.champion.value.toFixed(4)}` : ", no champion"}`));

    const decision = decide(pipeline.metric, pipeline.minImprovement, evaluated.challenger, evaluated.champion);
    if (evaluated.champion) setTag(trackingDir, parent, pipelineTags.championVersion, String(evaluated.champion.version));
    const gate = await step("gate", () => gateStep(ctx, datasets, trainRun, evaluated, decision, (version) => {
      setTag(trackingDir, parent, pipelineTags.challengerVersion, String(version.version));
      onProgress?.({ step: "gate", phase: "start", registered: version });
    }), (g) => (decision.promote ? `version ${g.version.version} is now @${pipeline.alias}${g.previous !== null ? ` (was version ${g.previous})` : ""}` : `version ${g.version.version} registered, @${pipeline.alias} stays on version ${g.previous}`));

    const outcome = decision.promote ? "promoted" : "rejected";
    finish(ctx, beat, outcome, decision.reason);
    return { outcome, reason: decision.reason, champion: evaluated.champion, challenger: { version: gate.version.version, value: evaluated.challenger, runId: trainRun.runId }, ...summary() };
  } catch (error) {
    const reason = `step ${current} failed: ${error instanceof Error ? error.message : String(error)}`;
    finish(ctx, beat, "failed", reason, current);
    return { outcome: "failed", reason, failedStep: current, champion: scores?.champion ?? championBefore, ...summary() };
  }
}

/** One step as a child run (MLflow's nesting: tag mlflow.parentRunId), ended FINISHED or FAILED with the error. */
async function childStep<T>(ctx: StepContext, name: StepName, fn: (child: RunInfo) => Promise<T>, detail: (value: T) => string, onProgress?: (event: PipelineProgress) => void): Promise<T> {
  const started = performance.now();
  onProgress?.({ step: name, phase: "start" });
  const child = startRun(ctx.trackingDir, { experiment: ctx.experimentId, runName: name, tags: { "mlflow.parentRunId": ctx.parent.runId, [pipelineTags.step]: name } });
  heartbeat(ctx.trackingDir, child);
  try {
    const value = await fn(child);
    endRun(ctx.trackingDir, child, { status: "FINISHED" });
    onProgress?.({ step: name, phase: "end", detail: detail(value), seconds: (performance.now() - started) / 1000 });
    return value;
  } catch (error) {
    setTag(ctx.trackingDir, child, "mlf.error", error instanceof Error ? error.message.slice(0, 8000) : String(error));
    endRun(ctx.trackingDir, child, { status: "FAILED" });
    throw error;
  }
}

/** What the datasets step built, as params of its run. */
function logDatasetParams(ctx: StepContext, child: RunInfo, d: Datasets): void {
  const params = { train_rows: d.trainRows, holdout_rows: d.holdoutRows, labelled_holdout_rows: d.labelledHoldoutRows, split_at: d.splitAt, last_at: d.lastAt, train_sha256: d.trainSha256, holdout_sha256: d.holdoutSha256, features: d.featureColumns.join(",") };
  for (const [key, value] of Object.entries(params)) logParam(ctx.trackingDir, child, key, String(value));
}

/** Ends the parent run with the outcome and its reason as tags; FAILED for a failed step. */
function finish(ctx: StepContext, beat: NodeJS.Timeout, outcome: "promoted" | "rejected" | "failed", reason: string, failedStep?: StepName): void {
  clearInterval(beat);
  const { trackingDir, parent } = ctx;
  setTag(trackingDir, parent, pipelineTags.reason, reason.slice(0, 8000));
  if (failedStep) setTag(trackingDir, parent, pipelineTags.failedStep, failedStep);
  setTag(trackingDir, parent, pipelineTags.outcome, outcome);
  endRun(trackingDir, parent, { status: outcome === "failed" ? "FAILED" : "FINISHED" });
}
