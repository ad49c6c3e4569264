import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listVersions, readAliases } from "../../src/models/store.js";
import { getRun } from "../../src/tracking/read.js";
import { prepareData } from "../../scripts/demo/prepare.js";
import { repoCopy } from "../../scripts/demo/repo-copy.js";
import { mlf, ROOT, tempDir } from "../helpers.js";

interface RunJson {
  outcome: string;
  reason: string;
  runId: string;
  challenger: { version: number; value: number; runId: string };
  champion: { version: number; value: number } | null;
}

test("the bundled pipeline trains the delay model with the demo's trainer: promoted first, an equal retrain rejected", async (t) => {
  const repo = repoCopy(join(ROOT, "feature_repo"), tempDir(t, "mlf-bundled-"));
  // train.mjs finds the package by walking up from the repository, which a temp copy is not
  // inside: point the copy's at this package's build.
  writeFileSync(join(repo, "train.mjs"), `await import(${JSON.stringify(join(ROOT, "dist", "scripts", "demo", "train-job.js"))});\n`);
  await prepareData({ root: repo, origins: ["ATL", "ORD", "DFW", "LAX", "DEN"], since: "2001-05-20", labelEvery: 4 });
  const apply = mlf(["-C", repo, "apply"]);
  assert.equal(apply.status, 0, apply.stderr);
  assert.match(apply.stdout, /Created pipeline delay_model_retrain/);

  const first = mlf(["-C", repo, "pipeline", "run", "delay_model_retrain", "--json"]);
  assert.equal(first.status, 0, first.stderr);
  const promoted = first.json<RunJson>();
  assert.equal(promoted.outcome, "promoted", promoted.reason);
  assert.ok(promoted.challenger.value > 0.6 && promoted.challenger.value < 1, `AUC ${promoted.challenger.value}`);
  // The trainer ran in pipeline mode: squared inputs, fit on the training set, its own holdout figures logged.
  const train = getRun(join(repo, "mlruns"), promoted.challenger.runId);
  assert.equal(train.params.model, "logistic_regression_squares");
  assert.equal(train.params.features?.split(",").length, 10);
  assert.ok(Math.abs(train.metrics.auc!.value - promoted.challenger.value) < 1e-6, "the trainer's own holdout AUC is the one mlf computed through onnxruntime");
  const model = JSON.parse(readFileSync(join(train.info.artifactDir, "model", "model.json"), "utf8")) as { squares?: boolean; weights: number[] };
  assert.equal(model.squares, true);
  assert.equal(model.weights.length, 20);

  const again = mlf(["-C", repo, "pipeline", "run", "delay_model_retrain", "--json", "--force"]);
  assert.equal(again.status, 5, again.stderr);
  const rejected = again.json<RunJson>();
  assert.equal(rejected.outcome, "rejected");
  assert.deepEqual(rejected.champion, { version: 1, value: promoted.challenger.value });
  assert.equal(rejected.challenger.value, promoted.challenger.value, "the demo's trainer is deterministic");
  assert.deepEqual(readAliases(join(repo, "mlruns"), "delay_model"), { champion: 1 });
  assert.equal(listVersions(join(repo, "mlruns"), "delay_model").length, 2);
});
