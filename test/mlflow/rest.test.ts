import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { mlf, tempDir } from "../helpers.js";
import { startTestServer } from "./helpers.js";

/** MLflow's documented curl examples and client flows, replayed as raw HTTP. */

test("MLflow's curl examples: form-encoded JSON bodies, GET query strings, both API prefixes", async (t) => {
  const s = await startTestServer(t);
  // curl -X POST .../experiments/create -d '{"name": "test"}' sends application/x-www-form-urlencoded.
  const created = await fetch(`${s.url}/api/2.0/mlflow/experiments/create`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: '{"name": "test"}' });
  assert.equal(created.status, 200);
  const { experiment_id } = (await created.json()) as { experiment_id: string };
  const got = await (await fetch(`${s.url}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`)).json() as { experiment: { name: string; artifact_location: string } };
  assert.deepEqual([got.experiment.name, got.experiment.artifact_location], ["test", `mlflow-artifacts:/${experiment_id}`]);
  const ajax = await (await fetch(`${s.url}/ajax-api/2.0/mlflow/experiments/get-by-name?experiment_name=test`)).json() as { experiment: { experiment_id: string } };
  assert.equal(ajax.experiment.experiment_id, experiment_id);
  // Experiment "0" exists from the start; a run without experiment goes there.
  const run = await s.call<{ run: { info: { experiment_id: string } } }>("POST", "/runs/create", {});
  assert.equal(run.body.run.info.experiment_id, "0");
  const dup = await s.call("POST", "/experiments/create", { name: "test" });
  assert.deepEqual([dup.status, dup.body.error_code], [400, "RESOURCE_ALREADY_EXISTS"]);
  const bad = await fetch(`${s.url}/api/2.0/mlflow/runs/create`, { method: "POST", body: "{not json" });
  assert.deepEqual([bad.status, ((await bad.json()) as { error_code: string }).error_code], [400, "BAD_REQUEST"]);
  const noName = await s.call("POST", "/experiments/create", {});
  assert.deepEqual(noName.body, { error_code: "INVALID_PARAMETER_VALUE", message: "Missing value for required parameter 'name'. See the API docs for more information about request parameters." });
  const filter = await s.call("POST", "/runs/search", { experiment_ids: ["0"], filter: "metrics.rmse < 'a'" });
  assert.deepEqual([filter.status, filter.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  assert.equal((await s.call("GET", "/runs/get", { run_id: "../../etc" })).status, 400);
});

test("search pages with page_token, within MLflow's max_results limits", async (t) => {
  const s = await startTestServer(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await s.call<{ run: { info: { run_id: string } } }>("POST", "/runs/create", { experiment_id: "0", start_time: 1000 + i });
    ids.push(r.body.run.info.run_id);
    await s.call("POST", "/runs/log-metric", { run_id: r.body.run.info.run_id, key: "m", value: i, timestamp: 1, step: 0 });
  }
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const { body } = await s.call<{ runs: { info: { run_id: string } }[]; next_page_token?: string }>("POST", "/runs/search", { experiment_ids: ["0"], max_results: 2, order_by: ["metrics.m ASC"], ...(token && { page_token: token }) });
    seen.push(...body.runs.map((r) => r.info.run_id));
    token = body.next_page_token;
    pages++;
  } while (token);
  assert.deepEqual([pages, seen], [3, ids]);
  const tooMany = await s.call("POST", "/runs/search", { experiment_ids: ["0"], max_results: 50_001 });
  assert.deepEqual([tooMany.status, tooMany.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  const models = await s.call("GET", "/registered-models/search", { max_results: 1001 });
  assert.equal(models.status, 400);
  const byGet = await s.call<{ runs: unknown[] }>("GET", "/runs/search", { experiment_ids: ["0"], filter: "metrics.m >= 3" });
  assert.equal(byGet.body.runs.length, 2);
});

test("register_model's flow: create (tolerating RESOURCE_ALREADY_EXISTS), list artifacts, create version READY at once", async (t) => {
  const s = await startTestServer(t);
  const { body } = await s.call<{ run: { info: { run_id: string; artifact_uri: string } } }>("POST", "/runs/create", { experiment_id: "0" });
  const { run_id, artifact_uri } = body.run.info;
  const path = artifact_uri.replace("mlflow-artifacts:/", "");
  for (const [file, text] of [["model/MLmodel", "flavors:\n  sklearn: {}\n"], ["model/model.pkl", "bytes"]]) {
    assert.equal((await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${path}/${file}`, { method: "PUT", body: text })).status, 200);
  }
  // The artifacts are in the run's own folder, in MLflow's file layout.
  assert.ok(existsSync(join(s.root, "0", run_id, "artifacts", "model", "MLmodel")));
  assert.equal(await (await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${path}/model/model.pkl`)).text(), "bytes");
  for (const expected of [200, 400]) {
    const created = await s.call("POST", "/registered-models/create", { name: "iris" });
    assert.equal(created.status, expected);
    if (expected === 400) assert.equal(created.body.error_code, "RESOURCE_ALREADY_EXISTS");
  }
  const listed = await s.call<{ files: { path: string; is_dir: boolean }[] }>("GET", "/artifacts/list", { run_id, path: "model" });
  assert.deepEqual(listed.body.files.map((f) => f.path), ["model/MLmodel", "model/model.pkl"]);
  const version = await s.call<{ model_version: { version: string; status: string } }>("POST", "/model-versions/create", { name: "iris", source: `${artifact_uri}/model`, run_id });
  assert.deepEqual([version.body.model_version.version, version.body.model_version.status], ["1", "READY"]);
  const again = await s.call<{ model_version: { status: string } }>("GET", "/model-versions/get", { name: "iris", version: "1" });
  assert.equal(again.body.model_version.status, "READY");
  await s.call("POST", "/registered-models/alias", { name: "iris", alias: "champion", version: "1" });
  const byAlias = await s.call<{ model_version: { version: string; aliases: string[] } }>("GET", "/registered-models/alias", { name: "iris", alias: "champion" });
  assert.deepEqual(byAlias.body.model_version.aliases, ["champion"]);
  const latest = await (await fetch(`${s.url}/api/2.0/mlflow/registered-models/get-latest-versions?name=iris&stages=None&stages=Production`)).json() as { model_versions: { version: string }[] };
  assert.deepEqual(latest.model_versions.map((v) => v.version), ["1"]);
  // mlf's registry sees it, artifact resolved from the run.
  const shown = mlf(["registry", "show", "iris@champion", "--json", "--tracking-dir", s.root], { env: { MLF_CACHE_DIR: tempDir(t) } });
  assert.equal(shown.status, 0, shown.stderr);
  assert.deepEqual(shown.json<{ mlf: { flavors: string[]; artifact_dir: string } }>().mlf.flavors, ["sklearn"]);
  // Rename, description, tags, delete-alias with a query string, stage transitions, delete.
  assert.equal((await s.call("POST", "/registered-models/rename", { name: "iris", new_name: "iris2" })).status, 200);
  assert.equal((await s.call("PATCH", "/registered-models/update", { name: "iris2", description: "d" })).body.registered_model !== undefined, true);
  await s.call("POST", "/model-versions/set-tag", { name: "iris2", version: "1", key: "k", value: "v" });
  await s.call("PATCH", "/model-versions/update", { name: "iris2", version: "1", description: "first" });
  await s.call("POST", "/model-versions/create", { name: "iris2", source: `${artifact_uri}/model`, run_id });
  await s.call("POST", "/model-versions/transition-stage", { name: "iris2", version: "1", stage: "Production" });
  const moved = await s.call<{ model_version: { current_stage: string } }>("POST", "/model-versions/transition-stage", { name: "iris2", version: "2", stage: "Production", archive_existing_versions: true });
  assert.equal(moved.body.model_version.current_stage, "Production");
  const v1 = await s.call<{ model_version: { current_stage: string; description: string; tags: unknown[] } }>("GET", "/model-versions/get", { name: "iris2", version: "1" });
  assert.deepEqual([v1.body.model_version.current_stage, v1.body.model_version.description, v1.body.model_version.tags], ["Archived", "first", [{ key: "k", value: "v" }]]);
  assert.equal((await fetch(`${s.url}/api/2.0/mlflow/registered-models/alias?name=iris2&alias=champion`, { method: "DELETE" })).status, 200);
  const searched = await s.call<{ model_versions: { version: string }[] }>("GET", "/model-versions/search", { filter: `run_id = '${run_id}'` });
  assert.deepEqual(searched.body.model_versions.map((v) => v.version), ["2", "1"]);
  assert.equal((await s.call("DELETE", "/model-versions/delete", { name: "iris2", version: "2" })).status, 200);
  assert.equal((await s.call("DELETE", "/registered-models/delete", { name: "iris2" })).status, 200);
  assert.equal((await s.call("GET", "/registered-models/get", { name: "iris2" })).status, 404);
});

test("--no-serve-artifacts: runs get a file:// artifact_uri the client writes to, and no proxy", async (t) => {
  const s = await startTestServer(t, { serveArtifacts: false });
  const { body } = await s.call<{ run: { info: { run_id: string; artifact_uri: string } } }>("POST", "/runs/create", { experiment_id: "0" });
  const dir = fileURLToPath(body.run.info.artifact_uri);
  assert.equal(dir, join(s.root, "0", body.run.info.run_id, "artifacts"));
  mkdirSync(join(dir, "model"), { recursive: true });
  writeFileSync(join(dir, "model", "MLmodel"), "flavors: {}\n");
  const listed = await s.call<{ files: { path: string }[] }>("GET", "/artifacts/list", { run_id: body.run.info.run_id });
  assert.deepEqual(listed.body.files.map((f) => f.path), ["model"]);
  const proxy = await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/0/${body.run.info.run_id}/artifacts/x`, { method: "PUT", body: "x" });
  assert.equal(proxy.status, 404);
});
