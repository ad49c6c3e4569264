import { test } from "node:test";
import assert from "node:assert/strict";
import { monitorDrift } from "../../../src/monitor/model-drift.js";
import { openFeatureBackend } from "../../../src/serving/features.js";
import { modelSource } from "../../../src/serving/model-registry-source.js";
import { post, serve } from "../helpers.js";
import { driftRepo, referencePatients, shiftedPatients } from "./drift-fixture.js";
import { logDirOf, metric } from "./helpers.js";

/** The drift gauges of mlf serve, fired by a test clock rather than waited for. */

test("after the interval the served version's drift is a gauge per feature; a model without a reference gets none and one log line", async (t) => {
  const { repo, trackingDir } = await driftRepo(t);
  const dir = logDirOf(repo);
  let tick: (() => void) | undefined;
  let every: number | undefined;
  const schedule = (run: () => void, ms: number) => {
    [tick, every] = [run, ms];
    return () => (tick = undefined);
  };
  const server = await serve(t, {
    features: await openFeatureBackend(repo),
    models: [modelSource(trackingDir, "cancer@champion"), modelSource(trackingDir, "plain/1")],
    featureLog: { dir, sampleRate: 1, flushSeconds: 3600, queueSize: 10_000 },
    drift: { trackingDir, logDir: dir, intervalSeconds: 600, windowSeconds: 86_400, schedule },
  });
  assert.equal(every, 600_000);
  // Two hundred answers from the shifted patients, a hundred from the reference ones.
  for (const id of [...shiftedPatients, ...referencePatients.slice(0, 100)]) {
    for (const model of ["cancer", "plain"]) assert.equal((await post(server, "/predict", { model, entities: { patient_id: id } })).status, 200);
  }
  await server.featureLog!.flush();
  assert.equal(await metric(server, "mlf_dataset_drift", { model: "cancer" }), undefined, "no gauge before the interval");

  tick!();
  await server.drift!.idle();
  const labels = { model: "cancer", version: "2" };
  assert.equal(await metric(server, "mlf_dataset_drift", labels), 1);
  assert.equal(await metric(server, "mlf_drift_rows", labels), 300);
  // The gauges are mlf monitor drift's numbers for the same logs and reference.
  const report = await monitorDrift({ model: "cancer@champion", trackingDir, logDir: dir });
  assert.equal(report.features.length, 30);
  for (const f of report.features) {
    assert.equal(f.test, "ks");
    assert.equal(await metric(server, "mlf_feature_drift_score", { ...labels, feature: f.name, test: "ks" }), f.score, f.name);
    assert.equal(await metric(server, "mlf_feature_drifted", { ...labels, feature: f.name }), f.drifted ? 1 : 0, f.name);
  }
  assert.equal(await metric(server, "mlf_dataset_drift_share", labels), report.dataset.share);
  assert.equal(await metric(server, "mlf_prediction_drift_score", labels), report.prediction!.score!);

  assert.equal(await metric(server, "mlf_dataset_drift", { model: "plain" }), undefined);
  tick!();
  await server.drift!.idle();
  const said = server.logs.filter((l) => l.msg === "no drift gauge");
  assert.equal(said.length, 1, JSON.stringify(said));
  assert.equal(said[0]!.model, "plain");
  assert.match(String(said[0]!.reason), /no reference data/);
});
