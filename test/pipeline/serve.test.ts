import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readVersion } from "../../src/models/store.js";
import { OnnxModel } from "../../src/serving/runtime/onnx.js";
import { postJson, startServe } from "../../scripts/demo/mlf.js";
import { mlf } from "../helpers.js";
import { pipelineRepo } from "./fixture.js";

interface Answer {
  prediction: number;
  model_version: string;
}

test("mlf serve picks up the champion a pipeline promotes through its alias hot swap", async (t) => {
  const repo = await pipelineRepo(t);
  const first = mlf(["-C", repo.root, "pipeline", "run", "churn_retrain", "--json"], { env: { PIPELINE_TRAINER: "weak" } });
  assert.equal(first.status, 0, first.stderr);

  const server = await startServe(repo.root, ["--model", "churn@champion", "--poll-interval", "0.2"]);
  t.after(() => server.stop());
  // Request-time values for every input: the answer depends on the model only.
  const request = { model: "churn", entities: { customer_id: 1000 }, features: { x1: 1.5, x2: -0.5, noise: 0.3 } };
  const before = await postJson<Answer>(`${server.url}/predict`, request);
  assert.equal(before.status, 200, JSON.stringify(before.body));
  assert.equal(before.body.model_version, "1");

  const promoted = mlf(["-C", repo.root, "pipeline", "run", "churn_retrain", "--json", "--force"], { env: { PIPELINE_TRAINER: "good" } });
  assert.equal(promoted.status, 0, promoted.stderr);
  assert.equal(promoted.json<{ outcome: string }>().outcome, "promoted");

  let after = before;
  const deadline = Date.now() + 15_000;
  while (after.body.model_version === "1" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    after = await postJson<Answer>(`${server.url}/predict`, request);
    assert.equal(after.status, 200, JSON.stringify(after.body));
  }
  assert.equal(after.body.model_version, "2");
  // The answer is version 2's: its registered ONNX file, run here on the same inputs.
  const v2 = readVersion(repo.config.trackingPath, "churn", 2);
  const model = await OnnxModel.load(readFileSync(`${fileURLToPath(v2.storageLocation!)}/model.onnx`), "version 2");
  const [expected] = await model.predict({ kind: "frame", columns: ["x1", "x2", "noise"], rows: [[1.5, -0.5, 0.3]] });
  await model.release();
  assert.ok(Math.abs(after.body.prediction - (expected as number)) < 1e-6, `served ${after.body.prediction}, version 2 gives ${expected}`);
  assert.notEqual(after.body.prediction.toFixed(4), before.body.prediction.toFixed(4));
});
