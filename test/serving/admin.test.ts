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
  // prom-client's default process, event-loop and GC metrics, under its names.
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(metrics.text)?.[1]);
  assert.ok(value("process_cpu_seconds_total") > 0);
  assert.ok(Math.abs(value("process_cpu_seconds_total") - value("process_cpu_user_seconds_total") - value("process_cpu_system_seconds_total")) < 0.01);
  assert.ok(Math.abs(value("process_start_time_seconds") - (Date.now() / 1000 - process.uptime())) < 2, "the server runs in this process");
  assert.ok(value("process_resident_memory_bytes") > 10e6 && value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
  assert.ok(value("process_open_fds") > 3 && value("process_max_fds") >= value("process_open_fds"));
  assert.ok(value("nodejs_eventloop_lag_seconds") >= 0 && value("nodejs_eventloop_lag_seconds") < 5);
  assert.ok(value("nodejs_eventloop_lag_p99_seconds") >= value("nodejs_eventloop_lag_p50_seconds"));
  assert.ok(value("nodejs_heap_size_used_bytes") > 0 && value("nodejs_heap_size_used_bytes") <= value("nodejs_heap_size_total_bytes"));
  assert.match(metrics.text, /^nodejs_heap_space_size_used_bytes\{space="old"\} \d+$/m);
  assert.match(metrics.text, new RegExp(`^nodejs_version_info\\{version="${process.version}",major="\\d+",minor="\\d+",patch="\\d+"\\} 1$`, "m"));
  assert.match(metrics.text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  // The whole answer is valid exposition text: every family described once, every sample line well formed.
  const families = metrics.text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
  assert.equal(new Set(families).size, families.length, "no family twice");
  for (const line of metrics.text.trimEnd().split("\n")) {
    if (!line.startsWith("#")) assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf)$/, line);
  }
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
