import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, mlf, tempDir } from "../helpers.js";
import { doubleJson, experimentJson, metricJson, runJson } from "../../src/mlflow/json.js";
import { getExperiment, getRun } from "../../src/tracking/read.js";
import { createExperiment } from "../../src/tracking/experiments.js";
import { endRun, logMetric, logParam, startRun } from "../../src/tracking/write.js";
import { shapeOf, startTestServer } from "./helpers.js";

/** MLflow's REST responses as its protos and message_to_json define them (see the fixture's README). */
const SAMPLES = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "mlflow-rest", "responses.json"), "utf8")) as Record<string, Record<string, unknown>>;
const sample = (name: string) => SAMPLES[name]!;

test("the library's serializers give MLflow's Run and Experiment shapes", (t) => {
  const root = tempDir(t);
  const exp = createExperiment(root, "iris", { tags: { team: "ops" } });
  const run = startRun(root, { experiment: "iris", runName: "RF", user: "muskaan" });
  logParam(root, run, "n_estimators", "100");
  logMetric(root, run, "accuracy", 0.975, { step: 0, timestamp: 1731484365933 });
  endRun(root, run, { endTime: run.startTime! + 10 });
  const json = runJson(getRun(root, run.runId));
  assert.deepEqual(shapeOf(json), shapeOf((sample("runs/get").run)));
  assert.deepEqual(json.data.metrics, [{ key: "accuracy", value: 0.975, timestamp: 1731484365933, step: 0 }]);
  assert.deepEqual(json.data.params, [{ key: "n_estimators", value: "100" }]);
  assert.equal(json.info.status, "FINISHED");
  assert.equal(json.info.run_id, json.info.run_uuid);
  assert.deepEqual(shapeOf(experimentJson(getExperiment(root, exp.experimentId))), shapeOf(sample("experiments/get-by-name").experiment));
  // A RUNNING run has no end_time, and a run without params or metrics has no such lists (proto JSON).
  const open = runJson(getRun(root, startRun(root, { runName: "calm-otter-12" }).runId));
  assert.deepEqual(shapeOf(open), shapeOf(sample("runs/create (a run without params or metrics)").run));
  assert.equal("end_time" in open.info, false);
  assert.deepEqual([doubleJson(Number.NaN), doubleJson(Infinity), doubleJson(-Infinity), doubleJson(1.5)], ["NaN", "Infinity", "-Infinity", 1.5]);
  assert.deepEqual(metricJson({ key: "loss", value: Number.NaN, timestamp: 1, step: 2 }), { key: "loss", value: "NaN", timestamp: 1, step: 2 });
});

test("every REST answer has the shape of MLflow's sample, and --json prints the same objects", async (t) => {
  const s = await startTestServer(t);
  const { body: created } = await s.call<{ experiment_id: string }>("POST", "/experiments/create", { name: "MLOps_CA_2", tags: [{ key: "team", value: "ops" }] });
  assert.deepEqual(shapeOf(created), shapeOf(sample("experiments/create")));
  const byName = await s.call("GET", "/experiments/get-by-name", { experiment_name: "MLOps_CA_2" });
  assert.deepEqual(shapeOf(byName.body), shapeOf(sample("experiments/get-by-name")));
  assert.deepEqual(shapeOf((await s.call("POST", "/experiments/search", { filter: "name = 'Default'" })).body), shapeOf(sample("experiments/search")));

  const first = await s.call<{ run: { info: { run_id: string } } }>("POST", "/runs/create", { experiment_id: created.experiment_id, run_name: "calm-otter-12", start_time: 1731484365897, tags: [{ key: "mlflow.user", value: "muskaan" }] });
  assert.deepEqual(shapeOf(first.body), shapeOf(sample("runs/create (a run without params or metrics)")));
  const runId = first.body.run.info.run_id;
  await s.call("POST", "/runs/log-batch", { run_id: runId, metrics: [{ key: "accuracy", value: 0.975, timestamp: 1731484365933, step: 0 }], params: [{ key: "n_estimators", value: "100" }] });
  const updated = await s.call("POST", "/runs/update", { run_id: runId, status: "FINISHED", end_time: 1731484374241 });
  assert.deepEqual(shapeOf(updated.body), shapeOf(sample("runs/update")));
  const got = await s.call<{ run: Record<string, unknown> }>("GET", "/runs/get", { run_id: runId });
  assert.deepEqual(shapeOf(got.body), shapeOf(sample("runs/get")));
  await s.call("POST", "/runs/create", { experiment_id: created.experiment_id });
  const searched = await s.call("POST", "/runs/search", { experiment_ids: [created.experiment_id], max_results: 1, order_by: ["metrics.accuracy DESC"] });
  assert.deepEqual(shapeOf(searched.body), shapeOf(sample("runs/search")));

  await s.call("POST", "/runs/log-metric", { run_id: runId, key: "loss", value: 0.5, timestamp: 1731484365933, step: 0 });
  await s.call("POST", "/runs/log-metric", { run_id: runId, key: "loss", value: "NaN", timestamp: 1731484365934, step: 1 });
  const history = await s.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "loss" });
  assert.deepEqual(history.body, sample("metrics/get-history"));

  const put = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${created.experiment_id}/${runId}/artifacts/model/MLmodel`, { method: "PUT", body: "flavors: {}\n" });
  assert.equal(put.status, 200);
  const listed = await s.call("GET", "/artifacts/list", { run_id: runId });
  assert.deepEqual(shapeOf(listed.body), shapeOf(sample("artifacts/list")));
  const proxied = await (await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts?path=${created.experiment_id}/${runId}/artifacts/model`)).json();
  assert.deepEqual(proxied, { files: [{ path: "MLmodel", is_dir: false, file_size: 12 }] });

  await s.call("POST", "/registered-models/create", { name: "SVMClassifier", description: "iris classifier", tags: [{ key: "team", value: "ops" }] });
  const source = `mlflow-artifacts:/${created.experiment_id}/${runId}/artifacts/model`;
  const version = await s.call("POST", "/model-versions/create", { name: "SVMClassifier", source, run_id: runId, tags: [{ key: "validated", value: "true" }] });
  assert.equal((version.body.model_version as { status: string }).status, "READY");
  await s.call("POST", "/registered-models/alias", { name: "SVMClassifier", alias: "champion", version: "1" });
  await s.call("POST", "/model-versions/transition-stage", { name: "SVMClassifier", version: "1", stage: "Production", archive_existing_versions: false });
  const model = await s.call("GET", "/registered-models/get", { name: "SVMClassifier" });
  assert.deepEqual(shapeOf(model.body), shapeOf(sample("registered-models/get")));
  const mv = await s.call("GET", "/model-versions/get", { name: "SVMClassifier", version: "1" });
  assert.deepEqual(shapeOf(mv.body), shapeOf(sample("model-versions/get")));
  assert.deepEqual((await s.call("GET", "/model-versions/get-download-uri", { name: "SVMClassifier", version: "1" })).body, { artifact_uri: source });

  const missing = await s.call("GET", "/runs/get", { run_id: "0123456789abcdef0123456789abcdef" });
  assert.equal(missing.status, 404);
  assert.deepEqual(shapeOf(missing.body), shapeOf(sample("error (runs/get of an unknown run)")));
  await s.call("POST", "/runs/log-parameter", { run_id: runId, key: "lr", value: "0.1" });
  const changed = await s.call("POST", "/runs/log-parameter", { run_id: runId, key: "lr", value: "0.2" });
  assert.equal(changed.status, 400);
  assert.deepEqual(changed.body, { error_code: "INVALID_PARAMETER_VALUE", message: (sample("error (runs/log-parameter changing a value)").message as string).replace("4ef5854252b74eaead2df1501e3dd622", runId) });

  // The CLI prints the very objects the server answers (plus mlf's own fields under "mlf").
  const env = { MLF_CACHE_DIR: tempDir(t) };
  const shown = mlf(["track", "show", runId, "--json", "--tracking-dir", s.root], { env }).json<Record<string, unknown>>();
  const { mlf: extra, ...mlflowRun } = shown;
  assert.deepEqual(mlflowRun, (await s.call<{ run: unknown }>("GET", "/runs/get", { run_id: runId })).body.run);
  assert.equal((extra as { liveness: string }).liveness, "unknown");
  const versions = mlf(["registry", "versions", "SVMClassifier", "--json", "--tracking-dir", s.root]).json<unknown[]>();
  assert.deepEqual(versions, [(await s.call<{ model_version: unknown }>("GET", "/model-versions/get", { name: "SVMClassifier", version: "1" })).body.model_version]);
  const models = mlf(["registry", "ls", "--json", "--tracking-dir", s.root]).json<unknown[]>();
  assert.deepEqual(models, [(await s.call<{ registered_model: unknown }>("GET", "/registered-models/get", { name: "SVMClassifier" })).body.registered_model]);
});
