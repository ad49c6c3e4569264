import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { listLogFiles, logFilePath, logFolder } from "../../../src/repo/feature-logs.js";
import type { Definitions } from "../../../src/repo/types.js";
import { FeatureLogger } from "../../../src/serving/logging/logger.js";
import type { FeatureLogRecord } from "../../../src/serving/logging/record.js";
import { tempDir } from "../../helpers.js";
import { describeLog, readLog } from "./helpers.js";

/** The feature logger on its own: hours, sequence numbers, types, failures. */

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10, 8, 10); // 2026-01-10T08:10Z

const defs: Definitions = {
  entities: [
    { name: "airport", joinKey: "origin", valueType: "string" },
    { name: "gate", joinKey: "gate", valueType: "int32" },
    { name: "tag", joinKey: "tag", valueType: "bytes" },
  ],
  sources: [],
  featureViews: [
    {
      name: "v",
      entities: ["airport"],
      source: "s",
      ttlSeconds: 0,
      online: true,
      tags: {},
      schema: [
        { name: "flag", dtype: "bool" },
        { name: "when", dtype: "unix_timestamp" },
        { name: "raw", dtype: "bytes" },
        { name: "small", dtype: "float32" },
        { name: "count", dtype: "int64" },
      ],
    },
  ],
  featureServices: [{ name: "svc", features: [{ view: "v", features: ["flag", "count"] }], logging: { sampleRate: 1 } }],
};
const refs = ["v:flag", "v:when", "v:raw", "v:small", "v:count"];

function record(at: number, id: string, extra: Partial<FeatureLogRecord> = {}): FeatureLogRecord {
  return {
    kind: "models",
    name: "m",
    modelVersion: "2",
    route: "/predict",
    requestId: id,
    at,
    rows: 2,
    keys: { origin: ["LAX", "ORD"], gate: 7, tag: ["AAE=", "/w=="], not_a_key: 1 },
    features: refs,
    columns: [
      { values: [true, null], statuses: ["PRESENT", "NULL_VALUE"] },
      { values: ["2026-01-01T00:00:00.123", null], statuses: ["PRESENT", "OUTSIDE_MAX_AGE"] },
      { values: ["AAEC", "AAEC"] },
      { values: [0.5, 1.25] },
      // A value that does not fit the column (a float sent for an int64 feature) is logged NULL.
      { values: [9_007_199_254_740_993n, 1.5] },
    ],
    predictions: [0.25, 0.75],
    ...extra,
  };
}

function logger(dir: string, log: Record<string, unknown>[] = []): FeatureLogger {
  return new FeatureLogger({ dir, sampleRate: 1, flushSeconds: 3600, queueSize: 1000, definitions: () => defs, log: (r) => log.push(r) });
}

test("rows go to the file of the UTC hour they were logged in, numbered on within the hour", async (t) => {
  const dir = tempDir(t);
  const folder = logFolder(dir, "models", "m");
  const log = logger(dir);
  log.log(record(T0, "a"));
  log.log(record(T0 + 50 * 60_000 - 1, "b")); // 08:59:59.999
  log.log(record(T0 + 50 * 60_000, "c")); // 09:00
  await log.flush();
  assert.deepEqual(listLogFiles(folder), [logFilePath(folder, T0, 1), logFilePath(folder, T0 + HOUR, 1)]);
  log.log(record(T0 + 5000, "d"));
  await log.flush();
  // Another writer (a second server on the same repository) took 09-000002 meanwhile: it is
  // not overwritten, the next number is used.
  const theirs = logFilePath(folder, T0 + HOUR, 2);
  writeFileSync(theirs, "not ours");
  log.log(record(T0 + HOUR + 1000, "e"));
  await log.flush();
  assert.deepEqual(listLogFiles(folder).map((f) => f.slice(folder.length + 1)), ["2026-01-10/08-000001.parquet", "2026-01-10/08-000002.parquet", "2026-01-10/09-000001.parquet", "2026-01-10/09-000002.parquet", "2026-01-10/09-000003.parquet"]);
  // No temp file is left behind.
  assert.deepEqual(readdirSync(dirname(theirs)).filter((n) => n.startsWith(".")), []);
  // A new logger (a restarted server) continues after the highest number of the hour.
  const again = logger(dir);
  again.log(record(T0 + 1000, "f"));
  await again.close();
  assert.ok(listLogFiles(folder).includes(logFilePath(folder, T0, 3)));
});

test("columns are typed by the registry: keys by their entity, features by their dtype", async (t) => {
  const dir = tempDir(t);
  const log = logger(dir);
  log.log(record(T0, "a", { variant: "shadow" }));
  await log.close();
  const [file] = listLogFiles(logFolder(dir, "models", "m"));
  assert.deepEqual(await describeLog(file!), {
    timestamp: "TIMESTAMP WITH TIME ZONE", model: "VARCHAR", model_version: "INTEGER", route: "VARCHAR", variant: "VARCHAR", request_id: "VARCHAR", request_row: "INTEGER",
    "key.origin": "VARCHAR", "key.gate": "INTEGER", "key.tag": "BLOB",
    "v:flag": "BOOLEAN", "v:when": "TIMESTAMP WITH TIME ZONE", "v:raw": "BLOB", "v:small": "FLOAT", "v:count": "BIGINT",
    "status.v:flag": "VARCHAR", "status.v:when": "VARCHAR", "status.v:raw": "VARCHAR", "status.v:small": "VARCHAR", "status.v:count": "VARCHAR",
    prediction: "DOUBLE",
  });
  const rows = await readLog(dir, "models", "m", `model_version, variant, request_row, "key.origin", "key.gate", hex("key.tag") AS tag, "v:flag", epoch_us("v:when") AS "when", "status.v:when", hex("v:raw") AS raw, "v:small", "v:count", prediction`);
  assert.deepEqual(rows, [
    { model_version: 2, variant: "shadow", request_row: 0, "key.origin": "LAX", "key.gate": 7, tag: "0001", "v:flag": true, when: 1_767_225_600_123_000n, "status.v:when": "PRESENT", raw: "000102", "v:small": 0.5, "v:count": 9_007_199_254_740_993n, prediction: 0.25 },
    { model_version: 2, variant: "shadow", request_row: 1, "key.origin": "ORD", "key.gate": 7, tag: "FF", "v:flag": null, when: null, "status.v:when": "OUTSIDE_MAX_AGE", raw: "000102", "v:small": 1.25, "v:count": null, prediction: 0.75 },
  ]);
});

test("a feature service's refs come from the registry; a service no longer there is dropped and counted", async (t) => {
  const dir = tempDir(t);
  const log = logger(dir);
  const service = (name: string): FeatureLogRecord => ({ kind: "services", name, route: "/get-online-features", requestId: "s", at: T0, rows: 1, keys: { origin: ["LAX"] }, columns: [{ values: [false], statuses: ["PRESENT"] }, { values: [3], statuses: ["PRESENT"] }] });
  assert.equal(log.log(service("svc")), true);
  log.log(service("gone"));
  await log.flush();
  assert.deepEqual(await readLog(dir, "services", "svc", `model, "key.origin", "v:flag", "v:count"`), [{ model: null, "key.origin": "LAX", "v:flag": false, "v:count": 3n }]);
  assert.match(log.render().join("\n"), /mlf_feature_log_dropped_total\{kind="services",name="gone",reason="unknown_features"\} 1/);
});

test("a failed write drops its rows, counts them, says so once, and never throws", async (t) => {
  const dir = tempDir(t);
  // The log folder is a file: every write fails the same way.
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", "logs"), "");
  const messages: Record<string, unknown>[] = [];
  const log = logger(join(dir, "data", "logs"), messages);
  for (const id of ["a", "b"]) {
    log.log(record(T0, id));
    await log.flush();
  }
  assert.equal(messages.filter((m) => m.msg === "feature log write failed").length, 1);
  assert.match(log.render().join("\n"), /mlf_feature_log_dropped_total\{kind="models",name="m",reason="write_failed"\} 2/);
  await log.close();
});
