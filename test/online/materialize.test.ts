import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { OnlineReader } from "../../src/online/get-online.js";
import { materialize, materializeIncremental } from "../../src/online/materialize.js";
import { OfflineEngine, openEngineWithSources } from "../../src/offline/engine.js";
import { getHistoricalFeatures } from "../../src/offline/get-historical.js";
import { initRepo } from "../../src/repo/init.js";
import { applyRepo } from "../../src/apply/apply.js";
import { appliedRegistry, openRepo, type Repo } from "../../src/repo/repo.js";
import { tempDir } from "../helpers.js";
import { DAY, HOUR, wideRepo, wideRow } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);

async function readWide(repo: Repo, users: number[], now = Date.now()) {
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  try {
    const r = await reader.get({ entities: { user_id: users }, features: ["wide:f0"], now });
    return { values: r.results[1]!.values, statuses: r.results[1]!.statuses, ts: r.results[1]!.eventTimestamps };
  } finally {
    await reader.close();
  }
}

test("materialize loads the latest row per entity in [start, end], ties broken by created time", async (t) => {
  const repo = await wideRepo(tempDir(t), [
    wideRow(1, T0, 10),
    wideRow(1, T0 + HOUR, 11),
    wideRow(1, T0 + 2 * HOUR, 12), // after END: not loaded
    wideRow(2, T0, 20, T0 + 5),
    wideRow(2, T0, 21, T0 + 9), // same event time, later created: wins
    wideRow(2, T0, 22, T0 + 1),
    wideRow(3, T0 - HOUR, 30), // before START: not loaded
  ]);
  const [result] = await materialize(repo, T0, T0 + HOUR);
  assert.equal(result!.rows, 2);
  const got = await readWide(repo, [1, 2, 3], T0 + HOUR);
  assert.deepEqual(got.values, [11, 21, null]);
  assert.deepEqual(got.statuses, ["PRESENT", "PRESENT", "NOT_FOUND"]);
  assert.deepEqual(got.ts, [T0 + HOUR, T0, null]);
  const state = appliedRegistry(repo).online.wide!;
  assert.deepEqual(state, { tableVersion: 1, until: "2024-01-10T01:00:00Z", intervals: [{ start: "2024-01-10T00:00:00Z", end: "2024-01-10T01:00:00Z", at: state.intervals[0]!.at }] });
});

test("rows tied on event and created time are decided like get-historical: greatest features, NULLs last", async (t) => {
  const features = Array.from({ length: 10 }, (_, i) => `wide:f${i}`);
  for (const created of [true, false]) {
    const tie = (user: number, f0: string, f1: string, createdMs = T0) => [user, new Date(T0).toISOString(), new Date(createdMs).toISOString(), f0, f1, 0, 0, 0, 0, 0, 0, 0, 0].join(",");
    const rows = [
      tie(1, "5", "1"), tie(1, "5", "3"), tie(1, "", "9"), tie(1, "4", "9"), // f0 ties at 5: f1 decides; NULL f0 loses
      tie(2, "", ""), tie(2, "", "2"), // all NULL loses to a value
      tie(3, "1", "1", T0 + 1), tie(3, "7", "7"), // with a created column the later created wins whatever the features
      wideRow(4, T0 - HOUR, 9), wideRow(4, T0, 3), // the later event wins whatever the features
    ];
    const repo = await wideRepo(tempDir(t), rows, { created });
    await materialize(repo, T0 - DAY, T0);
    const online = await readWide(repo, [1, 2, 3, 4], T0);
    const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
    const f1 = (await reader.get({ entities: { user_id: [1, 2, 3, 4] }, features: ["wide:f1"], now: T0 })).results[1]!.values;
    await reader.close();
    assert.deepEqual([online.values, f1], [[5, null, created ? 1 : 7, 3], [3, 2, created ? 1 : 7, 3]], `created column: ${created}`);
    const historical = await getHistoricalFeatures(repo, { entities: [1, 2, 3, 4].map((user_id) => ({ user_id, event_timestamp: new Date(T0) })), features });
    assert.deepEqual(historical.rows!.map((r) => [r.f0, r.f1]), [1, 2, 3, 4].map((_, i) => [online.values[i], f1[i]]), "the same row as training sees at T");
  }
});

test("an entity-less view loads the one newest row of the source", async (t) => {
  const dir = tempDir(t);
  await wideRepo(dir, [wideRow(1, T0, 1), wideRow(2, T0 + HOUR, 2), wideRow(3, T0 + 2 * HOUR, 3)]);
  appendFileSync(join(dir, "features.yaml"), "  - name: everyone\n    entities: []\n    source: events\n    ttl: 0\n    schema:\n      - {name: f0, dtype: float64}\n");
  const repo = await openRepo(dir);
  await applyRepo(repo);
  const results = await materialize(repo, T0, T0 + HOUR, { views: ["everyone"] });
  assert.deepEqual(results.map((r) => [r.view, r.rows]), [["everyone", 1]]);
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => void reader.close());
  const got = await reader.get({ entities: {}, features: ["everyone:f0"], now: T0 + HOUR });
  assert.deepEqual([got.results[0]!.values, got.results[0]!.eventTimestamps], [[2], [T0 + HOUR]]);
});

test("newer wins across repeated and out-of-order materializations", async (t) => {
  const repo = await wideRepo(tempDir(t), [wideRow(1, T0, 1), wideRow(1, T0 + DAY, 2), wideRow(2, T0, 5)]);
  await materialize(repo, T0 + DAY, T0 + DAY); // the newer window first
  await materialize(repo, T0, T0 + HOUR); // then an older one: user 1 keeps its newer value
  const [again] = await materialize(repo, T0, T0 + DAY); // then everything again
  assert.equal(again!.written, 0, "nothing stored is older than what the source holds");
  assert.deepEqual((await readWide(repo, [1, 2], T0 + DAY)).values, [2, 5]);
  assert.equal(appliedRegistry(repo).online.wide!.intervals.length, 3);
});

test("statuses follow the ttl: OUTSIDE_MAX_AGE returns null, NULL_VALUE keeps null", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, [wideRow(1, T0, 1), `2,${new Date(T0).toISOString()},${new Date(T0).toISOString()},,,,,,,,,,`], { ttl: "1h" });
  await materialize(repo, T0 - DAY, T0);
  assert.deepEqual((await readWide(repo, [1, 2, 3], T0 + HOUR)).statuses, ["PRESENT", "NULL_VALUE", "NOT_FOUND"], "exactly ttl old is still fresh");
  const stale = await readWide(repo, [1, 2], T0 + HOUR + 1);
  assert.deepEqual(stale.statuses, ["OUTSIDE_MAX_AGE", "OUTSIDE_MAX_AGE"]);
  assert.deepEqual(stale.values, [null, null]);
  assert.deepEqual(stale.ts, [T0, T0], "the event time of a stale value is still reported");
});

test("materialize-incremental starts at END - ttl, then at the last end; bad windows are refused", async (t) => {
  const repo = await wideRepo(tempDir(t), [wideRow(1, T0 - 3 * HOUR, 1), wideRow(2, T0 - HOUR, 2), wideRow(3, T0 + HOUR, 3)], { ttl: "2h" });
  const [first] = await materializeIncremental(repo, T0, { now: T0 });
  assert.deepEqual([first!.start, first!.end, first!.rows], ["2024-01-09T22:00:00Z", "2024-01-10T00:00:00Z", 1]);
  const [second] = await materializeIncremental(repo, T0 + 2 * HOUR, { now: T0 + 2 * HOUR });
  assert.deepEqual([second!.start, second!.rows], ["2024-01-10T00:00:00Z", 1]);
  const [third] = await materializeIncremental(repo, T0 + 2 * HOUR, { now: T0 + 2 * HOUR });
  assert.equal(third!.upToDate, true);
  assert.equal(appliedRegistry(repo).online.wide!.intervals.length, 2);
  assert.deepEqual((await readWide(repo, [1, 2, 3], T0 + 2 * HOUR)).statuses, ["NOT_FOUND", "OUTSIDE_MAX_AGE", "PRESENT"]);
  await assert.rejects(materialize(repo, T0 + HOUR, T0), { code: "invalid_argument", message: /after the end/ });
  await assert.rejects(materializeIncremental(repo, Date.now() + 5 * 60_000), { code: "invalid_argument", message: /in the future/ });
  await assert.rejects(materialize(repo, T0, T0, { views: ["nope"] }), { code: "not_found" });
});

test("unlimited ttl: the first incremental run loads all history", async (t) => {
  const repo = await wideRepo(tempDir(t), [wideRow(1, Date.UTC(1990, 0, 1), 1), wideRow(2, T0, 2)]);
  const [first] = await materializeIncremental(repo, T0, { now: T0 });
  assert.equal(first!.rows, 2);
  assert.equal(first!.start, "0001-01-01T00:00:00Z");
});

test("a query source's online value equals the point-in-time value at T = now (training/serving consistency)", async (t) => {
  const dir = tempDir(t);
  const now = Date.now();
  initRepo(dir, now);
  const repo = await openRepo(dir);
  await applyRepo(repo);
  await materialize(repo, now - 30 * DAY, now);
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => void reader.close());
  const online = await reader.get({ entities: { driver_id: [1001, 1003] }, features: ["driver_daily_stats:conv_rate_1d", "driver_daily_stats:trips_1d"], now });
  // get-historical is not on main yet: the expected values come straight from DuckDB over the
  // same source view, as the spec defines point-in-time retrieval (latest ts <= T within ttl).
  const engine: OfflineEngine = await openEngineWithSources(repo.root, repo.config.offlineStore, appliedRegistry(repo).definitions);
  t.after(() => engine.close());
  const expected = await engine.rows(
    `SELECT driver_id, conv_rate_1d, trips_1d FROM driver_daily WHERE day_end <= to_timestamp(${now / 1000}) AND day_end >= to_timestamp(${(now - 7 * DAY) / 1000}) QUALIFY row_number() OVER (PARTITION BY driver_id ORDER BY day_end DESC) = 1 ORDER BY driver_id`,
  );
  const want = expected.filter((r) => r.driver_id === 1001n || r.driver_id === 1003n);
  assert.deepEqual(online.results[1]!.values, want.map((r) => r.conv_rate_1d));
  assert.deepEqual(online.results[2]!.values, want.map((r) => Number(r.trips_1d)));
  assert.deepEqual(online.results[1]!.statuses, ["PRESENT", "PRESENT"]);
});
