import { join } from "node:path";
import { MlfError } from "../errors.js";
import type { Pipeline } from "../repo/pipelines.js";
import { searchRuns } from "../tracking/search.js";
import type { Run } from "../tracking/types.js";
import { readFileIfExists } from "../util/fs.js";
import type { Fingerprint } from "./fingerprint.js";

/**
 * A pipeline's history is its tracked runs: each `mlf pipeline run` that trains is a parent
 * run in the pipeline's experiment (tag `mlf.pipeline`), with one child run per step (tag
 * `mlflow.parentRunId`, as MLflow nests runs). The parent's tags say which triggers fired and
 * what the gate decided, so there is no second record to keep in step with the runs, and
 * MLflow's own tools show the same history.
 */

/** Tags of a pipeline's parent run. */
export const pipelineTags = {
  pipeline: "mlf.pipeline",
  triggers: "mlf.pipeline.triggers",
  forced: "mlf.pipeline.forced",
  outcome: "mlf.pipeline.outcome",
  reason: "mlf.pipeline.reason",
  failedStep: "mlf.pipeline.failed_step",
  challengerVersion: "mlf.pipeline.challenger_version",
  championVersion: "mlf.pipeline.champion_version",
  step: "mlf.pipeline.step",
} as const;

/** The parent run's artifact holding the fingerprint of the data the run trained on. */
export const FINGERPRINT_ARTIFACT = "fingerprint.json";

/** Whether a trigger asked for a run, and why (or why not). */
export interface TriggerResult {
  trigger: "on_new_data" | "on_drift" | "schedule";
  fired: boolean;
  reason: string;
}

/** promoted / rejected: the gate decided; running: still going; interrupted: its process died before the end. */
export type RunOutcome = "promoted" | "rejected" | "failed" | "running" | "interrupted";

/** One past run of a pipeline, as `status` and `history` show it. */
export interface PipelineRun {
  runId: string;
  /** ISO-8601 UTC. */
  startedAt: string | null;
  endedAt: string | null;
  outcome: RunOutcome;
  triggers: TriggerResult[];
  forced: boolean;
  reason: string | null;
  failedStep: string | null;
  metric: string | null;
  challenger: { version: number | null; value: number | null };
  champion: { version: number | null; value: number | null };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const num = (text: string | undefined) => (text === undefined || text === "" ? null : Number(text));

function toPipelineRun(run: Run, pipeline: Pipeline): PipelineRun {
  const tags = run.tags;
  const stored = tags[pipelineTags.outcome] as RunOutcome | undefined;
  const outcome: RunOutcome = stored ?? (run.info.status === "RUNNING" && run.liveness !== "dead" ? "running" : "interrupted");
  let triggers: TriggerResult[] = [];
  try {
    triggers = JSON.parse(tags[pipelineTags.triggers] ?? "[]") as TriggerResult[];
  } catch {
    // A hand-edited tag: the run is still listed.
  }
  const metric = pipeline.metric;
  return {
    runId: run.info.runId,
    startedAt: iso(run.info.startTime),
    endedAt: iso(run.info.endTime),
    outcome,
    triggers,
    forced: tags[pipelineTags.forced] === "true",
    reason: tags[pipelineTags.reason] ?? (outcome === "interrupted" ? "the process running the pipeline stopped before the end (killed?)" : null),
    failedStep: tags[pipelineTags.failedStep] ?? null,
    metric,
    challenger: { version: num(tags[pipelineTags.challengerVersion]), value: run.metrics[`challenger.${metric}`]?.value ?? null },
    champion: { version: num(tags[pipelineTags.championVersion]), value: run.metrics[`champion.${metric}`]?.value ?? null },
  };
}

/** The pipeline's parent runs, newest first (none before the first run). */
export function pipelineRuns(trackingDir: string, pipeline: Pipeline): { runs: Run[]; history: PipelineRun[] } {
  let runs: Run[];
  try {
    runs = searchRuns(trackingDir, { experiments: [pipeline.experiment] }).runs;
  } catch (error) {
    if (error instanceof MlfError && error.code === "not_found") return { runs: [], history: [] };
    throw error;
  }
  runs = runs.filter((r) => r.tags[pipelineTags.pipeline] === pipeline.name);
  return { runs, history: runs.map((r) => toPipelineRun(r, pipeline)) };
}

/**
 * The newest run whose gate decided (promoted or rejected): what the triggers compare with.
 * `found` is the pipeline's runs when the caller has already searched them.
 */
export function lastEvaluated(trackingDir: string, pipeline: Pipeline, found = pipelineRuns(trackingDir, pipeline)): { run: PipelineRun; fingerprint?: Fingerprint } | undefined {
  const { runs, history } = found;
  const i = history.findIndex((h) => h.outcome === "promoted" || h.outcome === "rejected");
  if (i < 0) return undefined;
  const text = readFileIfExists(join(runs[i]!.info.artifactDir, FINGERPRINT_ARTIFACT));
  let fingerprint: Fingerprint | undefined;
  try {
    fingerprint = text === undefined ? undefined : (JSON.parse(text) as Fingerprint);
  } catch {
    fingerprint = undefined;
  }
  return { run: history[i]!, ...(fingerprint && { fingerprint }) };
}
