import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../../src/errors.js";
import { OfflineEngine } from "../../src/offline/engine.js";
import { getHistoricalFeatures } from "../../src/offline/get-historical.js";
import { csv, makeRepo } from "./fixtures.js";

/** Entity files in every accepted form, output formats, and every kind of bad input. */

const DEFINITIONS = `
entities:
  - {name: driver, join_keys: [driver_id], value_type: int64}
sources:
  - {name: stats, type: file, path: data/stats.csv, timestamp_field: ts}
feature_views:
  - {name: hourly, entities: [driver], source: stats, ttl: 2h, schema: [{name: conv, dtype: float64}]}
`;
const FILES = {
  "data/stats.csv": csv(["driver_id", "ts", "conv"], [[1, "2024-01-01T09:00:00Z", 0.1], [1, "2024-01-01T10:00:00Z", 0.2], [2, "2024-01-01T09:00:00Z", 0.3]]),
};
const features = ["hourly:conv"];

function isError(code: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof MlfError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

test("entity inputs, output formats and bad input", async (t) => {
  const repo = await makeRepo(t, DEFINITIONS, FILES);
  const dir = repo.root;
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return name;
  };
  const run = (entities: string, extra: Record<string, unknown> = {}) => getHistoricalFeatures(repo, { entities, features, cwd: dir, ...extra });
  const convs = async (entities: string) => (await run(entities)).rows!.map((r) => r.conv);

  await t.test("naive CSV timestamps are UTC and zoned ones are converted", async () => {
    const file = write("zones.csv", "driver_id,event_timestamp\n1,2024-01-01 09:30:00\n1,2024-01-01T12:00:00+02:00\n1,2024-01-01T05:00:00-05:00\n2,2024-01-01\n");
    assert.deepEqual(await convs(file), [0.1, 0.2, 0.2, null]);
  });

  await t.test("Parquet entity files with naive and zoned timestamps agree with CSV", async () => {
    const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
    try {
      await engine.run("SET TimeZone = 'America/New_York'");
      await engine.run(`COPY (SELECT 1::BIGINT AS driver_id, TIMESTAMP '2024-01-01 09:30:00' AS event_timestamp) TO '${join(dir, "naive.parquet")}' (FORMAT parquet)`);
      await engine.run(`COPY (SELECT 1::BIGINT AS driver_id, TIMESTAMPTZ '2024-01-01 05:30:00-05' AS event_timestamp) TO '${join(dir, "zoned.parquet")}' (FORMAT parquet)`);
    } finally {
      engine.close();
    }
    assert.deepEqual(await convs("naive.parquet"), [0.1]);
    assert.deepEqual(await convs("zoned.parquet"), [0.2]);
  });

  await t.test("a Parquet file rewritten between two retrievals is read anew", async () => {
    // A retrieval caches the footers it reads; the next one must not see them.
    const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
    const rewrite = (select: string) => engine.run(`COPY (${select}) TO '${join(dir, "again.parquet")}' (FORMAT parquet)`);
    try {
      await rewrite("SELECT 1::BIGINT AS driver_id, TIMESTAMPTZ '2024-01-01 09:30:00Z' AS event_timestamp");
      assert.deepEqual(await convs("again.parquet"), [0.1]);
      await rewrite("SELECT * FROM (VALUES (2::BIGINT, TIMESTAMPTZ '2024-01-01 09:30:00Z'), (1, TIMESTAMPTZ '2024-01-01 10:30:00Z')) AS t(driver_id, event_timestamp)");
      assert.deepEqual(await convs("again.parquet"), [0.3, 0.2]);
    } finally {
      engine.close();
    }
  });

  await t.test("--timestamp-column names another column; string keys in CSV are cast to the entity type", async () => {
    const file = write("other.csv", "driver_id,label_time\n001,2024-01-01T10:00:00Z\n");
    const result = await run(file, { timestampColumn: "label_time" });
    assert.deepEqual(result.rows, [{ driver_id: 1n, label_time: new Date("2024-01-01T10:00:00Z"), conv: 0.2 }]);
  });

  await t.test("every output format is written by extension, and nothing else is left behind", async () => {
    const file = write("two.csv", "driver_id,event_timestamp,label\n1,2024-01-01T10:00:00Z,x\n2,2024-01-01T12:00:00.5Z,y\n");
    for (const out of ["out.csv", "out.json", "out.ndjson", "out.parquet"]) {
      const result = await run(file, { output: out });
      assert.equal(result.output, join(dir, out));
      assert.equal(result.rows, undefined);
      assert.equal(result.rowCount, 2);
    }
    assert.equal(readFileSync(join(dir, "out.csv"), "utf8"), "driver_id,event_timestamp,label,conv\n1,2024-01-01T10:00:00Z,x,0.2\n2,2024-01-01T12:00:00.500Z,y,\n");
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "out.json"), "utf8")), [
      { driver_id: 1, event_timestamp: "2024-01-01T10:00:00Z", label: "x", conv: 0.2 },
      { driver_id: 2, event_timestamp: "2024-01-01T12:00:00.500Z", label: "y", conv: null },
    ]);
    assert.equal(readFileSync(join(dir, "out.ndjson"), "utf8").trim().split("\n").length, 2);
    const back = await getHistoricalFeatures(repo, { entities: "out.parquet", features: ["hourly:conv"], fullFeatureNames: true, cwd: dir });
    assert.deepEqual(back.rows!.map((r) => [r.label, r.conv, r.hourly__conv]), [["x", 0.2, 0.2], ["y", null, null]]);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), []);
  });

  await t.test("an empty entity file is a valid empty result", async () => {
    for (const file of [write("empty.csv", ""), write("header.csv", "driver_id,event_timestamp\n")]) {
      const result = await run(file, { output: "empty-out.csv" });
      assert.equal(result.rowCount, 0);
      assert.deepEqual(result.views, [{ view: "hourly", matched: 0, matchRate: 0, plan: "asof" }]);
      assert.equal(readFileSync(join(dir, "empty-out.csv"), "utf8"), "driver_id,event_timestamp,conv\n");
    }
    assert.deepEqual((await getHistoricalFeatures(repo, { entities: [], features })).rows, []);
    for (const joinPlan of ["asof", "range", "interval"] as const) {
      assert.deepEqual((await getHistoricalFeatures(repo, { entities: [], features, joinPlan })).rows, [], `${joinPlan} plan`);
    }
  });

  await t.test("a missing entity file is file_not_found", async () => {
    await assert.rejects(run("nope.csv"), isError("file_not_found", /nope\.csv does not exist/));
  });

  await t.test("entity rows without the timestamp column or a join key say which column", async () => {
    await assert.rejects(run(write("nots.csv", "driver_id,when\n1,2024-01-01\n")), isError("invalid_data", /no column "event_timestamp".*--timestamp-column.*driver_id, when/));
    await assert.rejects(run(write("nokey.csv", "id,event_timestamp\n1,2024-01-01\n")), isError("invalid_data", /no column "driver_id", the join key of entity "driver"/));
  });

  await t.test("an unparsable or missing timestamp names the row and the column", async () => {
    const file = write("badts.csv", "driver_id,event_timestamp\n1,2024-01-01T10:00:00Z\n1,yesterday\n");
    await assert.rejects(run(file), isError("invalid_data", /"yesterday" at row 2 \(line 3\), column "event_timestamp"/));
    await assert.rejects(run(write("nullts.csv", "driver_id,event_timestamp\n1,\n")), isError("invalid_data", /no value at row 1 \(line 2\)/));
    const records = [{ driver_id: 1, event_timestamp: "2024-01-01" }, { driver_id: 1, event_timestamp: "soon" }];
    await assert.rejects(getHistoricalFeatures(repo, { entities: records, features }), isError("invalid_data", /"soon" at row 2, column "event_timestamp"/));
  });

  await t.test("a missing or infinite time in a Parquet entity file names its row", async () => {
    const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
    const rows = (third: string) => `SELECT 1::BIGINT AS driver_id, ts AS event_timestamp FROM (VALUES (TIMESTAMP '2024-01-01 10:00:00'), (TIMESTAMP '2024-01-01 11:00:00'), (${third})) t(ts)`;
    try {
      await engine.run(`COPY (${rows("NULL")}) TO '${join(dir, "nullts.parquet")}' (FORMAT parquet)`);
      await engine.run(`COPY (${rows("'infinity'::TIMESTAMP")}) TO '${join(dir, "infts.parquet")}' (FORMAT parquet)`);
      await engine.run(`COPY (${rows("TIMESTAMP '2024-01-01 09:30:00'")}) TO '${join(dir, "fine.parquet")}' (FORMAT parquet)`);
    } finally {
      engine.close();
    }
    await assert.rejects(run("nullts.parquet"), isError("invalid_data", /no value at row 3, column "event_timestamp"/));
    await assert.rejects(run("infts.parquet"), isError("invalid_data", /"infinity" at row 3, column "event_timestamp"/));
    assert.deepEqual(await convs("fine.parquet"), [0.2, 0.2, 0.1]);
  });

  await t.test("mixed types in a key column are reported with the offending row", async () => {
    await assert.rejects(run(write("mixed.csv", "driver_id,event_timestamp\n1,2024-01-01\nabc,2024-01-01\n")), isError("invalid_data", /"driver_id".*mixes types: row 2 \(line 3\) holds "abc", which is not int64/));
    const records = [{ driver_id: 1, event_timestamp: new Date() }, { driver_id: "2", event_timestamp: new Date() }];
    await assert.rejects(getHistoricalFeatures(repo, { entities: records, features }), isError("invalid_data", /"driver_id" of the entity records mixes types: record 1 holds an integer, record 2 a string/));
  });

  await t.test("unknown views, features and services, and malformed refs, are rejected before reading data", async () => {
    const file = write("ok.csv", "driver_id,event_timestamp\n1,2024-01-01\n");
    await assert.rejects(run(file, { features: ["nope:conv"] }), isError("not_found", /Feature view "nope"/));
    await assert.rejects(run(file, { features: ["hourly:nope"] }), isError("not_found", /no feature "nope"; it has: conv/));
    await assert.rejects(run(file, { features: ["hourly.conv"] }), isError("invalid_argument", /"hourly\.conv" is malformed; write it as view:feature/));
    await assert.rejects(run(file, { features: [], service: "nope" }), isError("not_found", /Feature service "nope"/));
    await assert.rejects(run(file, { features: [] }), isError("invalid_argument", /No features requested/));
    await assert.rejects(run(file, { output: "out.xlsx" }), isError("invalid_argument", /\.parquet, \.csv, \.json or \.ndjson/));
    assert.equal(existsSync(join(dir, "out.xlsx")), false);
  });

  await t.test("a feature named like an entity column is an error, not a silent overwrite", async () => {
    await assert.rejects(run(write("clash.csv", "driver_id,event_timestamp,conv\n1,2024-01-01,5\n")), isError("invalid_argument", /column "conv", which the entity rows already have/));
  });
});
