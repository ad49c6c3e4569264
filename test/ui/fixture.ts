import { appendFileSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { toOnnx } from "../../scripts/demo/onnx.js";
import { FeatureStore } from "../../src/feature-store.js";
import { transitionStage, setAlias } from "../../src/models/lifecycle.js";
import { initRepo } from "../../src/repo/init.js";
import { feastLineageTags } from "../../src/tracking/feast-lineage.js";
import { endRun, logArtifact, logMetrics, startRun } from "../../src/tracking/write.js";
import { logFilePath, logFolder } from "../../src/repo/feature-logs.js";
import { registerMonitoredModel } from "../../src/monitor/register.js";
import { random } from "../../src/util/random.js";
import { MLRUNS_IRIS, tempDir } from "../helpers.js";
import { writeParquet, type Cell } from "../monitor/fixtures.js";

/**
 * A store the UI tests and screenshots look at: MLflow's own mlruns-iris (a real MLflow
 * store, copied), plus an experiment of three tracked runs with metric histories, lineage
 * tags and artifacts, a model registered twice from them with an alias, a stage and an audit
 * log, and `mlf init`'s sample feature repository, applied and materialized so that one view
 * is fresh and one is stale. Version 1 has a training set as its reference and an hour of
 * feature logs in which conv_rate has moved up and a quarter of trips were served too old.
 */

export interface UiStore {
  tracking: string;
  repo: string;
  experimentId: string;
  runs: { baseline: string; strongReg: string; forest: string };
  /** The feature registry version the runs record (their mlf.feature_registry.version tag). */
  registryVersion: number;
}

const HOUR = 3_600_000;
/** The sample repository's service driver_activity, in its input order. */
const FEATURES = ["driver_hourly_stats:conv_rate", "driver_hourly_stats:trips", "driver_daily_stats:conv_rate_1d", "driver_daily_stats:trips_1d"];

/** A learning curve: `to` reached by step `steps - 1`, from `from`, with a little wobble. */
const curve = (from: number, to: number, steps: number, t0: number) =>
  Array.from({ length: steps }, (_, step) => ({ step, timestamp: t0 + step * 1000, value: to + (from - to) * Math.exp(-step / 4) + 0.004 * Math.sin(step) }));

export async function buildUiStore(t: { after(fn: () => void): void }): Promise<UiStore> {
  const base = tempDir(t, "mlf-ui-");
  const tracking = join(base, "mlruns");
  cpSync(MLRUNS_IRIS, tracking, { recursive: true });
  const repo = initRepo(join(base, "repo"));
  // Feature logs outside the default data/logs: the drift pages must read where serve writes.
  appendFileSync(join(repo, "feature_store.yaml"), `logging:\n  path: ${SERVED_LOGS}\n`);
  const now = Date.now();
  const store = await FeatureStore.open(repo);
  let registryVersion: number;
  try {
    registryVersion = (await store.apply()).version;
    // Hourly stats (ttl 1d) end 30 hours ago: stale. Daily stats (ttl 7d): fresh.
    await store.materialize(now - 4 * 24 * HOUR, now - 30 * HOUR);
    await store.materialize(now - 30 * HOUR, now - 2 * HOUR, { views: ["driver_daily_stats"] });
  } finally {
    await store.close();
  }
  const definitions = store.featureRegistry().definitions;

  const onnx = join(base, "model.onnx");
  writeFileSync(onnx, toOnnx({ features: FEATURES, means: [0.5, 10, 0.5, 200], scales: [0.2, 5, 0.2, 50], weights: [1.2, 0.4, 0.8, 0.1], intercept: -0.3 }));
  const input = join(repo, "data", "driver_stats.csv");
  const t0 = now - 6 * HOUR;
  const lineage = {
    "mlflow.source.git.commit": "3f2c9d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e",
    "mlf.git.dirty": "false",
    "mlf.command": "node train.js --service driver_activity",
    "mlf.feature_registry.version": String(registryVersion),
    "mlf.inputs": JSON.stringify([{ path: "data/driver_stats.csv", sha256: "9b1f0c3a5d7e2f4a6c8b0d1e3f5a7c9b2d4e6f8a0c1b3d5e7f9a2c4b6d8e0f1a", bytes: 86_417 }]),
    ...feastLineageTags({ project: "repo", featureService: "driver_activity", featureRefs: FEATURES, entityCount: 280 }),
  };
  const track = (runName: string, params: Record<string, string>, auc: [number, number], offset: number) => {
    const run = startRun(tracking, { experiment: "driver-conversion", runName, params, tags: { ...lineage, team: "growth" }, startTime: t0 + offset });
    logMetrics(tracking, run, [
      ...curve(auc[0], auc[1], 20, t0 + offset).map((p) => ({ key: "auc", ...p })),
      ...curve(0.69, 0.69 - (auc[1] - 0.5), 20, t0 + offset).map((p) => ({ key: "log_loss", ...p })),
      { key: "train_rows", value: 280, step: 0, timestamp: t0 + offset },
    ]);
    logArtifact(tracking, run, onnx, "model");
    logArtifact(tracking, run, input, "data");
    endRun(tracking, run, { endTime: t0 + offset + 95_000 });
    return run;
  };
  const baseline = track("lr-baseline", { model: "logistic_regression", C: "1.0", features: "driver_activity" }, [0.55, 0.81], 0);
  const strongReg = track("lr-strong-reg", { model: "logistic_regression", C: "0.1", features: "driver_activity" }, [0.55, 0.78], 10 * 60_000);
  const forest = track("forest", { model: "random_forest", n_trees: "200", features: "driver_activity" }, [0.6, 0.86], 20 * 60_000);

  const training = join(base, "training_set.csv");
  const next = random(7);
  // The current data moves conv_rate and trips_1d: 2 of 4 inputs drift, the data set drifts at
  // 50%. trips and conv_rate_1d step through the same grids on both sides (the same
  // distributions, whatever the seed).
  const sample = (shift: number, k: number) => [0.4 + shift + 0.3 * next(), k % 20, 0.45 + 0.2 * (((k * 7) % 100) / 100), Math.floor(150 + 100 * next() + 200 * shift)];
  writeFileSync(training, `conv_rate,trips,conv_rate_1d,trips_1d\n${Array.from({ length: 300 }, (_, i) => sample(0, i).join(",")).join("\n")}\n`);
  for (const [i, run] of [baseline, forest].entries()) {
    await registerMonitoredModel(tracking, "driver_model", { runId: run.runId, service: "driver_activity", definitions, description: `${run.runName}: P(trip completed)`, ...(i === 0 && { reference: training }) });
  }
  let served = 0;
  const current = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? sample(0.25, i).map((v, j) => (j === 1 ? null : v)) : sample(0.25, served++)));
  await writeFeatureLog(repo, Math.floor(now / HOUR) * HOUR - HOUR, current);
  setAlias(tracking, "driver_model", "champion", 1);
  transitionStage(tracking, "driver_model", 1, "production");
  transitionStage(tracking, "driver_model", 2, "staging");
  return { tracking, repo, experimentId: baseline.experimentId, runs: { baseline: baseline.runId, strongReg: strongReg.runId, forest: forest.runId }, registryVersion };
}

/** The feature log layout of docs/monitoring.md: one /predict answer per row, by version 1. */
const LOG_COLUMNS: Record<string, string> = {
  timestamp: "TIMESTAMPTZ", model: "VARCHAR", model_version: "INTEGER", route: "VARCHAR", request_id: "VARCHAR", request_row: "INTEGER", "key.driver_id": "BIGINT",
  ...Object.fromEntries(FEATURES.flatMap((f) => [[f, f.endsWith("trips") || f.endsWith("trips_1d") ? "BIGINT" : "DOUBLE"], [`status.${f}`, "VARCHAR"]])),
  prediction: "DOUBLE",
};

/** feature_store.yaml's logging.path in the fixture repository. */
const SERVED_LOGS = "data/served-logs";

/** Rows of the 4 inputs (null: served OUTSIDE_MAX_AGE) as one log file of the hour of `at`. */
async function writeFeatureLog(repo: string, at: number, inputs: (number | null)[][]): Promise<void> {
  const path = logFilePath(logFolder(join(repo, SERVED_LOGS), "models", "driver_model"), at, 1);
  mkdirSync(dirname(path), { recursive: true });
  const rows = inputs.map((values, i): Cell[] => [
    new Date(at + i * 1000).toISOString(), "driver_model", 1, "/predict", `req-${i}`, 0, 1001 + (i % 5),
    ...values.flatMap((v) => [v, v === null ? "OUTSIDE_MAX_AGE" : "PRESENT"]),
    0.3 + (i % 7) / 20,
  ]);
  await writeParquet(path, LOG_COLUMNS, rows);
}
