import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../helpers.js";
import { shapeOf, startTestServer, type TestServer } from "./helpers.js";

/** MLflow 3's logged models and run inputs/outputs, as its client sends them (plain JSON over HTTP). */

const SAMPLES = JSON.parse(readFileSync(join(ROOT, "test", "fixtures", "mlflow-rest", "responses.json"), "utf8")) as Record<string, unknown>;
const md5 = (...parts: string[]) => parts.reduce((h, p) => h.update(p), createHash("md5")).digest("hex");

type ModelJson = { info: { model_id: string; name: string; status: string; artifact_uri: string; tags?: unknown[] }; data: { params?: unknown[]; metrics?: { key: string; value: number; dataset_name?: string; run_id?: string }[] } };

async function newRun(s: TestServer, experiment_id: string): Promise<string> {
  const { body } = await s.call<{ run: { info: { run_id: string } } }>("POST", "/runs/create", { experiment_id, start_time: 1_000 });
  return body.run.info.run_id;
}

async function newModel(s: TestServer, message: Record<string, unknown>): Promise<ModelJson> {
  const r = await s.call<{ model: ModelJson }>("POST", "/logged-models", message);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.model;
}

test("MLflow 3's log_model flow: create, upload, finalize, metrics on a dataset, inputs and outputs, in MLflow's file layout", async (t) => {
  const s = await startTestServer(t);
  const { body: exp } = await s.call<{ experiment_id: string }>("POST", "/experiments/create", { name: "iris" });
  const runId = await newRun(s, exp.experiment_id);
  const created = await newModel(s, { experiment_id: exp.experiment_id, name: "rf", model_type: "sklearn", source_run_id: runId, params: [{ key: "n_estimators", value: "100" }], tags: [{ key: "team", value: "ops" }] });
  const id = created.info.model_id;
  assert.equal(created.info.status, "LOGGED_MODEL_PENDING");
  assert.equal(created.info.artifact_uri, `mlflow-artifacts:/${exp.experiment_id}/models/${id}/artifacts`);
  // The client uploads the model's files through the artifact proxy, into the model's own folder.
  const put = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${exp.experiment_id}/models/${id}/artifacts/MLmodel`, { method: "PUT", body: "flavors: {}\n" });
  assert.equal(put.status, 200);
  const folder = join(s.root, exp.experiment_id, "models", id);
  assert.equal(readFileSync(join(folder, "artifacts", "MLmodel"), "utf8"), "flavors: {}\n");
  const finalized = await s.call<{ model: ModelJson }>("PATCH", `/logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" });
  assert.equal(finalized.body.model.info.status, "LOGGED_MODEL_READY");

  const dataset = { name: "iris", digest: "3ac0f5b2", source_type: "local", source: '{"uri": "/data/iris.csv"}', schema: '{"mlflow_colspec": []}', profile: '{"num_rows": 150}' };
  const inputs = await s.call("POST", "/runs/log-inputs", { run_id: runId, datasets: [{ tags: [{ key: "mlflow.data.context", value: "training" }], dataset }], models: [{ model_id: id }] });
  assert.equal(inputs.status, 200, JSON.stringify(inputs.body));
  assert.equal((await s.call("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: id, step: 0 }] })).status, 200);
  // A metric of the model computed on the dataset, as mlflow.log_metric(..., model_id=, dataset=) sends it.
  await s.call("POST", "/runs/log-batch", { run_id: runId, params: [{ key: "n_estimators", value: "100" }], metrics: [{ key: "accuracy", value: 0.9, timestamp: 10, step: 0, dataset_name: "iris", dataset_digest: "3ac0f5b2", model_id: id }] });
  await s.call("POST", "/runs/log-metric", { run_id: runId, key: "accuracy", value: 0.975, timestamp: 20, step: 1, dataset_name: "iris", dataset_digest: "3ac0f5b2", model_id: id });

  await s.call("POST", "/runs/update", { run_id: runId, status: "FINISHED", end_time: 30 });
  const got = await s.call<{ model: ModelJson }>("GET", `/logged-models/${id}`);
  assert.deepEqual(shapeOf(got.body), shapeOf(SAMPLES["logged-models/get"]));
  assert.deepEqual(got.body.model.data.metrics, [{ key: "accuracy", value: 0.975, timestamp: 20, step: 1, dataset_name: "iris", dataset_digest: "3ac0f5b2", model_id: id, run_id: runId }]);
  const run = await s.call<{ run: { inputs: unknown; outputs: unknown; data: { metrics: unknown[] } } }>("GET", "/runs/get", { run_id: runId });
  assert.deepEqual(shapeOf(run.body), shapeOf(SAMPLES["runs/get (MLflow 3: dataset and model inputs, model outputs)"]));
  assert.deepEqual(run.body.run.inputs, { dataset_inputs: [{ tags: [{ key: "mlflow.data.context", value: "training" }], dataset }], model_inputs: [{ model_id: id }] });
  assert.deepEqual(run.body.run.outputs, { model_outputs: [{ model_id: id, step: 0 }] });

  // MLflow's file store layout, file by file.
  const meta = parse(readFileSync(join(folder, "meta.yaml"), "utf8")) as Record<string, unknown>;
  assert.deepEqual([meta.model_id, meta.name, meta.status, meta.source_run_id, meta.lifecycle_stage, meta.model_type], [id, "rf", 2, runId, "active", "sklearn"]);
  assert.equal(readFileSync(join(folder, "params", "n_estimators"), "utf8"), "100");
  assert.equal(readFileSync(join(folder, "metrics", "accuracy"), "utf8"), `10 0.9 0 ${runId} iris 3ac0f5b2\n20 0.975 1 ${runId} iris 3ac0f5b2\n`);
  const datasetId = md5("iris", "3ac0f5b2");
  const datasetMeta = parse(readFileSync(join(s.root, exp.experiment_id, "datasets", datasetId, "meta.yaml"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(datasetMeta, { digest: "3ac0f5b2", name: "iris", profile: dataset.profile, schema: dataset.schema, source: dataset.source, source_type: "local" });
  const edge = parse(readFileSync(join(s.root, exp.experiment_id, runId, "inputs", md5(datasetId, runId), "meta.yaml"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(edge, { destination_id: datasetId, destination_type: "RUN", source_id: datasetId, source_type: "DATASET", tags: { "mlflow.data.context": "training" } });
  assert.equal(readFileSync(join(s.root, exp.experiment_id, runId, "metrics", "accuracy"), "utf8"), "10 0.9 0 iris 3ac0f5b2\n20 0.975 1 iris 3ac0f5b2\n");
  // The experiment's models/ and datasets/ folders are not runs.
  const search = await s.call<{ runs: unknown[] }>("POST", "/runs/search", { experiment_ids: [exp.experiment_id] });
  assert.equal(search.body.runs.length, 1);
});

test("logged models: search with filters, datasets, order_by and pages; tags, params and delete; bad input changes nothing", async (t) => {
  const s = await startTestServer(t);
  const { body: exp } = await s.call<{ experiment_id: string }>("POST", "/experiments/create", { name: "e" });
  const runId = await newRun(s, exp.experiment_id);
  const ids: string[] = [];
  for (const [i, acc] of [0.7, 0.9, 0.8].entries()) {
    const m = await newModel(s, { experiment_id: exp.experiment_id, name: `m${i}`, params: [{ key: "depth", value: String(i + 2) }] });
    ids.push(m.info.model_id);
    await s.call("POST", "/runs/log-batch", { run_id: runId, metrics: [{ key: "acc", value: acc, timestamp: 100 + i, step: 0, dataset_name: i === 2 ? "test" : "train", dataset_digest: "d1", model_id: m.info.model_id }] });
    await new Promise((r) => setTimeout(r, 5)); // distinct creation times
  }
  const find = async (message: Record<string, unknown>) => {
    const r = await s.call<{ models?: ModelJson[]; next_page_token?: string }>("POST", "/logged-models/search", { experiment_ids: [exp.experiment_id], ...message });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return { names: (r.body.models ?? []).map((m) => m.info.name), token: r.body.next_page_token };
  };
  // MLflow's default order: newest first.
  assert.deepEqual((await find({})).names, ["m2", "m1", "m0"]);
  assert.deepEqual((await find({ filter: "metrics.acc > 0.75" })).names, ["m2", "m1"]);
  assert.deepEqual((await find({ filter: "metrics.acc > 0.75", datasets: [{ dataset_name: "train" }] })).names, ["m1"]);
  assert.deepEqual((await find({ datasets: [{ dataset_name: "test", dataset_digest: "d1" }] })).names, ["m2"]);
  assert.deepEqual((await find({ filter: "params.depth = '2' " })).names, ["m0"]);
  assert.deepEqual((await find({ filter: "name LIKE 'm%' AND creation_timestamp > 0" })).names, ["m2", "m1", "m0"]);
  assert.deepEqual((await find({ order_by: [{ field_name: "metrics.acc", ascending: false }] })).names, ["m1", "m2", "m0"]);
  assert.deepEqual((await find({ order_by: [{ field_name: "metrics.acc", dataset_name: "train" }] })).names, ["m0", "m1", "m2"], "m2 has no acc on train: last");
  assert.deepEqual((await find({ order_by: [{ field_name: "name", ascending: true }] })).names, ["m0", "m1", "m2"]);
  const first = await find({ max_results: 2 });
  assert.deepEqual(first.names, ["m2", "m1"]);
  assert.deepEqual((await find({ max_results: 2, page_token: first.token })).names, ["m0"]);

  await s.call("PATCH", `/logged-models/${ids[0]}/tags`, { tags: [{ key: "stage", value: "dev" }] });
  assert.deepEqual((await find({ filter: "tags.stage = 'dev'" })).names, ["m0"]);
  assert.equal((await s.call("DELETE", `/logged-models/${ids[0]}/tags/stage`)).status, 200);
  assert.deepEqual((await s.call("DELETE", `/logged-models/${ids[0]}/tags/stage`)).body.error_code, "RESOURCE_DOES_NOT_EXIST");
  assert.equal((await s.call("POST", `/logged-models/${ids[0]}/params`, { params: [{ key: "lr", value: "0.1" }] })).status, 200);
  const changed = await s.call("POST", `/logged-models/${ids[0]}/params`, { params: [{ key: "lr", value: "0.2" }] });
  assert.equal(changed.status, 400);
  assert.equal(readFileSync(join(s.root, exp.experiment_id, "models", ids[0]!, "params", "lr"), "utf8"), "0.1");

  // Bad input: a clear MLflow error, and nothing written.
  const badStatus = await s.call("PATCH", `/logged-models/${ids[1]}`, { status: "LOGGED_MODEL_PENDING" });
  assert.deepEqual([badStatus.status, badStatus.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  const unknown = await s.call("GET", "/logged-models/m-0000");
  assert.deepEqual([unknown.status, unknown.body.error_code], [404, "RESOURCE_DOES_NOT_EXIST"]);
  assert.equal((await s.call("GET", "/logged-models/..%2F..%2Fetc")).status, 400);
  const before = readdirSync(join(s.root, exp.experiment_id, runId));
  const badInput = await s.call("POST", "/runs/log-inputs", { run_id: runId, datasets: [{ dataset: { name: "ok", digest: "1", source_type: "local", source: "x" } }], models: [{ model_id: "m-missing" }] });
  assert.deepEqual([badInput.status, badInput.body.error_code], [404, "RESOURCE_DOES_NOT_EXIST"]);
  assert.deepEqual(readdirSync(join(s.root, exp.experiment_id, runId)), before);
  assert.equal(existsSync(join(s.root, exp.experiment_id, "datasets")), false);
  const noDigest = await s.call("POST", "/runs/log-inputs", { run_id: runId, datasets: [{ dataset: { name: "ok", source_type: "local", source: "x" } }] });
  assert.deepEqual([noDigest.status, noDigest.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  const unknownMetricModel = await s.call("POST", "/runs/log-metric", { run_id: runId, key: "acc", value: 1, timestamp: 1, model_id: "m-missing" });
  assert.equal(unknownMetricModel.status, 404);
  assert.equal(readFileSync(join(s.root, exp.experiment_id, runId, "metrics", "acc"), "utf8").split("\n").length, 4, "three lines, none added");
  assert.equal((await s.call("POST", "/logged-models/search", { experiment_ids: [exp.experiment_id], order_by: [{ field_name: "params.depth" }] })).status, 400);

  // Delete: gone from get and search, files kept (MLflow's soft delete).
  assert.equal((await s.call("DELETE", `/logged-models/${ids[1]}`)).status, 200);
  assert.equal((await s.call("GET", `/logged-models/${ids[1]}`)).status, 404);
  assert.deepEqual((await find({})).names, ["m2", "m0"]);
  const meta = parse(readFileSync(join(s.root, exp.experiment_id, "models", ids[1]!, "meta.yaml"), "utf8")) as Record<string, unknown>;
  assert.equal(meta.lifecycle_stage, "deleted");
});

test("an MLflow 2 client's log_model appends to the run's mlflow.log-model.history tag", async (t) => {
  const s = await startTestServer(t);
  const runId = await newRun(s, "0");
  for (const path of ["model", "model2"]) {
    const r = await s.call("POST", "/runs/log-model", { run_id: runId, model_json: JSON.stringify({ artifact_path: path, flavors: { python_function: {} }, run_id: runId }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const { body } = await s.call<{ run: { data: { tags: { key: string; value: string }[] } } }>("GET", "/runs/get", { run_id: runId });
  const history = JSON.parse(body.run.data.tags.find((x) => x.key === "mlflow.log-model.history")!.value) as { artifact_path: string }[];
  assert.deepEqual(history.map((m) => m.artifact_path), ["model", "model2"]);
  assert.equal((await s.call("POST", "/runs/log-model", { run_id: runId, model_json: "[1" })).status, 400);
});
