import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileModelSource } from "../../src/serving/sources.js";
import { tempDir } from "../helpers.js";
import { MODEL, expected, get, post, serve } from "./helpers.js";

test("health, ready, models and metrics describe a loaded model", async (t) => {
  const server = await serve(t, { models: [fileModelSource(MODEL, "cancer")] });
  assert.equal(server.host, "127.0.0.1");
  assert.deepEqual((await get(server, "/health")).body, { status: "ok" });
  const ready = await get(server, "/ready");
  assert.equal(ready.status, 200);
  const [model] = (await get(server, "/models")).body.models;
  assert.equal(model.name, "cancer");
  assert.match(model.version, /^[0-9a-f]{12}$/);
  assert.ok(Date.now() - Date.parse(model.loaded_at) < 60_000);
  assert.match(model.loaded_at, /Z$/);
  assert.deepEqual(model.inputs, ["input"]);
  assert.equal(model.last_error, null);

  await post(server, "/invocations", { instances: expected.rows });
  await post(server, "/invocations", { instances: [[1]] }); // rejected by the model
  await post(server, "/invocations", { nope: 1 }); // rejected by the body schema, before the handler
  await get(server, "/nope");
  const metrics = await get(server, "/metrics");
  assert.match(metrics.type ?? "", /^text\/plain/);
  // Every answer counted once, whoever made it: the handler, the error handler, the 404 handler.
  assert.match(metrics.text, /mlf_http_requests_total\{route="\/invocations",method="POST",status="200"\} 1\n/);
  assert.match(metrics.text, /mlf_http_requests_total\{route="\/invocations",method="POST",status="400"\} 2\n/);
  assert.match(metrics.text, /mlf_http_requests_total\{route="unmatched",method="GET",status="404"\} 1\n/);
  assert.match(metrics.text, /mlf_http_request_duration_seconds_count\{route="\/invocations",method="POST"\} 3\n/);
  assert.match(metrics.text, /mlf_http_request_duration_seconds_bucket\{route="\/invocations",method="POST",le="\+Inf"\} 3\n/);
  const seconds = Number(/mlf_http_request_duration_seconds_sum\{route="\/invocations",method="POST"\} (\S+)/.exec(metrics.text)?.[1]);
  assert.ok(seconds > 0 && seconds < 60, `latency is measured: ${seconds}`);
  assert.match(metrics.text, new RegExp(`mlf_model_info\\{model="cancer",version="${model.version}",alias=""\\} 1`));
  // One log line per request, with its latency and never its body.
  const requestLogs = server.logs.filter((l) => l.msg === "request" && l.route === "/invocations");
  assert.deepEqual(requestLogs.map((l) => l.status), [200, 400, 400]);
  assert.ok(requestLogs.every((l) => typeof l.ms === "number" && l.ms > 0));
  assert.ok(!JSON.stringify(server.logs).includes(String(expected.rows[0]![0])));
});

test("ready is 503 while a model can not be loaded; unknown routes are 404 JSON", async (t) => {
  const file = join(tempDir(t), "broken.onnx");
  writeFileSync(file, "garbage");
  const server = await serve(t, { models: [fileModelSource(file)] });
  assert.equal((await get(server, "/health")).status, 200);
  const ready = await get(server, "/ready");
  assert.equal(ready.status, 503);
  assert.equal(ready.body.error_code, "unavailable");
  assert.match(ready.body.message, /broken/);
  const res = await post(server, "/invocations", { instances: expected.rows });
  assert.equal(res.status, 503);
  const missing = await get(server, "/nope");
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error_code, "not_found");
});

test("feature routes answer 503 without a feature repository", async (t) => {
  const server = await serve(t);
  const res = await post(server, "/get-online-features", { features: ["v:f"], entities: { k: [1] } });
  assert.equal(res.status, 503);
  assert.equal(res.body.error_code, "unavailable");
});
