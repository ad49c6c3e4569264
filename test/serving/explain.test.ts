import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { loadExplainer, type Explainer } from "../../src/explain/explainer.js";
import { setAlias } from "../../src/models/lifecycle.js";
import { backgroundRows } from "../../src/models/reference.js";
import { readReference } from "../../src/monitor/read-reference.js";
import { registerMonitoredModel } from "../../src/monitor/register.js";
import { openFeatureBackend } from "../../src/serving/features.js";
import { modelSource } from "../../src/serving/model-registry-source.js";
import { fixture } from "../explain/helpers.js";
import { diabetesIds, diabetesRefs, diabetesRepo, diabetesRows } from "./diabetes-repo.js";
import { MODEL, expected, post, serve } from "./helpers.js";
import { cancerRepo, featureRefs, patientIds } from "./repo.js";

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The library's explainer of a registered version, on its reference sample as background. */
async function libraryExplainer(t: TestContext, trackingDir: string, version: string, model: string, kernelBackground?: number): Promise<Explainer> {
  const reference = readReference(trackingDir, version)!;
  const explainer = await loadExplainer(fixture(model).bytes, { background: backgroundRows(reference.profile), ...(kernelBackground !== undefined && { kernelBackground }) });
  t.after(() => explainer.close());
  return explainer;
}

async function diabetesServer(t: TestContext, models: string[]) {
  const setup = await diabetesRepo(t);
  setAlias(setup.trackingDir, "diabetes", "champion", 1);
  const server = await serve(t, { features: await openFeatureBackend(setup.repo), models: models.map((m) => modelSource(setup.trackingDir, m)) });
  return { ...setup, server };
}

test("/explain on the reference forest: additive within 1e-6, the library's attributions, /predict's prediction and the online values", async (t) => {
  const { server, trackingDir } = await diabetesServer(t, ["diabetes@champion"]);
  const library = await libraryExplainer(t, trackingDir, "diabetes/1", "diabetes_forest");
  for (const r of [0, 1, 57, 99, 100, 119]) {
    const body = { model: "diabetes", entities: { patient_id: diabetesIds[r] } };
    const answer = await post(server, "/explain", body);
    assert.equal(answer.status, 200, answer.text);
    const e = answer.body;
    assert.deepEqual(Object.keys(e), ["model", "model_version", "background_rows", "prediction", "base_value", "explained_value", "space", "transform", "method", "approximate", "target", "attributions"]);
    assert.equal(e.model_version, "1");
    assert.equal(e.background_rows, 120, "the whole reference sample: the file's 120 rows");
    assert.equal(e.method, "tree");
    assert.equal(e.approximate, false);
    assert.equal(e.space, "output");
    const total = e.base_value + sum(e.attributions.map((a: { attribution: number }) => a.attribution));
    assert.ok(Math.abs(total - e.explained_value) < 1e-6, `row ${r}: base + sum = ${total}, explained ${e.explained_value}`);

    const lib = await library.explain(diabetesRows[r]!);
    assert.equal(e.base_value, lib.base_value);
    assert.equal(e.explained_value, lib.explained_value);
    assert.deepEqual(e.attributions.map((a: { attribution: number }) => a.attribution), lib.attributions.map((a) => a.attribution));

    const predicted = await post(server, "/predict", body);
    assert.equal(e.prediction, predicted.body.prediction, "the prediction /predict answers");
    assert.ok(Math.abs(e.prediction - e.explained_value) < 1e-4 * Math.abs(e.prediction), "onnxruntime's float32 sum of the trees, within rounding");

    const online = await post(server, "/get-online-features", { features: diabetesRefs, entities: { patient_id: [diabetesIds[r]] } });
    e.attributions.forEach((a: { feature: string; value: number; status: string; source: string }, i: number) => {
      assert.equal(a.feature, diabetesRefs[i]);
      assert.equal(a.value, online.body.results[i + 1].values[0]);
      assert.equal(a.status, online.body.results[i + 1].statuses[0]);
      assert.equal(a.source, "online");
    });
  }

  // A batch is the single answers in order.
  const ids = [diabetesIds[3], diabetesIds[110], diabetesIds[3]];
  const batch = await post(server, "/explain", { model: "diabetes", entities: { patient_id: ids } });
  assert.equal(batch.status, 200, batch.text);
  assert.deepEqual(Object.keys(batch.body), ["model", "model_version", "background_rows", "explanations"]);
  for (const [i, id] of ids.entries()) {
    const { model, model_version, background_rows, ...single } = (await post(server, "/explain", { model: "diabetes", entities: { patient_id: id } })).body;
    assert.deepEqual(batch.body.explanations[i], single);
  }
});

test("/explain takes request-time values as /predict does: labelled as sent, a null fed as missing", async (t) => {
  const { server, trackingDir } = await diabetesServer(t, ["diabetes@champion"]);
  const library = await libraryExplainer(t, trackingDir, "diabetes/1", "diabetes_forest");
  const body = { model: "diabetes", entities: { patient_id: diabetesIds[5] }, features: { "diabetes:bmi": 0.09, bp: null } };
  const answer = await post(server, "/explain", body);
  assert.equal(answer.status, 200, answer.text);
  const row = [...diabetesRows[5]!];
  row[2] = 0.09;
  row[3] = Number.NaN;
  const lib = await library.explain(row);
  assert.deepEqual(answer.body.attributions.map((a: { attribution: number }) => a.attribution), lib.attributions.map((a) => a.attribution));
  assert.deepEqual(answer.body.attributions[2], { feature: "diabetes:bmi", value: 0.09, status: "PRESENT", source: "request", attribution: lib.attributions[2]!.attribution });
  assert.deepEqual(answer.body.attributions[3], { feature: "diabetes:bp", value: null, status: "NULL_VALUE", source: "request", attribution: lib.attributions[3]!.attribution });
  assert.equal(answer.body.prediction, (await post(server, "/predict", body)).body.prediction);
});

test("the breast-cancer logistic model: attributions in margin space equal w_i (x_i - mean_i) by hand", async (t) => {
  const { repo, trackingDir } = await cancerRepo(t);
  // Version 2: the same model, registered with its 30 rows as reference data.
  await registerMonitoredModel(trackingDir, "cancer", { file: MODEL, features: featureRefs, reference: join(repo.root, "data", "cancer.csv") });
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "cancer/2")] });
  const node = onnxProto.onnx.ModelProto.decode(readFileSync(MODEL)).graph!.node![0]!;
  const floats = (name: string) => node.attribute!.find((a) => a.name === name)!.floats!;
  const width = expected.feature_names.length;
  const w = floats("coefficients").slice(width); // row 1: class 1's margin
  const b = floats("intercepts")[1]!;
  const x32 = expected.rows.map((row) => row.map(Math.fround)); // the model's input is float32
  const mean = Array.from({ length: width }, (_, i) => sum(x32.map((row) => row[i]!)) / x32.length);
  const batch = await post(server, "/explain", { model: "cancer", entities: { patient_id: patientIds } });
  assert.equal(batch.status, 200, batch.text);
  const predictions = (await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds } })).body.predictions;
  batch.body.explanations.forEach((e: any, r: number) => {
    assert.equal(e.method, "linear");
    assert.equal(e.space, "margin");
    assert.equal(e.transform, "logistic");
    assert.equal(e.class, 1);
    assert.equal(e.prediction, predictions[r]);
    const margin = b + sum(w.map((wi, i) => wi * x32[r]![i]!));
    assert.ok(Math.abs(e.explained_value - margin) < 1e-9 * Math.max(1, Math.abs(margin)), `row ${r}: ${e.explained_value} vs ${margin}`);
    assert.ok(Math.abs(e.base_value - (b + sum(w.map((wi, i) => wi * mean[i]!)))) < 1e-9);
    e.attributions.forEach((a: any, i: number) => {
      const hand = w[i]! * (x32[r]![i]! - mean[i]!);
      assert.ok(Math.abs(a.attribution - hand) < 1e-9 * Math.max(1, Math.abs(hand)), `row ${r} ${a.feature}: ${a.attribution} vs ${hand}`);
    });
    assert.ok(Math.abs(1 / (1 + Math.exp(-e.explained_value)) - e.prediction) < 1e-6, "prediction = logistic(margin), to float32");
  });
});

test("a model without an exact method is explained by KernelSHAP on a 50-row seeded subsample of its reference", async (t) => {
  const { server, trackingDir } = await diabetesServer(t, ["mlp/1"]);
  const library = await libraryExplainer(t, trackingDir, "mlp/1", "diabetes_mlp", 50);
  const answer = await post(server, "/explain", { model: "mlp", entities: { patient_id: diabetesIds[7] } });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.body.method, "kernel");
  assert.equal(answer.body.background_rows, 50);
  assert.equal(answer.body.approximate, false, "10 features: the budget covers every coalition");
  const lib = await library.explain(diabetesRows[7]!);
  assert.ok(Math.abs(answer.body.base_value - lib.base_value) < 1e-12);
  answer.body.attributions.forEach((a: { attribution: number }, i: number) => assert.ok(Math.abs(a.attribution - lib.attributions[i]!.attribution) < 1e-9));
  assert.ok(Math.abs(answer.body.base_value + sum(answer.body.attributions.map((a: { attribution: number }) => a.attribution)) - answer.body.explained_value) < 1e-6);
});

test("/explain errors name the fix and change nothing; the explainer is built once, on first use", async (t) => {
  const { server } = await diabetesServer(t, ["diabetes@champion", "bare/1", fixture("diabetes_forest").path]);
  const bad: [string, unknown, number, RegExp][] = [
    ["unknown model", { model: "nope", entities: { patient_id: 2000 } }, 404, /No served model is named nope/],
    ["no reference data", { model: "bare", entities: { patient_id: 2000 } }, 409, /Version 1 of model "bare" has no reference data to explain against; register the model again with --reference FILE/],
    ["a bare model file", { model: "diabetes_forest", entities: { patient_id: 2000 } }, 409, /is not a registered model version.*--reference FILE/],
    ["unknown entity", { model: "diabetes", entities: { patient_id: 99 } }, 404, /No online value of diabetes:age for patient_id=99/],
    ["no entities", { model: "diabetes" }, 400, /must have required property 'entities'/],
    ["unknown key", { model: "diabetes", entities: { patient_id: 2000 }, target: 1 }, 400, /must NOT have additional properties/],
    ["text value", { model: "diabetes", entities: { patient_id: 2000 }, features: { bmi: "high" } }, 400, /"high".*diabetes:bmi/],
    ["too many rows", { model: "diabetes", entities: { patient_id: Array.from({ length: 101 }, (_, i) => 2000 + (i % 120)) } }, 400, /at most 100 per request/],
  ];
  for (const [what, body, status, message] of bad) {
    const answer = await post(server, "/explain", body);
    assert.equal(answer.status, status, `${what}: ${answer.text}`);
    assert.match(answer.body.message, message, what);
  }
  // The version without reference data serves predictions as ever: nothing is built at load.
  assert.equal((await post(server, "/predict", { model: "bare", entities: { patient_id: 2000 } })).status, 200);
  const [first, second] = await server.pool.use("diabetes", (m) => Promise.all([m.explainer.get(), m.explainer.get()]));
  assert.equal(first, second);
  assert.equal(await server.pool.use("diabetes", (m) => m.explainer.get()), first);
});

test("hot swap under /explain load: every answer's prediction and attributions come from the version it names", { timeout: 60_000 }, async (t) => {
  const { server, trackingDir } = await diabetesServer(t, ["diabetes@champion"]);
  const libraries = { "1": await libraryExplainer(t, trackingDir, "diabetes/1", "diabetes_forest"), "2": await libraryExplainer(t, trackingDir, "diabetes/2", "diabetes_ridge") };
  const answers: { r: number; status: number; body: any }[] = [];
  const seen = () => new Set(answers.filter((a) => a.status === 200).map((a) => a.body.model_version));
  let stop = false;
  let next = 0;
  const client = async () => {
    while (!stop) {
      const r = next++ % diabetesRows.length;
      const res = await post(server, "/explain", { model: "diabetes", entities: { patient_id: diabetesIds[r] } });
      answers.push({ r, status: res.status, body: res.body });
    }
  };
  const clients = Array.from({ length: 6 }, client);
  while (answers.length < 60) await new Promise((resolve) => setTimeout(resolve, 5));
  setAlias(trackingDir, "diabetes", "champion", 2);
  assert.equal((await post(server, "/admin/reload", {})).status, 200);
  const swappedAt = answers.length;
  while (answers.length < swappedAt + 60) await new Promise((resolve) => setTimeout(resolve, 5));
  stop = true;
  await Promise.all(clients);

  assert.deepEqual([...seen()].sort(), ["1", "2"]);
  for (const { r, status, body } of answers) {
    assert.equal(status, 200, JSON.stringify(body));
    const version = body.model_version as "1" | "2";
    assert.equal(body.method, version === "1" ? "tree" : "linear", `answer of version ${version}`);
    const lib = await libraries[version].explain(diabetesRows[r]!);
    assert.equal(body.explained_value, lib.explained_value);
    assert.deepEqual(body.attributions.map((a: { attribution: number }) => a.attribution), lib.attributions.map((a) => a.attribution));
    assert.ok(Math.abs(body.prediction - lib.prediction) < 1e-4 * Math.max(1, Math.abs(lib.prediction)), `version ${version} row ${r}: predicted ${body.prediction}, its explainer ${lib.prediction}`);
  }
});
