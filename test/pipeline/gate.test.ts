import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { readEvents } from "../../src/models/events.js";
import { listVersions, readAliases } from "../../src/models/store.js";
import { runPipeline, type RunPipelineOptions } from "../../src/pipeline/run.js";
import { pipelineStatus } from "../../src/pipeline/status.js";
import type { Repo } from "../../src/repo/repo.js";
import { getRun } from "../../src/tracking/read.js";
import { searchRuns } from "../../src/tracking/search.js";
import { pipelineRepo } from "./fixture.js";

/** Runs the pipeline with the test trainer in `mode` (see trainer.ts). */
async function run(repo: Repo, mode: string, options: Partial<RunPipelineOptions> = {}) {
  process.env.PIPELINE_TRAINER = mode;
  try {
    return await runPipeline(repo, "churn_retrain", { trackingDir: repo.config.trackingPath, ...options });
  } finally {
    delete process.env.PIPELINE_TRAINER;
  }
}

test("the gate promotes a better challenger, rejects a worse and an equal one, and logs every decision with both scores", async (t) => {
  const repo = await pipelineRepo(t);
  const trackingDir = repo.config.trackingPath;

  // No champion yet: the first challenger is promoted, even a weak one.
  const first = await run(repo, "weak");
  assert.equal(first.outcome, "promoted", first.reason);
  assert.equal(first.challenger!.value, 0.5, "a constant score has AUC 1/2, whatever the trainer claimed");
  assert.equal(first.champion, null);
  assert.deepEqual(readAliases(trackingDir, "churn"), { champion: 1 });

  // The data did not change: nothing to do, nothing written.
  const idle = await run(repo, "good");
  assert.equal(idle.outcome, "skipped");
  assert.equal(idle.runId, null);
  assert.equal(listVersions(trackingDir, "churn").length, 1);

  // A real model beats the constant one on the same holdout.
  const better = await run(repo, "good", { force: true });
  assert.equal(better.outcome, "promoted", better.reason);
  assert.deepEqual(better.champion, { version: 1, value: 0.5 });
  assert.ok(better.challenger!.value > 0.8, `challenger AUC ${better.challenger!.value}`);
  assert.deepEqual(readAliases(trackingDir, "churn"), { champion: 2 });

  // A worse one is registered but the alias stays.
  const worse = await run(repo, "weak", { force: true });
  assert.equal(worse.outcome, "rejected", worse.reason);
  assert.equal(worse.challenger!.version, 3);
  assert.deepEqual(worse.champion, { version: 2, value: better.challenger!.value }, "the champion scores what it scored as a challenger: same code, same rows");
  assert.deepEqual(readAliases(trackingDir, "churn"), { champion: 2 });

  // Retraining the same model on the same data ties: no churn.
  const same = await run(repo, "good", { force: true });
  assert.equal(same.outcome, "rejected");
  assert.equal(same.challenger!.value, better.challenger!.value);
  assert.match(same.reason, /no better/);
  assert.deepEqual(readAliases(trackingDir, "churn"), { champion: 2 });

  // Every decision is in the audit log with both scores, before the alias move it caused.
  const events = readEvents(trackingDir, "churn");
  const decisions = events.filter((e) => e.action === "pipeline_decision");
  assert.deepEqual(decisions.map((d) => [d.version, d.after!.decision, d.after!.auc, (d.before as { auc?: number } | null)?.auc ?? null]), [
    [1, "promote", 0.5, null],
    [2, "promote", better.challenger!.value, 0.5],
    [3, "reject", 0.5, better.challenger!.value],
    [4, "reject", better.challenger!.value, better.challenger!.value],
  ]);
  const actions = events.map((e) => `${e.action}:${e.version ?? ""}`);
  assert.ok(actions.indexOf("pipeline_decision:2") < actions.indexOf("set_alias:2"));
  assert.equal(actions.filter((a) => a.startsWith("set_alias")).length, 2);

  // Lineage on the version: the runs, the data digests, both scores.
  const v3 = listVersions(trackingDir, "churn").find((v) => v.version === 3)!;
  assert.equal(v3.tags["mlf.pipeline.run_id"], worse.runId);
  assert.equal(v3.tags["mlf.training_set.sha256"], worse.datasets!.trainSha256);
  assert.equal(v3.tags["mlf.feature_service"], "churn_inputs");
  assert.equal(Number(v3.tags["mlf.metric.challenger"]), 0.5);
  assert.equal(Number(v3.tags["mlf.metric.champion"]), better.challenger!.value);
  assert.equal(v3.tags["mlf.pipeline.decision"], "reject");
  assert.equal(v3.runId, worse.challenger!.runId);

  // MLflow's nesting: a parent per pipeline run, its steps as children.
  const runs = searchRuns(trackingDir, { experiments: ["churn_retrain"] }).runs;
  const children = runs.filter((r) => r.tags["mlflow.parentRunId"] === worse.runId);
  assert.deepEqual(children.map((r) => r.info.runName).sort(), ["datasets", "evaluate", "gate", "train"]);
  assert.ok(children.every((r) => r.info.status === "FINISHED"));
  const parent = getRun(trackingDir, worse.runId!);
  assert.equal(parent.tags["mlf.pipeline.outcome"], "rejected");
  assert.equal(parent.tags["feast.feature_service"], "churn_inputs");
  assert.equal(parent.tags["feast.feature_refs"], "customer_daily:x1,customer_daily:x2,customer_daily:noise");
  assert.equal(parent.metrics["challenger.auc"]!.value, 0.5);
  const train = children.find((r) => r.info.runName === "train")!;
  assert.equal(train.metrics.auc!.value, 0.99, "the trainer's own claim stays in its run");
  assert.ok(existsSync(join(train.info.artifactDir, "model", "model.onnx")));
  assert.ok(existsSync(join(parent.info.artifactDir, "datasets", "holdout.parquet")));

  const status = await pipelineStatus(repo, trackingDir, "churn_retrain");
  assert.deepEqual(status.champion, { version: 2, value: better.challenger!.value, pipelineRunId: better.runId });
  assert.equal(status.due, false);
  assert.deepEqual(status.runs.map((r) => r.outcome), ["rejected", "rejected", "promoted", "promoted"]);
});

test("the holdout is the last days of entity rows: every training row is older than every holdout row", async (t) => {
  const repo = await pipelineRepo(t, { holdout: "10d" });
  const result = await run(repo, "good");
  assert.equal(result.outcome, "promoted", result.reason);
  // 30 days of 40 customers at 12:00; the last row is day 29, so days 20..29 are held out.
  assert.equal(result.datasets!.splitAt, "2024-01-20T12:00:00Z");
  assert.equal(result.datasets!.trainRows, 20 * 40);
  assert.equal(result.datasets!.holdoutRows, 10 * 40);
  const { OfflineEngine } = await import("../../src/offline/engine.js");
  const engine = await OfflineEngine.open({ type: "duckdb" });
  try {
    const dir = join(getRun(repo.config.trackingPath, result.runId!).info.artifactDir, "datasets");
    const [row] = await engine.rows(`select (select max(event_timestamp) from read_parquet('${dir}/train.parquet')) < (select min(event_timestamp) from read_parquet('${dir}/holdout.parquet')) as ordered`);
    assert.equal(row!.ordered, true);
  } finally {
    engine.close();
  }
});
