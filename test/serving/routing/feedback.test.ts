import { test } from "node:test";
import assert from "node:assert/strict";
import { fileModelSource } from "../../../src/serving/sources.js";
import { MODEL, expected, get, post, serve } from "../helpers.js";
import { aliases, lab, predict, route, routedServer, testClock } from "./setup.js";

test("feedback: by request id (and row) or by entity, reward or label, once per prediction; mistakes are clear 4xx", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const clock = testClock();
  const server = await routedServer(t, l, route("cancer:canary=cancer@challenger:50%"), { clock });

  const one = await predict(server, 40_001);
  const fed = await post(server, "/feedback", { request_id: one.body.request_id, reward: 0.25 });
  assert.equal(fed.status, 200, fed.text);
  assert.deepEqual(fed.body, { model: "cancer", request_id: one.body.request_id, row: 0, variant: one.body.variant, model_version: one.body.model_version, reward: 0.25 });
  const again = await post(server, "/feedback", { request_id: one.body.request_id, reward: 1 });
  assert.equal(again.status, 409);
  assert.match(again.body.message, /already has its feedback; a prediction is rewarded once/);

  // A batch: name the row; the row's own variant is credited.
  const users = [40_002, 40_003, 40_004, 40_005, 40_006, 40_007];
  const batch = await predict(server, users);
  const noRow = await post(server, "/feedback", { request_id: batch.body.request_id, reward: 1 });
  assert.equal(noRow.status, 400);
  assert.match(noRow.body.message, /predicted 6 rows; say which one with "row" \(from 0\)/);
  assert.equal((await post(server, "/feedback", { request_id: batch.body.request_id, row: 6, reward: 1 })).status, 400);
  const row3 = await post(server, "/feedback", { request_id: batch.body.request_id, row: 3, reward: 1 });
  assert.deepEqual([row3.body.variant, row3.body.model_version], [batch.body.variants[3], batch.body.model_versions[3]]);

  // By entity: the user's latest prediction; a label is scored against it (1 - Brier).
  const latest = await predict(server, 40_009);
  const label = expected.label[40_009 % 30]!;
  const byKey = await post(server, "/feedback", { entities: { patient_id: "40009" }, label });
  assert.equal(byKey.status, 200, byKey.text);
  assert.equal(byKey.body.request_id, latest.body.request_id);
  assert.ok(Math.abs(byKey.body.reward - (1 - (label - latest.body.prediction) ** 2)) < 1e-12);
  const stranger = await post(server, "/feedback", { entities: { patient_id: 99 }, reward: 1 });
  assert.equal(stranger.status, 404);
  assert.match(stranger.body.message, /^No prediction of cancer for patient_id=99 in the feedback window/);

  const unknown = await post(server, "/feedback", { request_id: "req-nope", reward: 1 });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error_code, "not_found");
  assert.match(unknown.body.message, /^No routed prediction has request id "req-nope" \(feedback is taken for 3600 s or the last 100000 predicted rows of a route, on the server that answered, until it restarts\); check the id from the \/predict answer\.$/);
  for (const [body, pattern] of [
    [{ reward: 1 }, /Name the prediction with "request_id" \(from the \/predict answer\) or with "entities", not both or neither/],
    [{ request_id: one.body.request_id }, /Send "reward" \(a number from 0 to 1\) or "label" \(the true outcome\), not both or neither/],
    [{ request_id: one.body.request_id, reward: 1.5 }, /body\/reward must be <= 1/],
    [{ request_id: one.body.request_id, reward: 1, extra: 1 }, /must NOT have additional properties/],
  ] as const) {
    const res = await post(server, "/feedback", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(res.body.message, pattern);
  }
  const notRouted = await post(server, "/feedback", { model: "other", request_id: one.body.request_id, reward: 1 });
  assert.equal(notRouted.status, 404);
  assert.match(notRouted.body.message, /^Model "other" has no route; feedback is taken for routed models \(cancer\)\.$/);

  // The window: an hour of the route's clock.
  const fresh = await predict(server, 40_010);
  clock.wall += 3600 * 1000 + 1;
  assert.equal((await post(server, "/feedback", { request_id: fresh.body.request_id, reward: 1 })).status, 404);
  const rewards = (await get(server, "/routes")).body.routes[0].variants.reduce((n: number, v: { rewards: { count: number } }) => n + v.rewards.count, 0);
  assert.equal(rewards, 3);
});

test("feedback: the window keeps at most feedback_max predictions, oldest out first", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const server = await routedServer(t, l, { ...route("cancer:canary=cancer@challenger:50%"), feedbackMax: 3 });
  const ids: string[] = [];
  for (let u = 0; u < 5; u++) ids.push((await predict(server, 50_000 + u)).body.request_id);
  const statuses = [];
  for (const id of ids) statuses.push((await post(server, "/feedback", { request_id: id, reward: 1 })).status);
  assert.deepEqual(statuses, [404, 404, 200, 200, 200]);
  assert.equal((await get(server, "/routes")).body.routes[0].feedback.remembered, 3);
});

test("feedback on a server without routes is a 404 naming how to declare one", async (t) => {
  const server = await serve(t, { models: [fileModelSource(MODEL, "cancer")] });
  const res = await post(server, "/feedback", { request_id: "req-1", reward: 1 });
  assert.equal(res.status, 404);
  assert.match(res.body.message, /^No model is routed on this server, so no prediction takes feedback; declare a route with --route or routes: in feature_store.yaml\.$/);
  assert.deepEqual((await get(server, "/routes")).body, { routes: [] });
});
