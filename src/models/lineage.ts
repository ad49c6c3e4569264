import { MlfError } from "../errors.js";
import { getRun } from "../tracking/read.js";

/**
 * The registry's only contact with tracking runs, read through the tracking store's reader
 * (the single source of truth for MLflow's run layout).
 */

/** Where a model version came from, for `show`: the run, its params and metrics, its git commit. */
export interface RunLineage {
  runId: string;
  runName: string;
  experimentId: string;
  status: string;
  /** Epoch ms (UTC), or null when not recorded. */
  startTime: number | null;
  endTime: number | null;
  params: Record<string, string>;
  /** Latest value of each metric. */
  metrics: Record<string, number>;
  /** The `mlflow.source.git.commit` tag, or null. */
  gitCommit: string | null;
}

/** The folder holding a run's artifacts (resolved by the tracking reader, also for runs copied from another machine). */
export function runArtifactsDir(trackingDir: string, runId: string): string {
  return getRun(trackingDir, runId).info.artifactDir;
}

/**
 * The lineage of a run, or `{ runId, missing }` when the run is not in this tracking dir
 * (a version registered elsewhere and copied, or a run deleted since): `show` still works.
 */
export function runLineage(trackingDir: string, runId: string): RunLineage | { runId: string; missing: string } {
  try {
    const run = getRun(trackingDir, runId);
    return {
      runId,
      runName: run.info.runName,
      experimentId: run.info.experimentId,
      status: run.info.status,
      startTime: run.info.startTime,
      endTime: run.info.endTime,
      params: run.params,
      metrics: Object.fromEntries(Object.entries(run.metrics).map(([k, m]) => [k, m.value])),
      gitCommit: run.tags["mlflow.source.git.commit"] ?? null,
    };
  } catch (error) {
    if (error instanceof MlfError && (error.code === "not_found" || error.code === "invalid_argument")) return { runId, missing: error.message };
    throw error;
  }
}
