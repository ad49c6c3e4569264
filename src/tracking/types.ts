/**
 * The tracking store's public shapes. Everything here mirrors MLflow's entities (RunInfo,
 * Run, Metric, Experiment) with camelCase names; times are epoch milliseconds (UTC).
 */

/** MLflow's run statuses; meta.yaml stores them as the integers in `statusCodes`. */
export type RunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

/** A run's state as mlf sees it: the stored status, plus whether a RUNNING run's process is gone. */
export type Liveness = "alive" | "dead" | "unknown";

export interface Experiment {
  experimentId: string;
  name: string;
  /** Where artifacts of new runs go, as written by the creator (may be a `file://` URI of another machine). */
  artifactLocation: string;
  lifecycleStage: "active" | "deleted";
  /** Epoch ms, or null when the meta.yaml does not record it (old MLflow versions). */
  creationTime: number | null;
  lastUpdateTime: number | null;
  /** `<exp_id>/tags/<key>` files, as MLflow's file store keeps experiment tags. */
  tags: Record<string, string>;
}

export interface RunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  /** Epoch ms. */
  startTime: number | null;
  /** Epoch ms; null while the run is open. */
  endTime: number | null;
  lifecycleStage: "active" | "deleted";
  /** The artifact URI exactly as meta.yaml records it. */
  artifactUri: string;
  /**
   * The local folder holding the run's artifacts: the artifact URI when it is a local path
   * that exists, else `<run folder>/artifacts` (runs copied from another machine keep the
   * original machine's absolute URI).
   */
  artifactDir: string;
}

/** One metric point. `timestamp` is epoch ms; `step` an integer (0 when not given). */
export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  /** The dataset the value was computed on (MLflow 3's `dataset_name`, `dataset_digest`), when logged with one. */
  dataset?: { name: string; digest: string };
  /** On a logged model's metric: the run that logged the point. */
  runId?: string;
}

/**
 * A run with its params, tags and latest metrics. The latest value of a metric is MLflow's:
 * the point with the greatest (step, timestamp, value).
 */
export interface Run {
  info: RunInfo;
  params: Record<string, string>;
  metrics: Record<string, Metric>;
  tags: Record<string, string>;
  /** For RUNNING runs: whether the process that owns the run is still there (from mlf's heartbeat tags). */
  liveness: Liveness;
}

/** A result plus the non-fatal problems met while reading (torn metric lines, malformed runs). */
export interface WithWarnings<T> {
  value: T;
  warnings: string[];
}
