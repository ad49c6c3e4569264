import { test } from "node:test";
import assert from "node:assert/strict";
import { getHistoricalFeatures, type HistoricalFeaturesOptions } from "../../src/offline/get-historical.js";
import type { Repo } from "../../src/repo/repo.js";
import { csv, makeRepo } from "./fixtures.js";

/** Named edge cases, one per rule of SPEC section 3, on one small hand-written repository. */

const DEFINITIONS = `
entities:
  - {name: driver, join_keys: [driver_id], value_type: int64}
  - {name: rider, join_keys: [rider_id], value_type: string}
sources:
  - {name: stats, type: file, path: data/stats.csv, timestamp_field: ts, created_timestamp_column: created}
  - {name: other_stats, type: file, path: data/other.csv, timestamp_field: ts}
  - {name: weather_src, type: file, path: data/weather.csv, timestamp_field: ts}
  - name: riders_raw
    type: file
    path: data/riders.csv
    timestamp_field: seen_at
    field_mapping: {rid: rider_id, score_raw: score, when: seen_at}
  - {name: pairs_src, type: file, path: data/pairs.csv, timestamp_field: ts}
  - name: daily
    type: query
    sql: select driver_id, time_bucket(interval 1 day, ts) + interval 1 day as day_end, sum(trips)::bigint as trips_1d from stats group by all
    timestamp_field: day_end
feature_views:
  - {name: hourly, entities: [driver], source: stats, ttl: 1h, schema: [{name: conv, dtype: float64}, {name: trips, dtype: int64}]}
  - {name: forever, entities: [driver], source: stats, ttl: 0, schema: [{name: trips, dtype: int64}]}
  - {name: other, entities: [driver], source: other_stats, ttl: 0, schema: [{name: conv, dtype: float64}]}
  - {name: weather, entities: [], source: weather_src, ttl: 0, schema: [{name: temp, dtype: float64}]}
  - {name: rider_score, entities: [rider], source: riders_raw, ttl: 0, schema: [{name: score, dtype: int64}]}
  - {name: pair, entities: [driver, rider], source: pairs_src, ttl: 0, schema: [{name: trips_together, dtype: int64}]}
  - {name: daily_trips, entities: [driver], source: daily, ttl: 7d, schema: [{name: trips_1d, dtype: int64}]}
feature_services:
  - name: svc
    features: [hourly: [conv], weather]
`;

const FILES = {
  "data/stats.csv": csv(
    ["driver_id", "ts", "created", "conv", "trips"],
    [
      // driver 1: ttl bounds around T = 10:00
      [1, "2024-01-01T08:59:59Z", "2024-01-01T09:00:00Z", 0.1, 1],
      [1, "2024-01-01T09:00:00Z", "2024-01-01T09:00:00Z", 0.2, 2],
      [1, "2024-01-01T10:00:01Z", "2024-01-01T10:00:01Z", 0.3, 3],
      // driver 2: equal ts, the later created wins whatever the file order; NULL created loses
      [2, "2024-01-01T09:30:00Z", "2024-01-01T09:40:00Z", 0.5, 5],
      [2, "2024-01-01T09:30:00Z", "2024-01-01T09:35:00Z", 0.4, 4],
      [2, "2024-01-01T09:30:00Z", null, 0.9, 9],
      // driver 3: the winning row holds a NULL, which stays NULL
      [3, "2024-01-01T09:00:00Z", "2024-01-01T09:00:00Z", 0.7, 7],
      [3, "2024-01-01T09:50:00Z", "2024-01-01T09:50:00Z", null, 8],
      // driver 4: only a year-old value (outside 1h, inside unlimited)
      [4, "2023-01-01T00:00:00Z", "2023-01-01T00:00:00Z", 0.6, 6],
      // driver 5: full ties (same ts and created): the result must not vary between runs
      ...Array.from({ length: 20 }, (_, i) => [5, "2024-01-01T09:45:00Z", "2024-01-01T09:45:00Z", i / 100, i]),
      // driver 6: a full tie of time and created decided by the values: a NULL conv loses to any
      // conv, then trips decides between equal convs; an exact duplicate changes nothing
      [6, "2024-01-01T09:45:00Z", "2024-01-01T09:45:00Z", null, 30],
      [6, "2024-01-01T09:45:00Z", "2024-01-01T09:45:00Z", 0.01, 1],
      [6, "2024-01-01T09:45:00Z", "2024-01-01T09:45:00Z", 0.01, 2],
      [6, "2024-01-01T09:45:00Z", "2024-01-01T09:45:00Z", 0.01, 2],
      [6, "2024-01-01T09:44:00Z", "2024-01-01T09:50:00Z", 0.99, 99],
    ],
  ),
  "data/other.csv": csv(["driver_id", "ts", "conv"], [[1, "2024-01-01T09:00:00Z", 0.99]]),
  "data/weather.csv": csv(["ts", "temp"], [["2024-01-01T08:00:00Z", 10.5], ["2024-01-01T09:59:00Z", 12.5]]),
  "data/riders.csv": csv(["rid", "when", "score_raw"], [["r1", "2024-01-01T09:00:00Z", 42], ["007", "2024-01-01T09:00:00Z", 7]]),
  "data/pairs.csv": csv(["driver_id", "rider_id", "ts", "trips_together"], [[1, "r1", "2024-01-01T09:00:00Z", 3], [1, "r2", "2024-01-01T09:00:00Z", 4]]),
};

const T = new Date("2024-01-01T10:00:00Z");
const row = (driver_id: number | null, extra: Record<string, unknown> = {}) => ({ driver_id, event_timestamp: T, ...extra });

/** The rows under every join plan, which must agree (each rule below is checked against all). */
async function fetch(repo: Repo, options: Omit<HistoricalFeaturesOptions, "cwd" | "joinPlan">): Promise<Record<string, unknown>[]> {
  const [asof, range, interval, auto] = await Promise.all(
    (["asof", "range", "interval", "auto"] as const).map(async (joinPlan) => {
      const result = await getHistoricalFeatures(repo, { ...options, joinPlan });
      return result.rows!.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])));
    }),
  );
  assert.deepEqual(range, asof, "the range plan returns what the ASOF plan returns");
  assert.deepEqual(interval, asof, "the interval plan returns what the ASOF plan returns");
  assert.deepEqual(auto, asof, "the automatic choice returns what the ASOF plan returns");
  return asof!;
}

test("point-in-time rules on hand-written data", async (t) => {
  const repo = await makeRepo(t, DEFINITIONS, FILES);
  const features = ["hourly:conv", "hourly:trips"];

  await t.test("the ttl window is inclusive at both ends: T - ttl and T match, later rows never", async () => {
    const [at] = await fetch(repo, { entities: [row(1)], features });
    assert.deepEqual([at!.conv, at!.trips], [0.2, 2]);
    const [later] = await fetch(repo, { entities: [row(1, { event_timestamp: new Date("2024-01-01T10:00:01Z") })], features });
    assert.deepEqual([later!.conv, later!.trips], [0.3, 3], "a row exactly at T matches");
    const [outside] = await fetch(repo, { entities: [row(1, { event_timestamp: new Date("2024-01-01T10:00:00.001Z") })], features });
    assert.deepEqual([outside!.conv, outside!.trips], [null, null], "09:00:00 is more than 1h before 10:00:00.001");
  });

  await t.test("ttl 0 is unlimited: a year-old value still matches", async () => {
    const rows = await fetch(repo, { entities: [row(4)], features: ["hourly:trips", "forever:trips"], fullFeatureNames: true });
    assert.equal(rows[0]!.hourly__trips, null);
    assert.equal(rows[0]!.forever__trips, 6);
  });

  await t.test("equal timestamps are decided by the greatest created timestamp; NULL created loses", async () => {
    const [r] = await fetch(repo, { entities: [row(2)], features });
    assert.deepEqual([r!.conv, r!.trips], [0.5, 5]);
  });

  await t.test("no candidate gives NULL; a NULL in the winning row stays NULL", async () => {
    const rows = await fetch(repo, { entities: [row(3), row(99), row(null)], features });
    assert.deepEqual(rows.map((r) => [r.conv, r.trips]), [[null, 8], [null, null], [null, null]]);
  });

  await t.test("full ties give the same row on every run", async () => {
    const runs = await Promise.all([1, 2, 3].map(() => fetch(repo, { entities: [row(5)], features })));
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
    assert.deepEqual([runs[0]![0]!.conv, runs[0]![0]!.trips], [0.19, 19], "the greatest values win a full tie");
  });

  await t.test("in a full tie the values decide in request order, NULL lowest; duplicates count once", async () => {
    const [r] = await fetch(repo, { entities: [row(6)], features });
    assert.deepEqual([r!.conv, r!.trips], [0.01, 2]);
    const [reversed] = await fetch(repo, { entities: [row(6)], features: ["hourly:trips", "hourly:conv"] });
    assert.deepEqual([reversed!.trips, reversed!.conv], [30, null], "trips asked first decides first");
  });

  await t.test("every entity row is kept in input order, duplicates included, with all its columns", async () => {
    const entities = [row(3, { label: "a" }), row(1, { label: "b" }), row(3, { label: "a" }), row(2, { label: "c" }), row(1, { label: "b" })];
    const rows = await fetch(repo, { entities, features: ["hourly:trips"] });
    assert.deepEqual(rows.map((r) => [r.driver_id, r.label, r.trips]), [[3, "a", 8], [1, "b", 2], [3, "a", 8], [2, "c", 5], [1, "b", 2]]);
    assert.deepEqual(Object.keys(rows[0]!), ["driver_id", "event_timestamp", "label", "trips"]);
    assert.deepEqual(rows[0]!.event_timestamp, T);
  });

  await t.test("the same feature name from two views is an error naming both; full names resolve it", async () => {
    await assert.rejects(fetch(repo, { entities: [row(1)], features: ["hourly:conv", "other:conv"] }), (e: Error) => /hourly:conv and other:conv are both named "conv"/.test(e.message));
    const [r] = await fetch(repo, { entities: [row(1)], features: ["hourly:conv", "other:conv"], fullFeatureNames: true });
    assert.deepEqual([r!.hourly__conv, r!.other__conv], [0.2, 0.99]);
  });

  await t.test("each view joins on its own keys; an entity-less view joins on time only", async () => {
    const entities = [
      { driver_id: 1, rider_id: "r1", event_timestamp: T },
      { driver_id: 1, rider_id: "r2", event_timestamp: new Date("2024-01-01T09:58:00Z") },
      { driver_id: 2, rider_id: "r1", event_timestamp: new Date("2024-01-01T08:30:00Z") },
    ];
    const rows = await fetch(repo, { entities, features: ["pair:trips_together", "rider_score:score", "weather:temp", "hourly:trips"] });
    assert.deepEqual(rows.map((r) => [r.trips_together, r.score, r.temp, r.trips]), [[3, 42, 12.5, 2], [4, null, 10.5, 2], [null, null, 10.5, null]]);
  });

  await t.test("field_mapping renames source columns; string keys keep leading zeros", async () => {
    const rows = await fetch(repo, { entities: [{ rider_id: "007", event_timestamp: T }], features: ["rider_score:score"] });
    assert.equal(rows[0]!.score, 7);
  });

  await t.test("query sources are evaluated in the same engine", async () => {
    const rows = await fetch(repo, { entities: [row(1, { event_timestamp: new Date("2024-01-02T00:00:00Z") })], features: ["daily_trips:trips_1d"] });
    assert.equal(rows[0]!.trips_1d, 1 + 2 + 3);
  });

  await t.test("a feature service selects its projections", async () => {
    const result = await getHistoricalFeatures(repo, { entities: [row(1)], service: "svc" });
    assert.deepEqual(result.columns, ["driver_id", "event_timestamp", "conv", "temp"]);
    assert.deepEqual(result.views.map((v) => [v.view, v.matched, v.matchRate]), [["hourly", 1, 1], ["weather", 1, 1]]);
  });

  await t.test("entity rows from SQL may read the sources", async () => {
    const rows = await fetch(repo, { entitySql: "select driver_id, ts + interval 1 second as event_timestamp from other_stats", features: ["hourly:trips"] });
    assert.deepEqual(rows.map((r) => r.trips), [2]);
  });
});
