import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPipeline, type PipelineResult } from "../../src/pipeline/run.js";
import { applyRepo } from "../../src/apply/apply.js";
import { searchRuns } from "../../src/tracking/search.js";
import { mlf } from "../helpers.js";
import { DAY_MS, pipelineRepo, pipelineYaml } from "./fixture.js";

const run = (root: string, ...flags: string[]) => {
  const result = mlf(["-C", root, "pipeline", "run", "churn_retrain", "--json", ...flags]);
  assert.ok(result.status === 0 || result.status === 5, result.stderr);
  return { status: result.status, json: result.json<PipelineResult>() };
};
const runCount = (trackingDir: string) => searchRuns(trackingDir, { experiments: ["churn_retrain"] }).runs.length;

test("on_new_data fires only when a file the pipeline reads changed, or its definitions did; --force and --dry-run", async (t) => {
  const repo = await pipelineRepo(t);
  const trackingDir = repo.config.trackingPath;
  const first = run(repo.root);
  assert.equal(first.json.outcome, "promoted");
  assert.deepEqual(first.json.triggers, [{ trigger: "on_new_data", fired: true, reason: "no run has been evaluated yet" }]);

  const idle = run(repo.root);
  assert.equal(idle.status, 0);
  assert.equal(idle.json.outcome, "skipped");
  assert.match(idle.json.triggers[0]!.reason, new RegExp(`no change since run ${first.json.runId} \\(2 files\\)`));
  const runs = runCount(trackingDir);

  // A touched file with the same bytes is not new data.
  const activity = join(repo.root, "data", "activity.csv");
  utimesSync(activity, new Date(), new Date(Date.now() + 5000));
  assert.equal(run(repo.root).json.outcome, "skipped");

  // A dry run after a real change says it would train, and writes nothing.
  appendFileSync(activity, `1000,${new Date(Date.parse("2024-01-30T00:00:00Z") + DAY_MS).toISOString()},0.5,0.5,0.5\n`);
  const dry = run(repo.root, "--dry-run");
  assert.equal(dry.json.outcome, "dry_run");
  assert.equal(dry.json.wouldTrain, true);
  assert.match(dry.json.triggers[0]!.reason, /data\/activity.csv changed/);
  assert.equal(runCount(trackingDir), runs);

  const changed = run(repo.root);
  assert.notEqual(changed.json.outcome, "skipped");
  assert.equal(changed.json.triggers[0]!.fired, true);
  assert.equal(run(repo.root).json.outcome, "skipped", "that change is consumed");

  // New labels are new data too.
  const labels = join(repo.root, "data", "labels.csv");
  writeFileSync(labels, readFileSync(labels, "utf8").replace(/,1\n/, ",0\n"));
  assert.match(run(repo.root).json.triggers[0]!.reason, /data\/labels.csv changed/);

  // So is a changed definition of the pipeline (applied).
  writeFileSync(join(repo.root, "pipelines.yaml"), pipelineYaml({ minImprovement: 0.02 }));
  await applyRepo(repo);
  assert.match(run(repo.root).json.triggers[0]!.reason, /its definitions changed/);

  const forced = run(repo.root, "--force");
  assert.notEqual(forced.json.outcome, "skipped");
  assert.equal(forced.json.triggers[0]!.fired, false);
});

test("schedule fires when the last evaluated run is older than its period; without triggers only --force trains", async (t) => {
  const repo = await pipelineRepo(t, { triggers: "    triggers:\n      schedule: 1d\n" });
  const options = { trackingDir: repo.config.trackingPath };
  const first = await runPipeline(repo, "churn_retrain", options);
  assert.deepEqual(first.triggers.map((r) => [r.trigger, r.fired]), [["schedule", true]]);
  const soon = await runPipeline(repo, "churn_retrain", { ...options, now: Date.now() + 3_600_000 });
  assert.equal(soon.outcome, "skipped");
  assert.match(soon.triggers[0]!.reason, /^next due at /);
  const later = await runPipeline(repo, "churn_retrain", { ...options, dryRun: true, now: Date.now() + 2 * DAY_MS });
  assert.equal(later.wouldTrain, true);
  assert.match(later.triggers[0]!.reason, /the last evaluated run started 2d(\d+s)? ago \(every 1d\)/);

  writeFileSync(join(repo.root, "pipelines.yaml"), pipelineYaml({ triggers: "    triggers: {}\n" }));
  await applyRepo(repo);
  const none = await runPipeline(repo, "churn_retrain", options);
  assert.equal(none.outcome, "skipped");
  assert.deepEqual(none.triggers, []);
});

test("entity rows from entity_sql over a source: that source's file is an input of the pipeline", async (t) => {
  const repo = await pipelineRepo(t, { entitySql: "select customer_id, event_timestamp, churned from outcomes where churned is not null" });
  writeFileSync(join(repo.root, "outcomes.yaml"), "sources:\n  - name: outcomes\n    type: file\n    path: data/labels.csv\n    timestamp_field: event_timestamp\n");
  await applyRepo(repo);
  const first = run(repo.root);
  assert.equal(first.json.outcome, "promoted", first.json.reason);
  assert.match(first.json.reason, /no champion yet; the challenger scores auc 0\.\d+/);
  assert.equal(run(repo.root).json.outcome, "skipped");
  const labels = join(repo.root, "data", "labels.csv");
  writeFileSync(labels, readFileSync(labels, "utf8").replace(/,1\n/, ",0\n"));
  assert.match(run(repo.root, "--dry-run").json.triggers[0]!.reason, /data\/labels.csv changed/);
});
