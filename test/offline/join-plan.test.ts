import { test } from "node:test";
import assert from "node:assert/strict";
import { getHistoricalFeatures } from "../../src/offline/get-historical.js";
import { csv, makeRepo, random } from "./fixtures.js";

/**
 * The automatic plan choice on data big enough to be sampled (more entity rows than the
 * estimate looks at): short histories get the range plan, long histories and a view without
 * keys the ASOF plan, and whatever is chosen, the rows equal those of either forced plan.
 */

const BASE = Date.parse("2024-03-01T00:00:00Z");
const HOUR = 3_600_000;
const DAYS = 20;

test("auto picks the range plan for short histories and ASOF for long ones, with the same rows", async (t) => {
  const next = random(7);
  const time = () => new Date(BASE + Math.floor(next() * DAYS * 24) * HOUR + Math.floor(next() * 60) * 60_000);
  // 3,000 users with 3 rows each; 5 groups with a row every 10 minutes; hourly weather.
  const users = Array.from({ length: 3000 * 3 }, (_, i) => [i % 3000, time(), Math.floor(next() * 100)]);
  const groups = Array.from({ length: 5 * DAYS * 144 }, (_, i) => [i % 5, new Date(BASE + Math.floor(i / 5) * 600_000), i]);
  const weather = Array.from({ length: DAYS * 24 }, (_, i) => [new Date(BASE + i * HOUR), i % 30]);
  const entities = Array.from({ length: 4000 }, (_, i) => {
    const user = Math.floor(next() * 3000);
    return { user_id: user, group_id: user % 5, event_timestamp: time(), label: i };
  });
  const repo = await makeRepo(
    t,
    `
entities:
  - {name: user, join_keys: [user_id], value_type: int64}
  - {name: group, join_keys: [group_id], value_type: int64}
sources:
  - {name: user_src, type: file, path: data/users.csv, timestamp_field: ts}
  - {name: group_src, type: file, path: data/groups.csv, timestamp_field: ts}
  - {name: weather_src, type: file, path: data/weather.csv, timestamp_field: ts}
feature_views:
  - {name: user_stats, entities: [user], source: user_src, ttl: 2h, schema: [{name: score, dtype: int64}]}
  - {name: group_stats, entities: [group], source: group_src, ttl: 1d, schema: [{name: seq, dtype: int64}]}
  - {name: weather, entities: [], source: weather_src, ttl: 2h, schema: [{name: temp, dtype: int64}]}
`,
    {
      "data/users.csv": csv(["user_id", "ts", "score"], users),
      "data/groups.csv": csv(["group_id", "ts", "seq"], groups),
      "data/weather.csv": csv(["ts", "temp"], weather),
    },
  );
  const features = ["user_stats:score", "group_stats:seq", "weather:temp"];
  const auto = await getHistoricalFeatures(repo, { entities, features });
  assert.deepEqual(
    auto.views.map((v) => [v.view, v.plan]),
    [["user_stats", "range"], ["group_stats", "asof"], ["weather", "asof"]],
  );
  assert.ok(auto.views.every((v) => v.matched > 0));
  for (const joinPlan of ["asof", "range"] as const) {
    const forced = await getHistoricalFeatures(repo, { entities, features, joinPlan });
    assert.deepEqual(forced.rows, auto.rows, `${joinPlan} plan returns the rows of the automatic choice`);
  }
  assert.deepEqual(
    auto.rows!.map((r) => Number(r.label)),
    entities.map((e) => e.label),
    "input order",
  );
});
