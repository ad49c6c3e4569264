import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { listLogFiles, logFolder } from "../../../src/repo/feature-logs.js";
import { setAlias } from "../../../src/models/lifecycle.js";
import { openFeatureBackend } from "../../../src/serving/features.js";
import { sampleKey } from "../../../src/serving/logging/logger.js";
import { modelSource } from "../../../src/serving/model-registry-source.js";
import { assertClose, expected, post, serve } from "../helpers.js";
import { cancerRepo, patientIds } from "../repo.js";
import { describeLog, logDirOf, metric, readLog } from "./helpers.js";

/** mlf serve's feature log, written by a real server and read back by DuckDB. */

const LOGGING = { sampleRate: 1, flushSeconds: 3600, queueSize: 10_000 };

test("/predict and feature service answers are logged with keys, values, statuses and predictions", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  setAlias(trackingDir, "cancer", "champion", 1);
  const dir = logDirOf(repo);
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "cancer@champion")], featureLog: { dir, ...LOGGING } });
  const started = Date.now();

  assert.equal((await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[1] } })).status, 200);
  const batch = await post(server, "/predict", { model: "cancer", entities: { patient_id: [patientIds[2], patientIds[3], patientIds[4]] } });
  assert.equal(batch.status, 200);
  // A request-time value is logged as sent (PRESENT); a null one as NULL_VALUE.
  const sent = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[5] }, features: { mean_radius: 99.5, "cancer:mean_texture": null } });
  assert.equal(sent.status, 200, sent.text);
  // Failed requests are not logged.
  assert.equal((await post(server, "/predict", { model: "cancer", entities: { patient_id: 5 } })).status, 404);
  assert.equal((await post(server, "/get-online-features", { feature_service: "cancer_all", entities: { patient_id: [patientIds[0], 5] } })).status, 200);
  // A list of features is no feature service: Feast logs neither.
  assert.equal((await post(server, "/get-online-features", { features: ["cancer:mean_radius"], entities: { patient_id: [patientIds[0]] } })).status, 200);
  // Nothing is written on the request path.
  assert.ok(!existsSync(dir));

  await server.featureLog!.flush();
  const files = listLogFiles(logFolder(dir, "models", "cancer"));
  assert.equal(files.length, 1);
  const types = await describeLog(files[0]!);
  assert.deepEqual(
    Object.entries(types).filter(([name]) => !name.startsWith("cancer:") && !name.startsWith("status.")),
    [["timestamp", "TIMESTAMP WITH TIME ZONE"], ["model", "VARCHAR"], ["model_version", "INTEGER"], ["route", "VARCHAR"], ["variant", "VARCHAR"], ["request_id", "VARCHAR"], ["request_row", "INTEGER"], ["key.patient_id", "BIGINT"], ["prediction", "DOUBLE"]],
  );
  assert.equal(types["cancer:mean_radius"], "DOUBLE");
  assert.equal(types["status.cancer:mean_radius"], "VARCHAR");
  assert.equal(Object.keys(types).length, 9 + 2 * 30);

  const rows = await readLog(dir, "models", "cancer");
  assert.equal(rows.length, 5);
  assert.deepEqual(rows.map((r) => [r.model, r.model_version, r.route, r.variant, r.request_row, r["key.patient_id"]]), [
    ["cancer", 1, "/predict", null, 0, BigInt(patientIds[1]!)],
    ["cancer", 1, "/predict", null, 0, BigInt(patientIds[2]!)],
    ["cancer", 1, "/predict", null, 1, BigInt(patientIds[3]!)],
    ["cancer", 1, "/predict", null, 2, BigInt(patientIds[4]!)],
    ["cancer", 1, "/predict", null, 0, BigInt(patientIds[5]!)],
  ]);
  // One request id per request, shared by a batch's rows.
  assert.equal(new Set(rows.map((r) => r.request_id)).size, 3);
  assert.equal(rows[1]!.request_id, rows[3]!.request_id);
  for (const r of rows) {
    const at = (r.timestamp as Date).getTime();
    assert.ok(at >= started - 1 && at <= Date.now(), String(r.timestamp));
  }
  // Feature values are the online values the model was fed, in every column.
  for (const [k, row] of [1, 2, 3, 4].entries()) {
    expected.feature_names.forEach((f, i) => {
      assert.equal(rows[k]![`cancer:${f}`], expected.rows[row]![i], f);
      assert.equal(rows[k]![`status.cancer:${f}`], "PRESENT");
    });
  }
  assertClose(rows.slice(0, 4).map((r) => r.prediction as number), [1, 2, 3, 4].map((i) => expected.proba_1[i]!));
  // The null input made the model answer NaN (null in JSON): logged as the NaN it was.
  assert.equal(sent.body.prediction, null);
  assert.ok(Number.isNaN(rows[4]!.prediction));
  assert.equal(rows[4]!["cancer:mean_radius"], 99.5);
  assert.equal(rows[4]!["status.cancer:mean_radius"], "PRESENT");
  assert.equal(rows[4]!["cancer:mean_texture"], null);
  assert.equal(rows[4]!["status.cancer:mean_texture"], "NULL_VALUE");
  assert.equal(rows[4]!["cancer:mean_perimeter"], expected.rows[5]![2]);

  const service = await readLog(dir, "services", "cancer_all");
  assert.deepEqual(service.map((r) => [r.model, r.model_version, r.route, r.request_row, r["key.patient_id"], r["cancer:mean_radius"], r["status.cancer:mean_radius"]]), [
    [null, null, "/get-online-features", 0, BigInt(patientIds[0]!), expected.rows[0]![0], "PRESENT"],
    [null, null, "/get-online-features", 1, 5n, null, "NOT_FOUND"],
  ]);
  assert.ok(!("prediction" in service[0]!));
  assert.equal(await metric(server, "mlf_feature_log_rows_total", { kind: "models", name: "cancer" }), 5);
  assert.equal(await metric(server, "mlf_feature_log_rows_total", { kind: "services", name: "cancer_all" }), 2);
  assert.equal(await metric(server, "mlf_feature_log_files_total", { kind: "models", name: "cancer" }), 1);
});

/** Sends `n` requests from `concurrency` parallel clients; returns their statuses. */
async function burst(n: number, concurrency: number, send: (i: number) => Promise<number>): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) statuses.push(await send(next++));
  }));
  return statuses;
}

test("a full queue drops and counts requests, never failing one", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  const dir = logDirOf(repo);
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "cancer/1")], featureLog: { dir, ...LOGGING, queueSize: 10 } });
  const statuses = await burst(1000, 32, async (i) => (await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[i % 30] } })).status);
  assert.deepEqual([...new Set(statuses)], [200]);
  assert.equal(statuses.length, 1000);
  assert.equal(await metric(server, "mlf_feature_log_queue_rows"), 10);
  assert.equal(await metric(server, "mlf_feature_log_dropped_total", { kind: "models", name: "cancer", reason: "queue_full" }), 990);
  // A batch larger than the room left is dropped whole, never split.
  assert.equal((await post(server, "/predict", { model: "cancer", entities: { patient_id: [patientIds[0], patientIds[1]] } })).status, 200);
  assert.equal(await metric(server, "mlf_feature_log_dropped_total", { kind: "models", name: "cancer", reason: "queue_full" }), 991);
  await server.featureLog!.flush();
  assert.equal((await readLog(dir, "models", "cancer")).length, 10);
  assert.equal(await metric(server, "mlf_feature_log_queue_rows"), 0);
  // Room again after the flush.
  assert.equal((await post(server, "/predict", { model: "cancer", entities: { patient_id: [patientIds[0], patientIds[1]] } })).status, 200);
  assert.equal(await metric(server, "mlf_feature_log_queue_rows"), 2);
});

test("sampling is decided by request id: the same id always, evenly over sequential ids", async (t) => {
  // Fastify's ids are sequential ("req-1", "req-2", ...): the hash must still spread them.
  const ids = Array.from({ length: 100_000 }, (_, i) => `req-${i.toString(36)}`);
  for (const rate of [0.01, 0.1, 0.5, 0.9]) {
    const share = ids.filter((id) => sampleKey(id) < rate).length / ids.length;
    assert.ok(Math.abs(share - rate) < 0.005, `rate ${rate}: ${share}`);
  }
  assert.equal(sampleKey("req-1f"), sampleKey("req-1f"));

  const { repo, trackingDir } = await cancerRepo(t);
  const dir = logDirOf(repo);
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "cancer/1")], featureLog: { dir, ...LOGGING, sampleRate: 0.25 } });
  await burst(400, 8, async (i) => (await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[i % 30] } })).status);
  const sampledOut = await metric(server, "mlf_feature_log_sampled_out_total", { kind: "models", name: "cancer" });
  // Closing the server flushes the queue: every sampled request is on disk afterwards.
  await server.close();
  const logged = (await readLog(dir, "models", "cancer")).map((r) => r.request_id as string);
  assert.equal(logged.length, 400 - sampledOut!);
  assert.ok(logged.length > 60 && logged.length < 140, String(logged.length));
  assert.ok(logged.every((id) => sampleKey(id) < 0.25));
});
