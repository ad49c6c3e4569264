import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyRepo } from "../../src/apply/apply.js";
import { openFeatureBackend } from "../../src/serving/features.js";
import { expected, get, post, serve } from "./helpers.js";
import { EVENT_TIME, cancerRepo, patientIds } from "./repo.js";

test("/get-online-features answers in Feast's shape, keys first, with statuses and times", async (t) => {
  const { repo } = await cancerRepo(t);
  const server = await serve(t, { features: await openFeatureBackend(repo) });
  const res = await post(server, "/get-online-features", {
    features: ["cancer:mean_radius", "cancer:mean_texture"],
    entities: { patient_id: [patientIds[0], "1001", 5] },
    full_feature_names: false,
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, {
    metadata: { feature_names: ["patient_id", "mean_radius", "mean_texture"] },
    results: [
      { values: [1000, 1001, 5], statuses: ["PRESENT", "PRESENT", "PRESENT"], event_timestamps: ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"] },
      { values: [expected.rows[0]![0], expected.rows[1]![0], null], statuses: ["PRESENT", "PRESENT", "NOT_FOUND"], event_timestamps: [EVENT_TIME, EVENT_TIME, "1970-01-01T00:00:00Z"] },
      { values: [expected.rows[0]![1], expected.rows[1]![1], null], statuses: ["PRESENT", "PRESENT", "NOT_FOUND"], event_timestamps: [EVENT_TIME, EVENT_TIME, "1970-01-01T00:00:00Z"] },
    ],
  });
  const service = await post(server, "/get-online-features", { feature_service: "cancer_all", entities: { patient_id: [1000] }, full_feature_names: true });
  assert.equal(service.status, 200, service.text);
  assert.equal(service.body.metadata.feature_names.length, 31);
  assert.equal(service.body.metadata.feature_names[1], "cancer__mean_radius");

  const bad: [string, unknown, number][] = [
    ["unknown view", { features: ["nope:x"], entities: { patient_id: [1] } }, 404],
    ["unknown feature", { features: ["cancer:nope"], entities: { patient_id: [1] } }, 404],
    ["mistyped key", { features: ["cancer:mean_radius"], entities: { patient_id: ["abc"] } }, 400],
    ["missing key", { features: ["cancer:mean_radius"], entities: { driver_id: [1] } }, 400],
    ["features and service", { features: ["cancer:mean_radius"], feature_service: "cancer_all", entities: { patient_id: [1] } }, 400],
    ["entities not lists", { features: ["cancer:mean_radius"], entities: { patient_id: 1 } }, 400],
    ["unknown body key", { features: ["cancer:mean_radius"], entities: { patient_id: [1] }, extra: 1 }, 400],
  ];
  for (const [what, body, status] of bad) {
    const r = await post(server, "/get-online-features", body);
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.ok(typeof r.body.error_code === "string" && typeof r.body.message === "string", what);
  }
  const csv = await post(server, "/get-online-features", "patient_id\n1000", "text/csv");
  assert.equal(csv.status, 415, csv.text);
  assert.equal(csv.body.error_code, "unsupported_media_type");
});

test("/push writes rows newer-wins; an older push changes nothing; bad rows write nothing", async (t) => {
  const { repo } = await cancerRepo(t);
  const server = await serve(t, { features: await openFeatureBackend(repo) });
  const row = (id: number, ts: string, radius: number) => ({
    patient_id: [id],
    event_timestamp: [ts],
    ...Object.fromEntries(expected.feature_names.map((f, i) => [f, [i === 0 ? radius : expected.rows[0]![i]!]])),
  });
  const read = async (id: number) => (await post(server, "/get-online-features", { features: ["cancer:mean_radius"], entities: { patient_id: [id] } })).body.results[1];

  const newer = await post(server, "/push", { feature_view: "cancer", df: row(1000, "2024-02-01T00:00:00Z", 99), to: "online" });
  assert.equal(newer.status, 200, newer.text);
  assert.deepEqual((await read(1000)).values, [99]);
  assert.deepEqual((await read(1000)).event_timestamps, ["2024-02-01T00:00:00Z"]);
  const older = await post(server, "/push", { push_source_name: "cancer_rows", df: row(1000, "2023-06-01T00:00:00Z", 1) });
  assert.equal(older.status, 200, older.text);
  assert.deepEqual((await read(1000)).values, [99]);
  const fresh = await post(server, "/push", { feature_view: "cancer", df: row(7, "2024-02-01T00:00:00Z", 5) });
  assert.equal(fresh.status, 200);
  assert.deepEqual((await read(7)).values, [5]);

  const bad: [string, unknown, number][] = [
    ["string in a float feature", { feature_view: "cancer", df: { ...row(8, "2024-02-01T00:00:00Z", 1), mean_area: ["big"] } }, 400],
    ["unparsable time", { feature_view: "cancer", df: row(8, "yesterday-ish", 1) }, 400],
    ["missing feature column", { feature_view: "cancer", df: { patient_id: [8], event_timestamp: ["2024-02-01T00:00:00Z"] } }, 400],
    ["unknown view", { feature_view: "nope", df: row(8, "2024-02-01T00:00:00Z", 1) }, 404],
    ["offline target", { feature_view: "cancer", df: row(8, "2024-02-01T00:00:00Z", 1), to: "offline" }, 400],
    ["null key", { feature_view: "cancer", df: { ...row(8, "2024-02-01T00:00:00Z", 1), patient_id: [null] } }, 400],
  ];
  for (const [what, body, status] of bad) {
    const r = await post(server, "/push", body);
    assert.equal(r.status, status, `${what}: ${r.text}`);
  }
  assert.deepEqual((await read(8)).statuses, ["NOT_FOUND"]);

  const metrics = (await get(server, "/metrics")).text;
  const age = Number(/mlf_feature_freshness_seconds\{view="cancer"\} ([0-9.e+]+)/.exec(metrics)?.[1]);
  // The newest stored event is the push of 2024-02-01, not the materialization's end (2024-06-01).
  assert.ok(Math.abs(age - (Date.now() - Date.parse("2024-02-01T00:00:00Z")) / 1000) < 60, `freshness ${age}`);
});

test("a view added by mlf apply is served after a reload; no registry means not ready", async (t) => {
  const { repo } = await cancerRepo(t);
  const server = await serve(t, { features: await openFeatureBackend(repo) });
  const ask = () => post(server, "/get-online-features", { features: ["cancer2:mean_radius"], entities: { patient_id: [1000] } });
  assert.equal((await ask()).status, 404);
  const yaml = readFileSync(join(repo.root, "features.yaml"), "utf8");
  writeFileSync(join(repo.root, "features.yaml"), yaml.replace("feature_services:", "  - name: cancer2\n    entities: [patient]\n    source: cancer_rows\n    ttl: 0\n    schema:\n      - {name: mean_radius, dtype: float64}\nfeature_services:"));
  await applyRepo(repo);
  assert.equal((await post(server, "/admin/reload", {})).status, 200);
  const res = await ask();
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.results[1].statuses, ["NOT_FOUND"]);

  rmSync(repo.config.registry);
  await post(server, "/admin/reload", {});
  const ready = await get(server, "/ready");
  assert.equal(ready.status, 503);
  assert.match(ready.body.message, /mlf apply/);
});
