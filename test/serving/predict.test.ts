import { test } from "node:test";
import assert from "node:assert/strict";
import { setAlias } from "../../src/models/lifecycle.js";
import { registerModel } from "../../src/models/register.js";
import { openFeatureBackend } from "../../src/serving/features.js";
import { modelSource } from "../../src/serving/model-registry-source.js";
import { assertClose, expected, get, post, serve } from "./helpers.js";
import { cancerRepo, featureRefs, patientIds } from "./repo.js";

test("/predict fetches features by entity key in the model's recorded order; single and batch", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  setAlias(trackingDir, "cancer", "champion", 1);
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "cancer@champion")] });

  const one = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[1] } });
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(Object.keys(one.body).sort(), ["model", "model_version", "prediction", "request_id"]);
  assert.match(one.body.request_id, /^req-[0-9a-z]+-[0-9a-z]+$/);
  assert.equal(one.body.model, "cancer");
  assert.equal(one.body.model_version, "1");
  assertClose([one.body.prediction], [expected.proba_1[1]!]);

  const batch = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds.map(String) } });
  assert.equal(batch.status, 200, batch.text);
  assertClose(batch.body.predictions, expected.proba_1);

  // A request-time value overrides the stored one: row 1's features sent for patient 1000.
  const merged = await post(server, "/predict", {
    model: "cancer",
    entities: { patient_id: [patientIds[0]] },
    features: Object.fromEntries(expected.feature_names.map((f, i) => [f, [expected.rows[1]![i]!]])),
  });
  assert.equal(merged.status, 200, merged.text);
  assertClose(merged.body.predictions, [expected.proba_1[1]!]);

  // A third of the inputs sent (under each accepted name), the rest read online: still row 1.
  const names = (f: string, i: number) => [`cancer:${f}`, `cancer__${f}`, f][(i / 3) % 3]!;
  const some = Object.fromEntries(expected.feature_names.flatMap((f, i) => (i % 3 === 0 ? [[names(f, i), expected.rows[1]![i]!]] : [])));
  const mixed = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[1] }, features: some });
  assert.equal(mixed.status, 200, mixed.text);
  assertClose([mixed.body.prediction], [expected.proba_1[1]!]);

  // Entity keys the model's features do not use are ignored.
  const extra = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[1], store_id: 7 } });
  assert.equal(extra.status, 200, extra.text);
  assertClose([extra.body.prediction], [expected.proba_1[1]!]);

  // The model records its features, so /invocations matches columns by name in any order.
  const reversed = [...expected.feature_names].reverse();
  const inv = await post(server, "/invocations", { dataframe_split: { columns: reversed, data: expected.rows.map((r) => [...r].reverse()) } });
  assert.equal(inv.status, 200, inv.text);
  assertClose(inv.body.predictions, expected.proba_1);

  const [status] = (await get(server, "/models")).body.models;
  assert.equal(status.alias, "champion");
  assert.deepEqual(status.features, featureRefs);

  const bad: [string, unknown, number][] = [
    ["unknown entity", { model: "cancer", entities: { patient_id: 99 } }, 404],
    ["unknown model", { model: "nope", entities: { patient_id: 1000 } }, 404],
    ["mistyped key", { model: "cancer", entities: { patient_id: "x" } }, 400],
    ["list lengths differ", { model: "cancer", entities: { patient_id: [1000, 1001] }, features: { mean_radius: [1] } }, 400],
    ["string feature", { model: "cancer", entities: { patient_id: 1000 }, features: { mean_radius: "big" } }, 400],
    ["no model", { entities: { patient_id: 1000 } }, 400],
  ];
  for (const [what, body, code] of bad) {
    const r = await post(server, "/predict", body);
    assert.equal(r.status, code, `${what}: ${r.text}`);
  }
});

test("moving an alias swaps the served version; the new version is reported", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  const { MODEL } = await import("./helpers.js");
  await registerModel(trackingDir, "cancer", { file: MODEL, features: featureRefs });
  setAlias(trackingDir, "cancer", "champion", 1);
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "models:/cancer@champion")] });
  const ask = () => post(server, "/predict", { model: "cancer", entities: { patient_id: 1000 } });
  assert.equal((await ask()).body.model_version, "1");
  setAlias(trackingDir, "cancer", "champion", 2);
  assert.equal((await post(server, "/admin/reload", {})).status, 200);
  assert.equal((await ask()).body.model_version, "2");
  const [status] = (await get(server, "/models")).body.models;
  assert.equal(status.version, "2");
  assert.match((await get(server, "/metrics")).text, /mlf_model_info\{model="cancer",version="2",alias="champion"\} 1/);
});

test("/predict with a model that records no features says to use /invocations", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  const { MODEL } = await import("./helpers.js");
  await registerModel(trackingDir, "bare", { file: MODEL });
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "bare/1")] });
  const res = await post(server, "/predict", { model: "bare", entities: { patient_id: 1000 } });
  assert.equal(res.status, 400, res.text);
  assert.match(res.body.message, /\/invocations/);
  const [status] = (await get(server, "/models")).body.models;
  assert.equal(status.version, "1");
  assert.equal(status.alias, null);
});
