import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { assertClose, expected, get, post } from "../helpers.js";
import { aliases, answersOf, lab, predict, route, routedServer } from "./setup.js";

const users = Array.from({ length: 4000 }, (_, i) => 10_000 + i);

test("canary: a 5% challenger answers its share of users within 4 sigma, each user sticks to one version, each row from its own model", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const server = await routedServer(t, l, route("cancer:canary=cancer@challenger:5%"));
  const batch = await predict(server, users);
  assert.equal(batch.status, 200, batch.text);
  const { predictions, variants, model_versions, route: mode, model } = batch.body;
  assert.deepEqual([mode, model], ["canary", "cancer"]);
  const challenged = users.filter((_, i) => variants[i] === "challenger");
  // Binomial(4000, 0.05): mean 200, sd 13.8.
  const sd = Math.sqrt(users.length * 0.05 * 0.95);
  assert.ok(Math.abs(challenged.length - 200) <= 4 * sd, `${challenged.length} of 4000 users on the challenger`);
  users.forEach((_, i) => assert.equal(model_versions[i], variants[i] === "challenger" ? "2" : "1"));
  // Each row is its own version's answer: the reference for the champion, the shifted model for the challenger.
  const own = await answersOf(l.shifted, challenged);
  assertClose(challenged.map((u) => predictions[u - 10_000]), own as number[]);
  const stayed = users.filter((_, i) => variants[i] === "champion");
  assertClose(stayed.map((u) => predictions[u - 10_000]), stayed.map((u) => expected.proba_1[u % 30]!));

  // Sticky: the same users again, and one by one, get the same variants.
  assert.deepEqual((await predict(server, users)).body.variants, variants);
  for (const u of [...challenged.slice(0, 5), ...stayed.slice(0, 5)]) {
    const one = await predict(server, u);
    assert.equal(one.body.variant, variants[u - 10_000]);
    assert.equal(one.body.model_version, model_versions[u - 10_000]);
    assert.match(one.body.request_id, /^req-/);
    assert.deepEqual(Object.keys(one.body).sort(), ["model", "model_version", "prediction", "request_id", "route", "variant"]);
  }

  // A larger share keeps every user the smaller one had: users move only from the champion to the challenger.
  await server.close();
  const wider = await routedServer(t, l, route("cancer:canary=cancer@challenger:20%"), { routingState: join(l.dir, "data", "wider.db") });
  const widerVariants: string[] = (await predict(wider, users)).body.variants;
  for (const u of challenged) assert.equal(widerVariants[u - 10_000], "challenger");
  const k = widerVariants.filter((v) => v === "challenger").length;
  assert.ok(Math.abs(k - 800) <= 4 * Math.sqrt(4000 * 0.2 * 0.8), `${k} of 4000 users at 20%`);

  const routes = (await get(wider, "/routes")).body.routes;
  assert.equal(routes.length, 1);
  assert.deepEqual(routes[0].variants.map((v: { variant: string; version: string; share: number }) => [v.variant, v.version, v.share]), [["champion", "1", 0.8], ["challenger", "2", 0.2]]);
  assert.deepEqual(routes[0].history.map((h: { variant: string; share: number; reason: string }) => [h.variant, h.share, h.reason]), [["champion", 0.8, "server started"], ["challenger", 0.2, "server started"]]);
});

test("an unrouted model answers as before (plus its request id); /invocations is never routed", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const server = await routedServer(t, l, route("cancer:canary=cancer@challenger:100%"));
  const routed = await predict(server, 10_001);
  assert.deepEqual([routed.body.variant, routed.body.model_version], ["challenger", "2"]);
  const invoked = await post(server, "/invocations?model=cancer", { instances: [expected.rows[1]] });
  assertClose(invoked.body.predictions, [expected.proba_1[1]!]);
  const models = (await get(server, "/models")).body;
  assert.deepEqual(models.models.map((m: { name: string }) => m.name), ["cancer"], "challengers are not served models");
  assert.equal(models.routes[0].variants[1].uri, "cancer@challenger");
});
