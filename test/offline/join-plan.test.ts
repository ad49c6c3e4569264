import { test } from "node:test";
import assert from "node:assert/strict";
import { getHistoricalFeatures } from "../../src/offline/get-historical.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OfflineEngine, parseBytes } from "../../src/offline/engine.js";
import { tempDir } from "../helpers.js";
import { csv, makeRepo, random } from "./fixtures.js";

/**
 * The automatic plan choice on data big enough to be sampled (more entity rows than the
 * estimate looks at): short histories get one range pass, long histories range passes of
 * growing windows, a query source with short histories one pass without the estimate, and
 * whatever is chosen, the rows equal those of either forced plan.
 */

const BASE = Date.parse("2024-03-01T00:00:00Z");
const HOUR = 3_600_000;
const DAYS = 20;

/** Where the Parquet tests' times start, as SQL. */
const START = "TIMESTAMP '2024-03-01 00:00:00'";

/** The phases a result timed for one view, in their order (`<view>: ...`). */
const viewPhases = (result: { phases: { phase: string }[] }, view: string) => result.phases.map((p) => p.phase).filter((p) => p.startsWith(`${view}:`));

/** The entities and sources of the Parquet tests' repositories (written by parquetFiles), before more sources and their views. */
const USERS_AND_GROUPS = `
entities:
  - {name: user, join_keys: [user_id], value_type: int64}
  - {name: group, join_keys: [group_id], value_type: int64}
sources:
  - {name: user_src, type: file, path: data/users.parquet, timestamp_field: ts}
  - {name: group_src, type: file, path: data/groups.parquet, timestamp_field: ts}`;

/** The repository's `data/` Parquet files, each written by DuckDB from a SELECT, in row groups of 2,048 rows. */
async function parquetFiles(t: Parameters<typeof tempDir>[0], tables: Record<string, string>): Promise<Record<string, Buffer>> {
  const scratch = tempDir(t, "mlf-plan-");
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    const files: Record<string, Buffer> = {};
    for (const [name, select] of Object.entries(tables)) {
      await engine.run(`COPY (${select}) TO '${join(scratch, name)}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
      files[`data/${name}`] = readFileSync(join(scratch, name));
    }
    return files;
  } finally {
    engine.close();
  }
}

test("auto plans short and long histories, and a query source without the estimate, with the rows of either forced plan", async (t) => {
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
  - {name: user_query, type: query, sql: "SELECT user_id, ts, score * 2 AS double_score FROM user_src", timestamp_field: ts}
  - {name: group_query, type: query, sql: "SELECT group_id, ts, seq + 1 AS next_seq FROM group_src", timestamp_field: ts}
  - {name: user_hours, type: query, sql: "SELECT user_id, date_trunc('hour', ts) + INTERVAL 1 HOUR AS ts, max(score) AS top_score FROM user_src GROUP BY ALL", timestamp_field: ts}
feature_views:
  - {name: user_stats, entities: [user], source: user_src, ttl: 2h, schema: [{name: score, dtype: int64}]}
  - {name: user_query_stats, entities: [user], source: user_query, ttl: 2h, schema: [{name: double_score, dtype: int64}]}
  - {name: group_stats, entities: [group], source: group_src, ttl: 1d, schema: [{name: seq, dtype: int64}]}
  - {name: weather, entities: [], source: weather_src, ttl: 2h, schema: [{name: temp, dtype: int64}]}
  - {name: group_query_stats, entities: [group], source: group_query, ttl: 1d, schema: [{name: next_seq, dtype: int64}]}
  - {name: user_hourly, entities: [user], source: user_hours, ttl: 2h, schema: [{name: top_score, dtype: int64}]}
`,
    {
      "data/users.csv": csv(["user_id", "ts", "score"], users),
      "data/groups.csv": csv(["group_id", "ts", "seq"], groups),
      "data/weather.csv": csv(["ts", "temp"], weather),
    },
  );
  // A query source that streams (scans, filters, projections) is first joined in one range
  // pass, read in place, without an estimate; with long histories (144 candidates per entity
  // row) that pass stops and the view is planned (here: copied for several passes). A query
  // that aggregates is copied first, then joined in one pass. By the forced plans, query
  // sources are copied.
  const features = ["user_stats:score", "group_stats:seq", "weather:temp", "user_query_stats:double_score", "group_query_stats:next_seq", "user_hourly:top_score"];
  const auto = await getHistoricalFeatures(repo, { entities, features });
  assert.deepEqual(
    auto.views.map((v) => [v.view, v.plan]),
    [["user_stats", "range"], ["group_stats", "range"], ["weather", "range"], ["user_query_stats", "range"], ["group_query_stats", "range"], ["user_hourly", "range"]],
  );
  assert.deepEqual(viewPhases(auto, "user_query_stats"), ["user_query_stats: join"]);
  assert.deepEqual(viewPhases(auto, "group_query_stats"), ["group_query_stats: single pass, stopped", "group_query_stats: plan", "group_query_stats: copy source", "group_query_stats: join"]);
  assert.deepEqual(auto.rows!.map((r) => r.double_score), auto.rows!.map((r) => (r.score === null ? null : 2n * (r.score as bigint))));
  assert.deepEqual(auto.rows!.map((r) => r.next_seq), auto.rows!.map((r) => (r.seq === null ? null : (r.seq as bigint) + 1n)));
  assert.deepEqual(viewPhases(auto, "user_hourly"), ["user_hourly: copy source", "user_hourly: join"]);
  assert.ok(auto.rows!.some((r) => r.top_score !== null));
  assert.ok(auto.views.every((v) => v.matched > 0));
  for (const joinPlan of ["asof", "range", "interval"] as const) {
    const forced = await getHistoricalFeatures(repo, { entities, features, joinPlan });
    assert.deepEqual(forced.rows, auto.rows, `${joinPlan} plan returns the rows of the automatic choice`);
  }
  assert.deepEqual(
    auto.rows!.map((r) => Number(r.label)),
    entities.map((e) => e.label),
    "input order",
  );
});

test("a Parquet source is joined in one pass without the estimate, unless its histories are long, with the rows of either forced plan", async (t) => {
  // 3,000 users with 30 rows each over 20 days (44 row groups: glanced at, 3 candidates per
  // entity row with a 2-day ttl); 5 groups with a row every 10 minutes (144 per day: with a
  // 1-day ttl, far more candidates per entity row than a single pass takes; 8 row groups, too
  // few to glance at).
  const files = await parquetFiles(t, {
    "users.parquet": `SELECT i % 3000 AS user_id, ${START} + INTERVAL (hash(i) % (${DAYS} * 86400)) SECOND AS ts, hash(i * 7) % 100 AS score FROM range(90000) t(i)`,
    "groups.parquet": `SELECT i % 5 AS group_id, ${START} + INTERVAL (i // 5 * 600) SECOND AS ts, i AS seq, i % 7 AS m7, i % 11 AS m11, i % 13 AS m13, i % 17 AS m17 FROM range(${5 * DAYS * 144}) t(i)`,
    "entities.parquet": `SELECT hash(i) % 3000 AS user_id, hash(i) % 3000 % 5 AS group_id, ${START} + INTERVAL (hash(i * 13) % (${DAYS} * 86400)) SECOND AS event_timestamp, i AS label FROM range(4000) t(i)`,
  });
  // group_wide: group_stats with 5 features, ranked in two steps (see winnersSql), stopped as it is.
  const repo = await makeRepo(
    t,
    `${USERS_AND_GROUPS}
feature_views:
  - {name: user_stats, entities: [user], source: user_src, ttl: 2d, schema: [{name: score, dtype: int64}]}
  - {name: group_stats, entities: [group], source: group_src, ttl: 1d, schema: [{name: seq, dtype: int64}]}
  - {name: group_wide, entities: [group], source: group_src, ttl: 1d, schema: [{name: seq, dtype: int64}, {name: m7, dtype: int64}, {name: m11, dtype: int64}, {name: m13, dtype: int64}, {name: m17, dtype: int64}]}
`,
    files,
  );
  const wide = ["seq", "m7", "m11", "m13", "m17"].map((f) => `group_wide:${f}`);
  const options = { entities: "data/entities.parquet", features: ["user_stats:score", "group_stats:seq", ...wide], fullFeatureNames: true };
  const auto = await getHistoricalFeatures(repo, options);
  assert.deepEqual(viewPhases(auto, "user_stats"), ["user_stats: glance", "user_stats: join"]);
  assert.deepEqual(viewPhases(auto, "group_stats"), ["group_stats: single pass, stopped", "group_stats: plan", "group_stats: join"]);
  assert.deepEqual(viewPhases(auto, "group_wide"), ["group_wide: single pass, stopped", "group_wide: plan", "group_wide: join"]);
  assert.ok(auto.rows!.filter((r) => r.group_wide__m17 !== null).length > 1000);
  assert.ok(auto.rows!.every((r) => r.group_wide__seq === r.group_stats__seq && (r.group_wide__seq === null || Number(r.group_wide__m7) === Number(r.group_wide__seq) % 7)));
  assert.ok(auto.views.every((v) => v.matched > 1000), JSON.stringify(auto.views));
  for (const joinPlan of ["asof", "range", "interval"] as const) {
    const forced = await getHistoricalFeatures(repo, { ...options, joinPlan });
    assert.deepEqual(forced.rows, auto.rows, `${joinPlan} plan returns the rows of the automatic choice`);
  }
  assert.deepEqual(auto.rows!.map((r) => Number(r.label)), Array.from({ length: 4000 }, (_, i) => i), "input order");
});

test("a few keys with thousands of rows inside the ttl get range passes, not the ASOF plan, with the rows of the ASOF plan", async (t) => {
  // 3 sensors with a reading every 5 seconds for 4 days, a 1-day ttl: 17,280 candidates per
  // entity row, still 17 inside a window of 1/1024 of the ttl, where the windows used to stop
  // (then this view got the ASOF plan); the passes now start far narrower. A glance at 2 of
  // the source's 102 row groups finds the histories long: no single pass.
  const readings = 3 * 4 * 17_280;
  const files = await parquetFiles(t, {
    "users.parquet": `SELECT i % 3 AS user_id, ${START} + INTERVAL (i // 3 * 5) SECOND AS ts, hash(i) % 1000 AS score FROM range(${readings}) t(i)`,
    "groups.parquet": `SELECT 0 AS group_id, ${START} AS ts, 0 AS seq`,
    "entities.parquet": `SELECT hash(i) % 3 AS user_id, ${START} + INTERVAL (hash(i * 13) % (4 * 86400)) SECOND AS event_timestamp, i AS label FROM range(20000) t(i)`,
  });
  const repo = await makeRepo(
    t,
    `${USERS_AND_GROUPS}
feature_views:
  - {name: user_stats, entities: [user], source: user_src, ttl: 1d, schema: [{name: score, dtype: int64}]}
`,
    files,
  );
  const options = { entities: "data/entities.parquet", features: ["user_stats:score"] };
  const auto = await getHistoricalFeatures(repo, options);
  assert.deepEqual(viewPhases(auto, "user_stats"), ["user_stats: glance", "user_stats: plan", "user_stats: join"]);
  assert.equal(auto.views[0]!.plan, "range");
  assert.ok(auto.views[0]!.matched > 19000, JSON.stringify(auto.views));
  const asof = await getHistoricalFeatures(repo, { ...options, joinPlan: "asof" });
  assert.deepEqual(asof.rows, auto.rows);
});

test("entity rows outnumbering a Parquet source get the intervals, joined while writing, unless a key's history is long; matches are counted in every output", async (t) => {
  // 1,000 users with 2 rows each, a tenth of the notes NULL; 5 groups with a row every 30
  // minutes (48 a day: with a 1-day ttl, about 100 intervals per key and day, and as many
  // candidates per entity row); 20,000 entity rows, more than 4 times either source.
  const files = await parquetFiles(t, {
    "users.parquet": `SELECT i % 1000 AS user_id, ${START} + INTERVAL (hash(i) % (${DAYS} * 86400)) SECOND AS ts, hash(i * 7) % 100 AS score, CASE WHEN i % 10 <> 0 THEN i END AS note FROM range(2000) t(i)`,
    "groups.parquet": `SELECT i % 5 AS group_id, ${START} + INTERVAL (i // 5 * 1800) SECOND AS ts, i AS seq FROM range(${5 * DAYS * 48}) t(i)`,
    "entities.parquet": `SELECT hash(i) % 1000 AS user_id, hash(i) % 1000 % 5 AS group_id, ${START} + INTERVAL (hash(i * 13) % (${DAYS} * 86400)) SECOND AS event_timestamp, i AS label FROM range(20000) t(i)`,
  });
  const repo = await makeRepo(
    t,
    `${USERS_AND_GROUPS}
feature_views:
  - {name: user_stats, entities: [user], source: user_src, ttl: 3d, schema: [{name: score, dtype: int64}, {name: note, dtype: int64}]}
  - {name: user_notes, entities: [user], source: user_src, ttl: 3d, schema: [{name: note, dtype: int64}]}
  - {name: group_stats, entities: [group], source: group_src, ttl: 1d, schema: [{name: seq, dtype: int64}]}
`,
    files,
  );
  const options = { entities: "data/entities.parquet", features: ["user_stats:score", "user_notes:note", "group_stats:seq"] };
  const auto = await getHistoricalFeatures(repo, options);
  assert.deepEqual(auto.views.map((v) => [v.view, v.plan]), [["user_stats", "interval"], ["user_notes", "interval"], ["group_stats", "range"]]);
  assert.deepEqual(viewPhases(auto, "user_stats"), ["user_stats: intervals"]);
  assert.deepEqual(viewPhases(auto, "group_stats"), ["group_stats: intervals, too many per key", "group_stats: single pass, stopped", "group_stats: plan", "group_stats: join"]);
  assert.deepEqual(auto.rows!.map((r) => Number(r.label)), Array.from({ length: 20000 }, (_, i) => i), "input order");

  // The ASOF plan counts its matches from its table of winners: every output agrees with it.
  const asof = await getHistoricalFeatures(repo, { ...options, joinPlan: "asof" });
  assert.deepEqual(asof.rows, auto.rows, "asof plan returns the rows of the automatic choice");
  const notes = auto.rows!.filter((r) => r.note !== null).length;
  const [, matchedNotes] = asof.views.map((v) => v.matched);
  assert.ok(matchedNotes! > notes && notes > 4000, `a winner whose note is NULL still matched: ${matchedNotes} > ${notes}`);
  assert.deepEqual(auto.views.map((v) => v.matched), asof.views.map((v) => v.matched), "matches counted from the rows");
  for (const joinPlan of ["range", "interval"] as const) {
    const forced = await getHistoricalFeatures(repo, { ...options, joinPlan });
    assert.deepEqual(forced.rows, auto.rows, `${joinPlan} plan returns the rows of the automatic choice`);
    assert.deepEqual(forced.views.map((v) => v.matched), asof.views.map((v) => v.matched), `${joinPlan} plan's matches`);
  }
  for (const output of ["out.parquet", "out.csv"]) {
    const written = await getHistoricalFeatures(repo, { ...options, output, cwd: repo.root });
    assert.deepEqual(written.views, auto.views, `matches counted for ${output}`);
  }
  const reader = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    const rows = await reader.rows(`SELECT * FROM read_parquet('${join(repo.root, "out.parquet")}')`);
    assert.deepEqual(rows, auto.rows, "the Parquet file holds the rows returned");
  } finally {
    reader.close();
  }
});

test("views without a ttl are planned over their horizon (intervals, range passes or ASOF), with the rows of the ASOF plan without one", async (t) => {
  // 1,000 users with 2 rows each (intervals), or 10 (more than a quarter of the entity rows);
  // 5 groups with a row every 30 minutes (every earlier row a candidate: long histories);
  // 20,000 entity rows, a tenth of them before any source row, and more before their keys' first.
  const files = await parquetFiles(t, {
    "users.parquet": `SELECT i % 1000 AS user_id, ${START} + INTERVAL (hash(i) % (${DAYS} * 86400)) SECOND AS ts, hash(i * 7) % 100 AS score FROM range(2000) t(i)`,
    "history.parquet": `SELECT i % 1000 AS user_id, ${START} + INTERVAL (hash(i) % (${DAYS} * 86400)) SECOND AS ts, i AS seen FROM range(10000) t(i)`,
    "groups.parquet": `SELECT i % 5 AS group_id, ${START} + INTERVAL (i // 5 * 1800) SECOND AS ts, i AS seq FROM range(${5 * DAYS * 48}) t(i)`,
    "entities.parquet": `SELECT hash(i) % 1000 AS user_id, hash(i) % 1000 % 5 AS group_id, ${START} + INTERVAL (hash(i * 13) % (${DAYS + 2} * 86400) - 2 * 86400) SECOND AS event_timestamp, i AS label FROM range(20000) t(i)`,
  });
  const repo = await makeRepo(
    t,
    `${USERS_AND_GROUPS}
  - {name: history_src, type: file, path: data/history.parquet, timestamp_field: ts}
feature_views:
  - {name: user_stats, entities: [user], source: user_src, ttl: 0, schema: [{name: score, dtype: int64}]}
  - {name: user_history, entities: [user], source: history_src, ttl: 0, schema: [{name: seen, dtype: int64}]}
  - {name: group_stats, entities: [group], source: group_src, ttl: 0, schema: [{name: seq, dtype: int64}]}
`,
    files,
  );
  const options = { entities: "data/entities.parquet", features: ["user_stats:score", "user_history:seen", "group_stats:seq"] };
  const auto = await getHistoricalFeatures(repo, options);
  assert.deepEqual(auto.views.map((v) => [v.view, v.plan]), [["user_stats", "interval"], ["user_history", "range"], ["group_stats", "asof"]]);
  // Every earlier row is a candidate: no single pass, straight to the estimate.
  assert.deepEqual(viewPhases(auto, "user_history"), ["user_history: plan", "user_history: join"]);
  assert.deepEqual(viewPhases(auto, "group_stats"), ["group_stats: intervals, too many per key", "group_stats: plan", "group_stats: join"]);
  const asof = await getHistoricalFeatures(repo, { ...options, joinPlan: "asof" });
  assert.deepEqual(auto.rows, asof.rows, "the ASOF plan, without a horizon, returns the same rows");
  assert.deepEqual(auto.views.map((v) => v.matched), asof.views.map((v) => v.matched));
  assert.ok(asof.views.every((v) => v.matched > 10000 && v.matched < 20000), `matches ${asof.views.map((v) => v.matched)}: rows before their keys' first time find none`);
});

test("the range plan pairs each source row with two buckets when the entity rows outnumber the source, from a file, a glob and a query source, with the oracle's rows; auto sizes all three up for the intervals", async (t) => {
  // Few source rows, many entity rows: every pass copies the source side (see runWindowPass).
  // Times straddle 1970 (bucket 0 is wider) and land exactly on window edges.
  const next = random(11);
  const sources = Array.from({ length: 60 }, (_, i) => [i % 4, new Date(-20 * HOUR + Math.floor(next() * 40) * HOUR + (i % 3) * 60_000), i]);
  const entities = Array.from({ length: 3000 }, (_, i) => {
    const [user, ts] = sources[Math.floor(next() * sources.length)]! as [number, Date, number];
    const shift = [0, 2 * HOUR, 2 * HOUR + 1000, 30 * 60_000, -60_000][i % 5]!;
    return { user_id: user, event_timestamp: new Date(ts.getTime() + shift), label: i };
  });
  const repo = await makeRepo(
    t,
    `
entities:
  - {name: user, join_keys: [user_id], value_type: int64}
sources:
  - {name: user_src, type: file, path: data/users.csv, timestamp_field: ts}
  - {name: user_query, type: query, sql: "SELECT user_id, ts, seq AS seq2 FROM user_src", timestamp_field: ts}
  - {name: user_parts, type: file, path: "data/parts/users-*.csv", timestamp_field: ts}
feature_views:
  - {name: user_stats, entities: [user], source: user_src, ttl: 2h, schema: [{name: seq, dtype: int64}]}
  - {name: user_query_stats, entities: [user], source: user_query, ttl: 2h, schema: [{name: seq2, dtype: int64}]}
  - {name: user_part_stats, entities: [user], source: user_parts, ttl: 2h, schema: [{name: seq3, dtype: int64}]}
`,
    {
      "data/users.csv": csv(["user_id", "ts", "seq"], sources),
      "data/parts/users-1.csv": csv(["user_id", "ts", "seq3"], sources.slice(0, 25)),
      "data/parts/users-2.csv": csv(["user_id", "ts", "seq3"], sources.slice(25)),
    },
  );
  const oracle = entities.map((e) => {
    const T = e.event_timestamp.getTime();
    const candidates = sources.filter(([u, ts]) => u === e.user_id && (ts as Date).getTime() <= T && (ts as Date).getTime() >= T - 2 * HOUR);
    // Greatest time, then greatest value.
    candidates.sort((a, b) => (b[1] as Date).getTime() - (a[1] as Date).getTime() || (b[2] as number) - (a[2] as number));
    return candidates.length === 0 ? null : BigInt(candidates[0]![2] as number);
  });
  for (const joinPlan of ["range", "asof", "interval", "auto"] as const) {
    // The query source is copied before the join, except when a single range pass reads it once.
    const result = await getHistoricalFeatures(repo, { entities, features: ["user_stats:seq", "user_query_stats:seq2", "user_part_stats:seq3"], joinPlan });
    assert.deepEqual(result.rows!.map((r) => r.seq), oracle, `${joinPlan} plan`);
    assert.deepEqual(result.rows!.map((r) => r.seq2), oracle, `${joinPlan} plan, query source`);
    assert.deepEqual(result.rows!.map((r) => r.seq3), oracle, `${joinPlan} plan, CSV glob`);
    // A CSV file's rows are estimated from its size, a glob's file by file; a query source is run until it has a quarter of the entity rows.
    if (joinPlan === "auto") assert.deepEqual(result.views.map((v) => v.plan), ["interval", "interval", "interval"]);
  }
  assert.ok(oracle.filter((v) => v !== null).length > 1000 && oracle.includes(null));
});

test("a single pass keeps its candidates under a quarter of DuckDB's memory limit, read in bytes", async () => {
  // Unread, the limit would be Infinity and a pass could spill millions of candidates to disk.
  for (const [memoryLimit, bytes] of [["512MB", 512e6], ["1.5GiB", 1.5 * 2 ** 30]] as const) {
    const engine = await OfflineEngine.open({ type: "duckdb", threads: 1, memoryLimit });
    try {
      const read = await engine.memoryLimit();
      assert.ok(Math.abs(read - bytes) / bytes < 0.001, `${memoryLimit}: ${read} bytes`);
    } finally {
      engine.close();
    }
  }
  assert.equal(parseBytes("18.8 GiB"), 18.8 * 2 ** 30);
  assert.equal(parseBytes("no limit"), Infinity);
});

test("a statement run with its hash joins as written leaves DuckDB's own choice to the next one, after a failure too", async () => {
  // A single pass that stops fails its statement; the estimate and the passes after it must not inherit the pinned sides.
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  const disabled = async () => String((await engine.rows("SELECT current_setting('disabled_optimizers') AS s"))[0]!.s);
  try {
    const before = await disabled();
    await engine.runAsWritten("CREATE TEMP TABLE t AS SELECT * FROM range(10) a(x) JOIN range(5) b(y) ON a.x = b.y");
    assert.equal(await disabled(), before);
    await assert.rejects(engine.runAsWritten("SELECT error('stopped')"), /stopped/);
    assert.equal(await disabled(), before);
    assert.doesNotMatch(before, /build_side_probe_side/);
  } finally {
    engine.close();
  }
});
