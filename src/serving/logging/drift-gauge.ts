import { parseModelUri } from "../../models/uri.js";
import type { OfflineStoreConfig } from "../../repo/types.js";
import { renderFamily, type GaugeSample } from "../metrics.js";
import type { Log, ModelPool } from "../model-pool.js";
import { driftInChild, type DriftSummary } from "./drift-run.js";

export interface DriftGaugeOptions {
  /** The tracking root holding the model registry (the served versions' references). */
  trackingDir: string;
  /** The feature log folder the server writes. */
  logDir: string;
  /** DuckDB settings (the repository's offline store); the recompute uses one thread whatever they say. */
  offline?: OfflineStoreConfig;
  /** Seconds between recomputes; > 0. */
  intervalSeconds: number;
  /** The logs compared: those of the last this many seconds. */
  windowSeconds: number;
  /**
   * Runs `tick` every `ms` and returns how to stop; default an unref'd setInterval. Tests
   * pass their own to fire the interval when they choose.
   */
  schedule?: (tick: () => void, ms: number) => () => void;
}

interface Latest {
  version: string;
  /** When the computation ended, epoch ms. */
  at: number;
  /** How long it took, in seconds. */
  seconds: number;
  summary: DriftSummary;
}

const everyMs = (tick: () => void, ms: number) => {
  const timer = setInterval(tick, ms).unref();
  return () => clearInterval(timer);
};

/**
 * The drift gauges of `mlf serve`: every interval, for each served registry version, the
 * drift of its feature logs of the last window against its registered reference, computed by
 * `mlf monitor drift`'s library in a child process (off the request path, at low priority), kept as the latest
 * scores for /metrics. Models are computed one after the other; a tick while a recompute is
 * still running is skipped. A model that cannot be compared (served from a file, no reference,
 * no logs in the window) has no gauge, and the reason is logged once per model version.
 */
export class DriftGauge {
  private readonly latest = new Map<string, Latest>();
  /** Per model, the last reason it had no gauge, so each is logged once. */
  private readonly reasons = new Map<string, string>();
  private running: Promise<void> | undefined;
  private stopTimer: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly pool: ModelPool,
    private readonly options: DriftGaugeOptions,
    private readonly log: Log,
  ) {}

  start(): void {
    this.stopTimer = (this.options.schedule ?? everyMs)(() => void this.refresh(), this.options.intervalSeconds * 1000);
  }

  /** Recomputes every served model now, or joins the recompute already running. */
  refresh(): Promise<void> {
    this.running ??= this.recompute().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Resolves when no recompute is running. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Stops the timer and a running computation. */
  async close(): Promise<void> {
    this.stopTimer?.();
    this.abort.abort();
    await this.running;
  }

  private async recompute(): Promise<void> {
    const served = this.pool.status();
    for (const name of this.latest.keys()) if (!served.some((m) => m.name === name)) this.latest.delete(name);
    for (const model of served) {
      if (this.abort.signal.aborted) return;
      if (model.version === null) continue;
      if (parseModelUri(model.uri).kind !== "registry") {
        this.noGauge(model.name, model.version, "it is served from a file, not from the model registry, so it has no registered reference");
        continue;
      }
      const started = performance.now();
      try {
        const summary = await driftInChild(
          {
            model: `${model.name}/${model.version}`,
            trackingDir: this.options.trackingDir,
            logDir: this.options.logDir,
            since: Date.now() - this.options.windowSeconds * 1000,
            offline: { ...(this.options.offline ?? { type: "duckdb" }), threads: 1 },
          },
          this.abort.signal,
        );
        this.latest.set(model.name, { version: model.version, at: Date.now(), seconds: (performance.now() - started) / 1000, summary });
        this.reasons.delete(model.name);
      } catch (error) {
        if (this.abort.signal.aborted) return;
        this.noGauge(model.name, model.version, (error as Error).message);
      }
    }
  }

  private noGauge(name: string, version: string, reason: string): void {
    this.latest.delete(name);
    const key = `${version}\u0000${reason}`;
    if (this.reasons.get(name) === key) return;
    this.reasons.set(name, key);
    this.log({ level: "warn", msg: "no drift gauge", model: name, version, reason });
  }

  /** The latest scores in Prometheus' text format. */
  render(): string[] {
    const models = [...this.latest].map(([model, l]) => ({ labels: { model, version: l.version }, ...l }));
    const perModel = (value: (l: Latest) => number): GaugeSample[] => models.map((m) => ({ labels: m.labels, value: value(m) }));
    const perFeature = (value: (f: DriftSummary["features"][number]) => number | null, withTest = false): GaugeSample[] =>
      models.flatMap((m) =>
        m.summary.features.flatMap((f) => {
          const v = value(f);
          return v === null ? [] : [{ labels: { ...m.labels, feature: f.name, ...(withTest && { test: f.test ?? "" }) }, value: v }];
        }),
      );
    const predictions = models.flatMap((m) => (m.summary.prediction?.score != null ? [{ labels: { ...m.labels, test: m.summary.prediction.test ?? "" }, value: m.summary.prediction.score }] : []));
    return [
      ...renderFamily("mlf_feature_drift_score", "Latest drift score per feature of each served model version against its reference (p-value for ks/chisquare/z, distance for wasserstein/jensenshannon/psi).", "gauge", perFeature((f) => f.score, true)),
      ...renderFamily("mlf_feature_drift_threshold", "The threshold the feature's drift score is compared with.", "gauge", perFeature((f) => f.threshold, true)),
      ...renderFamily("mlf_feature_drifted", "1 when the feature drifted in the latest computation.", "gauge", perFeature((f) => (f.drifted ? 1 : 0))),
      ...renderFamily("mlf_feature_missing_share", "Share of logged rows where the feature was NULL or NaN, in the drift window.", "gauge", perFeature((f) => f.missingShare)),
      ...renderFamily("mlf_feature_outside_max_age_share", "Share of logged rows where the feature's online value was older than its view's ttl (OUTSIDE_MAX_AGE).", "gauge", perFeature((f) => f.outsideMaxAgeShare)),
      ...renderFamily("mlf_prediction_drift_score", "Latest drift score of the model's predictions against its predictions on the reference.", "gauge", predictions),
      ...renderFamily("mlf_dataset_drift", "1 when the share of drifted features reached the dataset drift share (0.5).", "gauge", perModel((l) => (l.summary.dataset.drift ? 1 : 0))),
      ...renderFamily("mlf_dataset_drift_share", "Share of the model's features that drifted.", "gauge", perModel((l) => l.summary.dataset.share)),
      ...renderFamily("mlf_drift_rows", "Logged rows compared in the latest computation.", "gauge", perModel((l) => l.summary.rows)),
      ...renderFamily("mlf_drift_last_run_timestamp_seconds", "When the latest drift computation ended (Unix seconds).", "gauge", perModel((l) => l.at / 1000)),
      ...renderFamily("mlf_drift_last_run_duration_seconds", "How long the latest drift computation took (in a child process).", "gauge", perModel((l) => l.seconds)),
    ];
  }
}
