import { test } from "node:test";
import assert from "node:assert/strict";
import { random } from "../../../src/util/random.js";
import { get, post } from "../helpers.js";
import { patientIds } from "../repo.js";
import { aliases, lab, metric, predict, route, routedServer, slowSource, testClock } from "./setup.js";

/** Asks for the 30 stored patients in turn (features read online) until `done`, at most `max` times; every answer must be 200. */
async function traffic(server: Parameters<typeof post>[0], max: number, done: () => Promise<boolean>): Promise<{ requests: number; variants: string[] }> {
  const variants: string[] = [];
  for (let i = 0; i < max; i++) {
    const answer = await post(server, "/predict", { model: "cancer", entities: { patient_id: patientIds[i % 30] } });
    assert.equal(answer.status, 200, answer.text);
    variants.push(answer.body.variant);
    if (i % 10 === 9 && (await done())) return { requests: i + 1, variants };
  }
  return { requests: max, variants };
}

const challengerOf = async (server: Parameters<typeof get>[0]) => (await get(server, "/routes")).body.routes[0].variants[1];

test("rollback: a challenger whose every request fails is rolled back to 0%; the champion answered every user meanwhile", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 3);
  const server = await routedServer(t, l, route("cancer:canary=cancer@challenger:50%", { minRequests: 20 }));
  const { requests, variants } = await traffic(server, 400, async () => (await challengerOf(server)).share === 0);
  assert.ok(requests < 400, "rolled back");
  assert.deepEqual([...new Set(variants)], ["champion"], "a failed challenger's request is answered by the champion");
  const challenger = await challengerOf(server);
  assert.match(challenger.rolled_back.reason, /^error rate 100\.0% of its last \d+ requests against the champion's 0\.0% \(margin 2\.0%\)$/);
  const { history } = (await get(server, "/routes")).body.routes[0];
  assert.deepEqual(history.slice(-2).map((h: { variant: string; previous: number; share: number }) => [h.variant, h.previous, h.share]), [["champion", 0.5, 1], ["challenger", 0.5, 0]]);
  assert.match(history.at(-1).reason, /^challenger version 3 rolled back: error rate/);
  assert.ok(server.logs.some((r) => r.msg === "route rollback" && r.variant === "challenger" && r.version === "3"));
  assert.ok(server.logs.some((r) => r.msg === "route variant failed" && /no_such_feature/.test(String(r.error))));
  const metrics = (await get(server, "/metrics")).text;
  assert.equal(metric(metrics, 'mlf_route_share{model="cancer",variant="challenger"}'), 0);
  assert.ok(metric(metrics, 'mlf_route_errors_total{model="cancer",variant="challenger",version="3"}')! >= 20);
  assert.equal(metric(metrics, 'mlf_route_share_changes_total{model="cancer",variant="challenger",kind="rollback"}'), 1);
  // Rolled back stays rolled back: no user reaches it any more.
  const after = await traffic(server, 30, async () => false);
  assert.deepEqual([...new Set(after.variants)], ["champion"]);
  assert.equal(metric((await get(server, "/metrics")).text, 'mlf_route_errors_total{model="cancer",variant="challenger",version="3"}'), metric(metrics, 'mlf_route_errors_total{model="cancer",variant="challenger",version="3"}'));
});

test("rollback: a challenger slower than the champion by more than the margin is rolled back (test clock, no sleeping)", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const clock = testClock();
  const server = await routedServer(t, l, route("cancer:canary=cancer@challenger:50%", { minRequests: 20 }), { clock, challengerSource: (s) => slowSource(s, clock, 40) });
  const { requests } = await traffic(server, 400, async () => (await challengerOf(server)).share === 0);
  assert.ok(requests < 400, "rolled back");
  const challenger = await challengerOf(server);
  assert.match(challenger.rolled_back.reason, /^latency p99 40\.00 ms against the champion.s 0\.00 ms: (\d+) of its last \1 requests took over 1\.00 ms \(margin 50\.0% and 1 ms\)$/);
  assert.equal(challenger.rolled_back.at, "2026-01-01T00:00:00Z");
  // 40 ms of the test clock per request: the histogram puts them in the 50 ms bucket.
  const metrics = (await get(server, "/metrics")).text;
  const served = metric(metrics, 'mlf_route_requests_total{model="cancer",variant="challenger",version="2"}')!;
  assert.equal(metric(metrics, 'mlf_route_latency_seconds_bucket{model="cancer",variant="challenger",version="2",le="0.025"}'), 0);
  assert.equal(metric(metrics, 'mlf_route_latency_seconds_bucket{model="cancer",variant="challenger",version="2",le="0.05"}'), served);
});

test("rollback: a challenger earning less reward (0.3 against 0.6) is rolled back by the sequential test; a restart keeps it rolled back", async (t) => {
  const l = await lab(t);
  aliases(l, 1, 2);
  const spec = route("cancer:canary=cancer@challenger:50%");
  const server = await routedServer(t, l, spec);
  const next = random(11);
  let steps = 0;
  while ((await challengerOf(server)).share > 0 && steps < 2000) {
    for (let i = 0; i < 10; i++, steps++) {
      const answer = await predict(server, 30_000 + Math.floor(next() * 500));
      const reward = next() < (answer.body.variant === "challenger" ? 0.3 : 0.6) ? 1 : 0;
      assert.equal((await post(server, "/feedback", { request_id: answer.body.request_id, reward })).status, 200);
    }
  }
  assert.ok(steps < 2000, "rolled back");
  const challenger = await challengerOf(server);
  assert.match(challenger.rolled_back.reason, /^mean reward 0\.\d+ over \d+ rewards against the champion's 0\.\d+ over \d+ \(mSPRT likelihood ratio [\d.]+ >= 1\/0\.05\)$/);
  await server.close();
  const again = await routedServer(t, l, spec);
  const restarted = await challengerOf(again);
  assert.deepEqual([restarted.share, restarted.rolled_back], [0, challenger.rolled_back]);
});
