import { MlfError } from "../errors.js";
import { readVersionIfComplete } from "../models/store.js";
import type { Pipeline, PipelineMetric } from "../repo/pipelines.js";
import { appliedRegistry, type Repo } from "../repo/repo.js";
import type { Definitions } from "../repo/types.js";
import { championDrift } from "./drift.js";
import { lastEvaluated, pipelineRuns, type PipelineRun, type TriggerResult } from "./history.js";
import { currentChampion } from "./steps.js";
import { checkTriggers, type TriggerCheck } from "./triggers.js";

/** `mlf pipeline status`: where a pipeline stands now. */
export interface PipelineStatus {
  pipeline: string;
  model: string;
  alias: string;
  experiment: string;
  metric: PipelineMetric;
  minImprovement: number;
  /** The version the alias points at, with its score when a pipeline run registered it. */
  champion: { version: number; value: number | null; pipelineRunId: string | null } | null;
  /** A run holding the pipeline now, if any. */
  running: { runId: string; startedAt: string | null } | null;
  /** The triggers checked now, as `pipeline run` would. */
  triggers: TriggerResult[];
  /** Whether `mlf pipeline run` would train now. */
  due: boolean;
  /** Newest first. */
  runs: PipelineRun[];
}

/** The pipeline named `name` in the applied definitions. */
export function appliedPipeline(defs: Definitions, name: string): Pipeline {
  const pipelines = defs.pipelines ?? [];
  const found = pipelines.find((p) => p.name === name);
  if (!found) {
    throw new MlfError("not_found", `No pipeline named "${name}" in the applied registry; known: ${pipelines.map((p) => p.name).join(", ") || "(none)"} (define it under pipelines: and run "mlf apply").`);
  }
  return found;
}

/** Every applied pipeline with its latest run (newest first), for `mlf pipeline list`. */
export function listPipelines(repo: Repo, trackingDir: string): { pipeline: Pipeline; last: PipelineRun | null; champion: number | null }[] {
  return (appliedRegistry(repo).definitions.pipelines ?? []).map((pipeline) => ({
    pipeline,
    last: pipelineRuns(trackingDir, pipeline).history[0] ?? null,
    champion: currentChampion(trackingDir, pipeline),
  }));
}

/** The last `limit` runs of a pipeline, newest first. */
export function pipelineHistory(repo: Repo, trackingDir: string, name: string, limit = Number.POSITIVE_INFINITY): PipelineRun[] {
  return pipelineRuns(trackingDir, appliedPipeline(appliedRegistry(repo).definitions, name)).history.slice(0, limit);
}

/**
 * The triggers checked now, as `pipeline run` and `status` check them: against the last
 * evaluated run among `runs` (searched here unless the caller has them).
 */
export function checkPipelineTriggers(repo: Repo, defs: Definitions, trackingDir: string, pipeline: Pipeline, now: number, runs = pipelineRuns(trackingDir, pipeline)): Promise<TriggerCheck> {
  return checkTriggers({ root: repo.root, defs, pipeline, last: lastEvaluated(trackingDir, pipeline, runs), drift: () => championDrift(repo, trackingDir, pipeline, now), now });
}

export async function pipelineStatus(repo: Repo, trackingDir: string, name: string, options: { runs?: number; now?: number } = {}): Promise<PipelineStatus> {
  const defs = appliedRegistry(repo).definitions;
  const pipeline = appliedPipeline(defs, name);
  const runs = pipelineRuns(trackingDir, pipeline);
  const { history } = runs;
  const { results } = await checkPipelineTriggers(repo, defs, trackingDir, pipeline, options.now ?? Date.now(), runs);
  const version = currentChampion(trackingDir, pipeline);
  const tags = version === null ? {} : (readVersionIfComplete(trackingDir, pipeline.model, version)?.tags ?? {});
  const value = tags["mlf.metric.challenger"];
  const running = history.find((h) => h.outcome === "running");
  return {
    pipeline: name,
    model: pipeline.model,
    alias: pipeline.alias,
    experiment: pipeline.experiment,
    metric: pipeline.metric,
    minImprovement: pipeline.minImprovement,
    champion: version === null ? null : { version, value: value === undefined ? null : Number(value), pipelineRunId: tags["mlf.pipeline.run_id"] ?? null },
    running: running ? { runId: running.runId, startedAt: running.startedAt } : null,
    triggers: results,
    due: results.some((t) => t.fired),
    runs: history.slice(0, options.runs ?? 5),
  };
}
