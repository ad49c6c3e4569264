import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { computeDrift } from "../../src/monitor/drift.js";
import { listLogFiles, logFilePath, logFolder } from "../../src/repo/feature-logs.js";
import { openTableSide } from "../../src/monitor/table-side.js";
import { OfflineEngine } from "../../src/offline/engine.js";
import { tempDir } from "../helpers.js";
import { writeParquet, type Cell } from "./fixtures.js";

/**
 * The feature log format (src/repo/feature-logs.ts) as the server writes it, written here with
 * DuckDB, read back by the drift reader.
 */

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10, 8); // 2026-01-10T08:00Z

const LOG_COLUMNS = {
  timestamp: "TIMESTAMPTZ",
  model: "VARCHAR",
  model_version: "INTEGER",
  route: "VARCHAR",
  request_id: "VARCHAR",
  request_row: "INTEGER",
  "key.origin": "VARCHAR",
  "key.route": "VARCHAR",
  "origin_last_hour:avg_delay_1h": "DOUBLE",
  "status.origin_last_hour:avg_delay_1h": "VARCHAR",
  "route_info:distance": "BIGINT",
  "status.route_info:distance": "VARCHAR",
  prediction: "DOUBLE",
};

/** One logged /predict row: the delay feature `delay` (NULL unless PRESENT), distance, prediction. */
function logRow(at: number, version: number, i: number, delay: number | null, status: string): Cell[] {
  return [new Date(at).toISOString(), "delay_model", version, "/predict", `req-${at}-${i}`, 0, "LAX", "LAX-LAS", delay, status, 236 + (i % 3), "PRESENT", 0.2 + (i % 10) / 100];
}

async function writeLog(folder: string, at: number, seq: number, rows: Cell[][]): Promise<string> {
  const path = logFilePath(folder, at, seq);
  mkdirSync(dirname(path), { recursive: true });
  await writeParquet(path, LOG_COLUMNS, rows);
  return path;
}

test("log files are found by their layout, oldest first; temp files and strangers are ignored", async (t) => {
  const folder = logFolder(join(tempDir(t), "data", "logs"), "models", "delay_model");
  assert.equal(logFilePath(folder, T0 + 5 * 60_000, 7), join(folder, "2026-01-10", "08-000007.parquet"));
  const rows = [logRow(T0, 1, 0, 5, "PRESENT")];
  const b = await writeLog(folder, T0 + HOUR, 1, rows);
  const a = await writeLog(folder, T0, 2, rows);
  const c = await writeLog(folder, T0 + 26 * HOUR, 1, rows);
  writeFileSync(join(dirname(a), ".08-000003.parquet.4242.ab12.tmp"), "half a file");
  writeFileSync(join(dirname(a), "notes.txt"), "not a log");
  mkdirSync(join(folder, "scratch"));
  assert.deepEqual(listLogFiles(folder), [a, b, c]);
  // An hour is skipped only once it has ended by `since`.
  assert.deepEqual(listLogFiles(folder, T0 + HOUR), [b, c]);
  assert.deepEqual(listLogFiles(folder, T0 + HOUR - 1), [a, b, c]);
  assert.throws(() => listLogFiles(join(folder, "nope")), /No feature log folder/);
});

test("drift reads the logged features by reference, filters by time and version, and reports statuses", async (t) => {
  const dir = tempDir(t);
  const folder = logFolder(join(dir, "logs"), "models", "delay_model");
  // Hour 1: version 1 answers, values 0..99. Hour 2: version 2, values shifted far away, of
  // which a fifth too old (OUTSIDE_MAX_AGE, logged as NULL).
  await writeLog(folder, T0, 1, Array.from({ length: 100 }, (_, i) => logRow(T0 + i * 1000, 1, i, i, "PRESENT")));
  await writeLog(
    folder,
    T0 + HOUR,
    1,
    Array.from({ length: 100 }, (_, i) => (i % 5 === 0 ? logRow(T0 + HOUR + i * 1000, 2, i, null, "OUTSIDE_MAX_AGE") : logRow(T0 + HOUR + i * 1000, 2, i, 500 + i, "PRESENT"))),
  );
  // The training set names features plainly, and has its own `route` (an entity key) column.
  await writeParquet(join(dir, "train.parquet"), { route: "VARCHAR", avg_delay_1h: "DOUBLE", distance: "BIGINT" }, Array.from({ length: 100 }, (_, i) => ["LAX-LAS", i + 0.5, 236 + (i % 3)]));

  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  t.after(() => engine.close());
  const reference = await openTableSide(engine, { kind: "file", path: join(dir, "train.parquet") });
  const all = await openTableSide(engine, { kind: "logs", folder });
  assert.equal(all.rows, 200);
  const report = await computeDrift(reference, all);
  // `route` is the HTTP route in a log, not the training set's entity key: not compared.
  assert.deepEqual(report.features.map((f) => [f.name, f.columns.current]), [
    ["avg_delay_1h", "origin_last_hour:avg_delay_1h"],
    ["distance", "route_info:distance"],
  ]);
  assert.deepEqual(report.skipped, [{ name: "route", reason: "not in the current data" }]);
  const delay = report.features[0]!;
  assert.equal(delay.current.missingShare, 20 / 200);
  assert.deepEqual(delay.current.statusShares, { PRESENT: 0.9, NOT_FOUND: 0, NULL_VALUE: 0, OUTSIDE_MAX_AGE: 0.1 });

  const v1 = await openTableSide(engine, { kind: "logs", folder, version: 1 });
  assert.equal(v1.rows, 100);
  assert.equal((await computeDrift(reference, v1)).features[0]!.drifted, false);
  const lastHour = await openTableSide(engine, { kind: "logs", folder, since: T0 + HOUR + 50_000 });
  assert.equal(lastHour.rows, 50);
  assert.equal(lastHour.source.kind === "logs" && lastHour.source.files, 1);
  const late = await computeDrift(reference, lastHour);
  assert.equal(late.features[0]!.drifted, true);
  assert.equal(late.features[0]!.current.statusShares!.OUTSIDE_MAX_AGE, 10 / 50);
  await assert.rejects(openTableSide(engine, { kind: "logs", folder, since: T0 + 3 * HOUR }), /No feature logs in .* since 2026-01-10T11:00:00.000Z/);
});
