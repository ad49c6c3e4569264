import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OfflineEngine } from "../../src/offline/engine.js";
import { getHistoricalFeatures, type HistoricalFeaturesOptions } from "../../src/offline/get-historical.js";
import { applyRepo } from "../../src/apply/apply.js";
import type { Repo } from "../../src/repo/repo.js";
import { makeRepo } from "./fixtures.js";

/**
 * Stored time types (the joins compare epoch microseconds and prune on the stored column) and
 * entity files read in place or copied: every plan must return the same, exact rows.
 */

const T = "2024-01-01 10:00:00";

/** Writes Parquet files with DuckDB: name -> SELECT. */
async function writeParquet(root: string, files: Record<string, string>): Promise<void> {
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    for (const [name, select] of Object.entries(files)) await engine.run(`COPY (${select}) TO '${join(root, name)}' (FORMAT parquet)`);
  } finally {
    engine.close();
  }
}

async function repoWith(t: { after(fn: () => void): void }, definitions: string, files: Record<string, string>): Promise<Repo> {
  const repo = await makeRepo(t, "entities: []\n");
  await writeParquet(repo.root, files);
  writeFileSync(join(repo.root, "features.yaml"), definitions);
  await applyRepo(repo);
  return repo;
}

/** One column of the rows under every plan, which must agree. */
async function column(repo: Repo, options: Omit<HistoricalFeaturesOptions, "joinPlan">, name: string): Promise<unknown[]> {
  const runs = await Promise.all((["asof", "range", "interval", "auto"] as const).map((joinPlan) => getHistoricalFeatures(repo, { ...options, joinPlan })));
  const values = runs.map((r) => r.rows!.map((row) => (typeof row[name] === "bigint" ? Number(row[name]) : row[name])));
  assert.deepEqual(values[1], values[0], "range = asof");
  assert.deepEqual(values[2], values[0], "interval = asof");
  assert.deepEqual(values[3], values[0], "auto = asof");
  return values[0]!;
}

test("stored time types, their bounds and entity files", async (t) => {
  await t.test("nanosecond times are truncated to the microsecond, at T and at T - ttl alike", async () => {
    const ns = (k: number, time: string) => `SELECT ${k} AS k, CAST('${time}' AS TIMESTAMP_NS) AS ts, ${k} AS x`;
    const repo = await repoWith(
      t,
      "entities:\n  - {name: thing, join_keys: [k], value_type: int64}\nsources:\n  - {name: src, type: file, path: src.parquet, timestamp_field: ts}\nfeature_views:\n  - {name: v, entities: [thing], source: src, ttl: 1h, schema: [{name: x, dtype: int64}]}\n",
      {
        // T, T + 500 ns (which is T), T + 1 us, T - 1h + 500 ns (which is T - 1h), just before T - 1h.
        "src.parquet": [ns(1, T), ns(2, `${T}.0000005`), ns(3, `${T}.000001`), ns(4, "2024-01-01 09:00:00.0000005"), ns(5, "2024-01-01 08:59:59.9999995")].join(" UNION ALL "),
        "entities.parquet": `SELECT k::BIGINT AS k, TIMESTAMP '${T}' AS event_timestamp FROM range(1, 6) t(k)`,
      },
    );
    assert.deepEqual(await column(repo, { entities: join(repo.root, "entities.parquet"), features: ["v:x"] }, "x"), [1, 2, null, 4, null]);
  });

  await t.test("DATE, text and zoned time columns; infinite times are never candidates", async () => {
    const repo = await repoWith(
      t,
      `entities:
  - {name: thing, join_keys: [k], value_type: int64}
sources:
  - {name: daily, type: file, path: daily.parquet, timestamp_field: day}
  - {name: text, type: file, path: text.parquet, timestamp_field: ts, created_timestamp_column: created}
  - {name: zoned, type: file, path: zoned.parquet, timestamp_field: ts}
feature_views:
  - {name: d, entities: [thing], source: daily, ttl: 2d, schema: [{name: dx, dtype: int64}]}
  - {name: s, entities: [thing], source: text, ttl: 1h, schema: [{name: sx, dtype: int64}]}
  - {name: z, entities: [thing], source: zoned, ttl: 0, schema: [{name: zx, dtype: int64}]}
`,
      {
        "daily.parquet": "SELECT * FROM (VALUES (1, DATE '2023-12-30', 1), (1, DATE '2024-01-01', 2), (1, DATE '2024-01-02', 3)) t(k, day, dx)",
        // Text times in two zones; equal instants are told apart by the created time.
        "text.parquet": "SELECT * FROM (VALUES (1, '2024-01-01T11:30:00+02:00', '2024-01-01T09:40:00Z', 1), (1, '2024-01-01T09:30:00Z', '2024-01-01T09:50:00Z', 2), (1, '2024-01-01T10:00:01Z', NULL, 3)) t(k, ts, created, sx)",
        "zoned.parquet":
          "SELECT * FROM (VALUES (1, TIMESTAMPTZ '2023-06-01 00:00:00+00', 1), (1, 'infinity'::TIMESTAMPTZ, 2), (1, '-infinity'::TIMESTAMPTZ, 3), (2, '-infinity'::TIMESTAMPTZ, 4)) t(k, ts, zx)",
        "entities.parquet": `SELECT * FROM (VALUES (1::BIGINT, TIMESTAMPTZ '2024-01-01 12:00:00+02'), (2::BIGINT, TIMESTAMPTZ '${T}+00')) t(k, event_timestamp)`,
      },
    );
    const options = { entities: join(repo.root, "entities.parquet"), features: ["d:dx", "s:sx", "z:zx"] };
    assert.deepEqual(await column(repo, options, "dx"), [2, null], "the day starting at midnight UTC before T; the later day is after T");
    assert.deepEqual(await column(repo, options, "sx"), [2, null], "09:30Z twice: the later created wins");
    assert.deepEqual(await column(repo, options, "zx"), [1, null], "infinite times match nothing, even without a ttl");
  });

  await t.test("entity files whose columns hide the row number keep their order", async () => {
    const repo = await repoWith(
      t,
      "entities:\n  - {name: thing, join_keys: [k], value_type: int64}\nsources:\n  - {name: src, type: file, path: src.parquet, timestamp_field: ts}\nfeature_views:\n  - {name: v, entities: [thing], source: src, ttl: 0, schema: [{name: x, dtype: int64}]}\n",
      {
        "src.parquet": `SELECT (i % 7)::BIGINT AS k, TIMESTAMP '${T}' - INTERVAL (i) MINUTE AS ts, i AS x FROM range(50) t(i)`,
        "numbered.parquet": `SELECT (49 - i) % 7 AS k, TIMESTAMP '${T}' AS event_timestamp, 1000 - i AS file_row_number FROM range(40) t(i)`,
      },
    );
    writeFileSync(join(repo.root, "rowid.csv"), `rowid,k,event_timestamp\n${Array.from({ length: 40 }, (_, i) => `${100 - i},${(49 - i) % 7},${T}`).join("\n")}\n`);
    for (const [file, order] of [["numbered.parquet", "file_row_number"], ["rowid.csv", "rowid"]] as const) {
      const options = { entities: join(repo.root, file), features: ["v:x"] };
      const rows = (await getHistoricalFeatures(repo, options)).rows!;
      assert.deepEqual(rows.map((r) => Number(r[order])), Array.from({ length: 40 }, (_, i) => (file === "rowid.csv" ? 100 - i : 1000 - i)), `${file}: input order, the column kept`);
      assert.deepEqual(await column(repo, options, "x"), Array.from({ length: 40 }, (_, i) => (49 - i) % 7), `${file}: the newest row of each key`);
    }
  });
});
