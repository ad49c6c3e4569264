import { test } from "node:test";
import assert from "node:assert/strict";
import { openFeatureBackend } from "../../../src/serving/features.js";
import { modelSource } from "../../../src/serving/model-registry-source.js";
import { OnnxModel } from "../../../src/serving/runtime/onnx.js";
import { assertClose, expected, get, post, serve } from "../helpers.js";
import { patientIds } from "../repo.js";
import { aliases, lab, route, routedServer } from "./setup.js";

const batch = { model: "cancer", entities: { patient_id: patientIds } };

test("shadow: the champion's answers are returned unchanged, the challenger scores every request after them, both predictions are logged", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const plain = await serve(t, { features: await openFeatureBackend(l.repo), models: [modelSource(l.trackingDir, "cancer@champion")] });
  const unrouted = (await post(plain, "/predict", batch)).body;
  const server = await routedServer(t, l, route("cancer:shadow=cancer@challenger"));

  const answer = await post(server, "/predict", batch);
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.body.predictions, unrouted.predictions, "the same numbers as without the route");
  assert.deepEqual(new Set(answer.body.variants), new Set(["champion"]));
  assert.deepEqual(new Set(answer.body.model_versions), new Set(["1"]));
  assert.equal(answer.body.route, "shadow");
  const one = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[4] } });
  assert.deepEqual([one.body.prediction, one.body.variant, one.body.model_version], [unrouted.predictions[4], "champion", "1"]);

  await server.routing!.settled();
  const shadowed = server.logs.filter((r) => r.msg === "shadow prediction");
  assert.equal(shadowed.length, 2);
  const [first] = shadowed as { request_id: string; rows: { answered: { variant: string; version: string; prediction: number }; shadow: { variant: string; version: string; prediction: number } }[] }[];
  assert.equal(first!.request_id, answer.body.request_id);
  const oracle = await OnnxModel.load(l.shifted, "shifted");
  const challengerSays = (await oracle.predict({ kind: "named", tensors: { input: expected.rows } })) as number[];
  await oracle.release();
  assert.deepEqual(first!.rows.map((r) => r.answered.prediction), answer.body.predictions);
  assertClose(first!.rows.map((r) => r.shadow.prediction), challengerSays);
  assert.deepEqual(new Set(first!.rows.map((r) => `${r.answered.variant}@${r.answered.version} ${r.shadow.variant}@${r.shadow.version}`)), new Set(["champion@1 challenger@2"]));

  // A label scores both: the answer the user got and the shadow's.
  const fed = await post(server, "/feedback", { request_id: answer.body.request_id, row: 7, label: expected.label[7] });
  assert.equal(fed.status, 200, fed.text);
  const y = expected.label[7]!;
  assert.ok(Math.abs(fed.body.reward - (1 - (y - answer.body.predictions[7]) ** 2)) < 1e-12);
  assert.deepEqual([fed.body.shadow.variant, fed.body.shadow.model_version], ["challenger", "2"]);
  assert.ok(Math.abs(fed.body.shadow.reward - (1 - (y - challengerSays[7]!) ** 2)) < 1e-6);
  const variants = (await get(server, "/routes")).body.routes[0].variants;
  assert.deepEqual(variants.map((v: { rewards: { count: number } }) => v.rewards.count), [1, 1]);
  assert.deepEqual(variants.map((v: { share: number }) => v.share), [1, 1], "a shadow's share is the share of requests it scores");
});

test("shadow: a failing shadow never changes an answer and is rolled back", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 3);
  const server = await routedServer(t, l, route("cancer:shadow=cancer@challenger", { minRequests: 20 }));
  let requests = 0;
  while ((await get(server, "/routes")).body.routes[0].variants[1].share > 0 && requests < 100) {
    const i = requests++ % 30;
    const answer = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[i] } });
    assert.equal(answer.status, 200, answer.text);
    assertClose([answer.body.prediction], [expected.proba_1[i]!]);
    await server.routing!.settled();
  }
  const challenger = (await get(server, "/routes")).body.routes[0].variants[1];
  assert.equal(challenger.share, 0);
  assert.match(challenger.rolled_back.reason, /^error rate 100\.0%/);
  // Checked every 20 shadow requests, once 20 of both variants' requests fall in the same period.
  const failed = server.logs.filter((r) => r.msg === "shadow failed").length;
  assert.ok(failed === requests && failed >= 20 && failed <= 40, `${failed} shadow failures in ${requests} requests`);
});

