import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FeatureStore } from "../../src/feature-store.js";
import { mlf, tempDir } from "../helpers.js";

/** `mlf get-historical` end to end on the sample repository that `mlf init` writes. */

test("mlf get-historical on an init sample repository", async (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  assert.equal(mlf(["apply"], { cwd: dir }).status, 0);
  const labels = readFileSync(join(dir, "data", "labels.csv"), "utf8").trim().split("\n");

  await t.test("CSV on stdout, in label order, summary with match rates on stderr", () => {
    const run = mlf(["get-historical", "--entities", "data/labels.csv", "--service", "driver_activity"], { cwd: dir });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split("\n");
    assert.equal(lines[0], "driver_id,event_timestamp,completed_trip,conv_rate,trips,conv_rate_1d,trips_1d");
    assert.equal(lines.length, labels.length);
    assert.deepEqual(lines.slice(1).map((l) => l.split(",").slice(0, 3).join(",")), labels.slice(1).map((l) => l.replace(".000Z", "Z")));
    assert.match(run.stderr, new RegExp(`${labels.length - 1} rows in [\\d.]+ s`));
    assert.match(run.stderr, /driver_hourly_stats: [\d.]+% matched \(\d+\/\d+\), (ASOF|range) join/);
    assert.match(run.stderr, /driver_daily_stats: [\d.]+% matched/);
  });

  await t.test("-o writes the file and --json prints the summary; the alias works", () => {
    const run = mlf(["get-historical-features", "--entities", "data/labels.csv", "-f", "driver_hourly_stats:conv_rate,driver_daily_stats:trips_1d", "--full-feature-names", "-o", "train.parquet", "--json"], { cwd: dir });
    assert.equal(run.status, 0, run.stderr);
    const summary = run.json<{ output: string; rows: number; columns: string[]; views: { view: string; matchRate: number }[] }>();
    assert.equal(summary.rows, labels.length - 1);
    assert.deepEqual(summary.columns.slice(-2), ["driver_hourly_stats__conv_rate", "driver_daily_stats__trips_1d"]);
    assert.ok(summary.views.every((v) => v.matchRate > 0.5));
    assert.ok(existsSync(join(dir, "train.parquet")));
  });

  await t.test("the library gives the same rows", async () => {
    const store = await FeatureStore.open(dir);
    const result = await store.getHistoricalFeatures({ entities: "data/labels.csv", features: ["driver_hourly_stats:trips"], cwd: dir });
    const cli = mlf(["get-historical", "--entities", "data/labels.csv", "-f", "driver_hourly_stats:trips"], { cwd: dir }).stdout.trim().split("\n").slice(1);
    assert.deepEqual(result.rows!.map((r) => (r.trips === null ? "" : String(r.trips))), cli.map((l) => l.split(",").at(-1)));
  });

  await t.test("errors: exit 2 for an unknown view, 1 for a missing file, JSON envelope, no output file", () => {
    const unknown = mlf(["get-historical", "--entities", "data/labels.csv", "-f", "nope:x", "-o", "bad.csv", "--json"], { cwd: dir });
    assert.equal(unknown.status, 2);
    assert.equal(unknown.json<{ error: { code: string } }>().error.code, "not_found");
    assert.equal(existsSync(join(dir, "bad.csv")), false);
    const missing = mlf(["get-historical", "--entities", "missing.csv", "--service", "driver_activity"], { cwd: dir });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /missing\.csv does not exist/);
    const none = mlf(["get-historical", "--service", "driver_activity"], { cwd: dir });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /--entities FILE/);
  });
});
