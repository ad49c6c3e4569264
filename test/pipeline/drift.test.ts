import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readVersion } from "../../src/models/store.js";
import { runPipeline } from "../../src/pipeline/run.js";
import { pipelineStatus } from "../../src/pipeline/status.js";
import { resolveModelUri } from "../../src/models/uri.js";
import { pipelineRepo } from "./fixture.js";

/** The fixture's activity rows of the last `days` days as "current" feature data, x1 shifted by `shift`. */
function writeCurrent(root: string, shift: number, days = 7): void {
  const lines = readFileSync(join(root, "data", "activity.csv"), "utf8").trim().split("\n");
  const rows = lines.slice(1).slice(-days * 40);
  const out = ["customer_id,event_timestamp,x1,x2,noise", ...rows.map((r) => {
    const [id, ts, x1, x2, noise] = r.split(",");
    return [id, ts, (Number(x1) + shift).toFixed(6), x2, noise].join(",");
  })];
  writeFileSync(join(root, "data", "current.csv"), `${out.join("\n")}\n`);
}

test("on_drift fires when the monitor finds the champion's inputs drifted from its registered training set, not before", async (t) => {
  const repo = await pipelineRepo(t, { triggers: "    triggers:\n      on_new_data: true\n      on_drift: {current: data/current.csv}\n" });
  const trackingDir = repo.config.trackingPath;
  const options = { trackingDir };
  writeCurrent(repo.root, 0);

  const first = await runPipeline(repo, "churn_retrain", options);
  assert.equal(first.outcome, "promoted", first.reason);
  const drift = first.triggers.find((r) => r.trigger === "on_drift")!;
  assert.deepEqual([drift.fired, drift.reason], [false, "no champion to monitor (churn@champion is not set)"]);
  // The pipeline registered its training set as the version's drift reference.
  const reference = resolveModelUri(trackingDir, "churn@champion").mlmodel?.mlf?.reference;
  assert.equal(reference?.sha256, first.datasets!.trainSha256);
  assert.equal(readVersion(trackingDir, "churn", 1).tags["mlf.training_set.sha256"], first.datasets!.trainSha256);

  // Recent inputs like the training data: no drift, nothing to do.
  const calm = await runPipeline(repo, "churn_retrain", options);
  assert.equal(calm.outcome, "skipped");
  const quiet = calm.triggers.find((r) => r.trigger === "on_drift")!;
  assert.equal(quiet.fired, false);
  assert.match(quiet.reason, /^0 of 3 features of version 1 drifted on 280 rows/);

  // x1 moves by three standard deviations: one feature of three is not a drifted dataset at
  // the monitor's default share (0.5); at drift_share 0.3 it is.
  writeCurrent(repo.root, 3.5);
  const status = await pipelineStatus(repo, trackingDir, "churn_retrain");
  assert.equal(status.due, false);
  assert.match(status.triggers.find((r) => r.trigger === "on_drift")!.reason, /^1 of 3 features of version 1 drifted/);

  const yaml = join(repo.root, "pipelines.yaml");
  writeFileSync(yaml, readFileSync(yaml, "utf8").replace("{current: data/current.csv}", "{current: data/current.csv, drift_share: 0.3}"));
  const { applyRepo } = await import("../../src/apply/apply.js");
  await applyRepo(repo);
  const drifted = await runPipeline(repo, "churn_retrain", { ...options, dryRun: true });
  const fired = drifted.triggers.find((r) => r.trigger === "on_drift")!;
  assert.equal(fired.fired, true, fired.reason);
  assert.match(fired.reason, /^1 of 3 features of version 1 drifted on 280 rows \(share 0\.33, drift at 0\.3\)/);

  // A check that cannot run says why and does not fire.
  writeFileSync(yaml, readFileSync(yaml, "utf8").replace("data/current.csv", "data/nowhere.csv"));
  await applyRepo(repo).catch(() => undefined);
  const missing = await runPipeline(repo, "churn_retrain", { ...options, dryRun: true });
  const unchecked = missing.triggers.find((r) => r.trigger === "on_drift")!;
  assert.equal(unchecked.fired, false);
  assert.match(unchecked.reason, /^not checked: /);
});
