import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { MLRUNS_IRIS, mlf, tempDir } from "../helpers.js";
import { getMetricHistory, getRun } from "../../src/tracking/read.js";
import { startTestServer } from "./helpers.js";

const IRIS_EXP = "853099972095872099";
const IRIS_RUN = "4ef5854252b74eaead2df1501e3dd622";

test("16 clients logging 1,000 points each in parallel lose nothing", async (t) => {
  const s = await startTestServer(t);
  const { body } = await s.call<{ run: { info: { run_id: string } } }>("POST", "/runs/create", { experiment_id: "0" });
  const run_id = body.run.info.run_id;
  const clients = 16;
  const points = 1000;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    // Each client: 900 points in batches of 100 and 100 single log-metric calls, a param and a tag.
    for (let b = 0; b < 9; b++) {
      const metrics = Array.from({ length: 100 }, (_, i) => ({ key: "loss", value: c + (b * 100 + i) / 10_000, timestamp: 1_700_000_000_000 + c, step: b * 100 + i }));
      const r = await s.call("POST", "/runs/log-batch", { run_id, metrics, ...(b === 0 && { params: [{ key: `client_${c}`, value: String(c) }], tags: [{ key: `tag_${c}`, value: "x" }] }) });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    for (let i = 900; i < points; i++) {
      const r = await s.call("POST", "/runs/log-metric", { run_id, key: "loss", value: c + i / 10_000, timestamp: 1_700_000_000_000 + c, step: i });
      assert.equal(r.status, 200);
    }
  }));
  const history = getMetricHistory(s.root, run_id, "loss");
  assert.deepEqual(history.warnings, []);
  assert.equal(history.metrics.length, clients * points);
  const seen = new Set(history.metrics.map((m) => `${m.timestamp - 1_700_000_000_000}:${m.step}`));
  assert.equal(seen.size, clients * points, "every (client, step) exactly once");
  const run = getRun(s.root, run_id);
  assert.equal(Object.keys(run.params).length, clients);
  assert.equal(Object.keys(run.tags).filter((k) => k.startsWith("tag_")).length, clients);
  const served = await s.call<{ metrics: unknown[] }>("GET", "/metrics/get-history", { run_id, metric_key: "loss" });
  assert.equal(served.body.metrics.length, clients * points);
});

/** Every file below a run folder (relative paths), skipping empty folders git cannot keep. */
function files(dir: string, prefix = ""): string[] {
  return readdirSync(dir).sort().flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name), `${prefix}${name}/`) : [`${prefix}${name}`]));
}
const yamlKeys = (file: string) => Object.keys(parse(readFileSync(file, "utf8")) as object).sort();

test("a run logged through REST is in MLflow's file layout, like the real mlruns-iris store", async (t) => {
  const s = await startTestServer(t);
  const exp = await s.call<{ experiment_id: string }>("POST", "/experiments/create", { name: "MLOps_CA_2" });
  const experiment_id = exp.body.experiment_id;
  const iris = getRun(MLRUNS_IRIS, IRIS_RUN);
  // Replay the fixture run: its tags and metrics (MLflow's own), through the REST API.
  const { body } = await s.call<{ run: { info: { run_id: string; artifact_uri: string } } }>("POST", "/runs/create", {
    experiment_id, run_name: iris.info.runName, start_time: iris.info.startTime, user_id: iris.info.userId,
    tags: Object.entries(iris.tags).map(([key, value]) => ({ key, value })),
  });
  const run_id = body.run.info.run_id;
  await s.call("POST", "/runs/log-batch", { run_id, metrics: Object.values(iris.metrics).map(({ key, value, timestamp, step }) => ({ key, value, timestamp, step })) });
  const model = readFileSync(join(iris.info.artifactDir, "model", "MLmodel"));
  await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/${body.run.info.artifact_uri.replace("mlflow-artifacts:/", "")}/model/MLmodel`, { method: "PUT", body: model });
  await s.call("POST", "/runs/update", { run_id, status: "FINISHED", end_time: iris.info.endTime });

  const ours = join(s.root, experiment_id, run_id);
  const theirs = join(MLRUNS_IRIS, IRIS_EXP, IRIS_RUN);
  assert.deepEqual(files(ours).filter((f) => !f.startsWith("artifacts/model/") || f === "artifacts/model/MLmodel"), files(theirs).filter((f) => !f.startsWith("artifacts/model/") || f === "artifacts/model/MLmodel"));
  assert.deepEqual(yamlKeys(join(ours, "meta.yaml")), yamlKeys(join(theirs, "meta.yaml")));
  assert.deepEqual(yamlKeys(join(s.root, experiment_id, "meta.yaml")), yamlKeys(join(MLRUNS_IRIS, IRIS_EXP, "meta.yaml")));
  assert.deepEqual(yamlKeys(join(s.root, "0", "meta.yaml")), yamlKeys(join(MLRUNS_IRIS, "0", "meta.yaml")));
  for (const metric of readdirSync(join(theirs, "metrics"))) assert.equal(readFileSync(join(ours, "metrics", metric), "utf8"), readFileSync(join(theirs, "metrics", metric), "utf8"), metric);
  for (const tag of readdirSync(join(theirs, "tags"))) assert.equal(readFileSync(join(ours, "tags", tag), "utf8"), readFileSync(join(theirs, "tags", tag), "utf8"), tag);
  const meta = parse(readFileSync(join(ours, "meta.yaml"), "utf8")) as Record<string, unknown>;
  const fixture = parse(readFileSync(join(theirs, "meta.yaml"), "utf8")) as Record<string, unknown>;
  for (const key of ["end_time", "start_time", "status", "run_name", "user_id", "lifecycle_stage", "source_type"]) assert.deepEqual(meta[key], fixture[key], key);
  // `mlf track show` and the fixture agree on the shape of the run.
  const env = { MLF_CACHE_DIR: tempDir(t) };
  const shown = mlf(["track", "show", run_id, "--json", "--tracking-dir", s.root], { env }).json<{ data: unknown; info: Record<string, unknown> }>();
  const reference = mlf(["track", "show", IRIS_RUN, "--json", "--tracking-dir", MLRUNS_IRIS], { env }).json<{ data: unknown; info: Record<string, unknown> }>();
  assert.deepEqual(shown.data, reference.data);
  assert.deepEqual(Object.keys(shown.info).sort(), Object.keys(reference.info).sort());
});

test("artifact routes refuse paths that escape; tokens guard every route; bodies are limited", async (t) => {
  const s = await startTestServer(t, { authToken: "s3cret", bodyLimitBytes: 64 * 1024 });
  const auth = { authorization: "Bearer s3cret" };
  for (const headers of [{}, { authorization: "Bearer wrong" }, { authorization: "s3cret" }] as Record<string, string>[]) {
    const denied = await s.call("GET", "/experiments/get", { experiment_id: "0" }, headers);
    assert.deepEqual([denied.status, denied.body.error_code], [401, "UNAUTHENTICATED"]);
  }
  assert.equal((await fetch(`${s.url}/api/2.0/mlflow-artifacts/artifacts/0/a/artifacts/x`, { method: "PUT", body: "x" })).status, 401);
  assert.equal((await fetch(`${s.url}/health`)).status, 401);
  const { body } = await s.call<{ run: { info: { run_id: string } } }>("POST", "/runs/create", {}, auth);
  const run_id = body.run.info.run_id;
  const base = `${s.url}/api/2.0/mlflow-artifacts/artifacts`;
  for (const path of [`0/${run_id}/artifacts/../../../0/meta.yaml`, `0/${run_id}/artifacts/..%2F..%2Fmeta.yaml`, "%2Fetc%2Fpasswd", "0/meta.yaml", `0/${run_id}/meta.yaml`, `0/${run_id}/params/x`]) {
    for (const method of ["PUT", "GET", "DELETE"]) {
      const r = await fetch(`${base}/${path}`, { method, headers: auth, ...(method === "PUT" && { body: "pwned" }) });
      assert.equal(r.status, 400, `${method} ${path}`);
    }
  }
  assert.equal((await fetch(`${base}?path=..%2F..`, { headers: auth })).status, 400);
  assert.equal((await s.call("GET", "/artifacts/list", { run_id, path: "../.." }, auth)).status, 400);
  assert.deepEqual(readFileSync(join(s.root, "0", "meta.yaml"), "utf8").includes("pwned"), false);
  const escape = await s.call("POST", "/runs/log-metric", { run_id, key: "../../x", value: 1, timestamp: 1 }, auth);
  assert.deepEqual([escape.status, escape.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  assert.equal((await s.call("POST", "/registered-models/create", { name: "../models2" }, auth)).status, 400);
  const big = await s.call("POST", "/runs/set-tag", { run_id, key: "k", value: "x".repeat(100 * 1024) }, auth);
  assert.equal(big.status, 413);
  const upload = await fetch(`${base}/0/${run_id}/artifacts/ok.txt`, { method: "PUT", headers: auth, body: "fine" });
  assert.equal(upload.status, 200);
  assert.equal(new URL(s.url).hostname, "127.0.0.1", "loopback by default");
});
