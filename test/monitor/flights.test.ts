import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { flightsParquet } from "../../scripts/demo/prepare.js";
import { OfflineEngine } from "../../src/offline/engine.js";
import { ROOT, tempDir } from "../helpers.js";
import { fileDrift } from "./fixtures.js";

/**
 * The bundled flights (vega-datasets: 3M US departures, January to June 2001) through the
 * delay model's congestion features, computed with the bundled repository's own SQL
 * (feature_repo/airport.yaml, source origin_windows): what the model saw in January against
 * what it would be served in June must drift, two random halves of January must not.
 */

const FEATURES = ["avg_delay_1h", "delayed_share_1h", "departures_1h", "avg_delay_24h", "delayed_share_24h", "departures_24h"];

async function extract(dir: string): Promise<void> {
  const airport = parse(readFileSync(join(ROOT, "feature_repo", "airport.yaml"), "utf8")) as { sources: { name: string; sql: string }[] };
  const sql = airport.sources.find((s) => s.name === "origin_windows")!.sql;
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 2 });
  try {
    // The `flights` source as scripts/demo/prepare.ts derives it (known_at: when the delay was known).
    await engine.run(`CREATE VIEW flights AS SELECT origin, delay::INTEGER AS delay, date + to_minutes(greatest(delay, 0)::INTEGER) AS known_at FROM read_parquet('${flightsParquet()}') WHERE delay IS NOT NULL AND origin IS NOT NULL`);
    await engine.run(`CREATE TABLE windows AS ${sql}`);
    const copy = (where: string, file: string) => engine.run(`COPY (SELECT ${FEATURES.join(", ")} FROM windows WHERE ${where}) TO '${join(dir, file)}' (FORMAT parquet)`);
    await copy("month(window_end) = 1", "january.parquet");
    await copy("month(window_end) = 6", "june.parquet");
    // Random halves: a hash of the row's keys, fixed but unrelated to any feature.
    await copy("month(window_end) = 1 AND hash(origin, window_end) % 2 = 0", "january-a.parquet");
    await copy("month(window_end) = 1 AND hash(origin, window_end) % 2 = 1", "january-b.parquet");
  } finally {
    engine.close();
  }
}

test("the delay model's features drift from January to June; two random halves of January do not", async (t) => {
  const dir = tempDir(t);
  await extract(dir);
  const seasons = await fileDrift(join(dir, "january.parquet"), join(dir, "june.parquet"));
  assert.deepEqual(seasons.features.map((f) => f.name), FEATURES);
  for (const f of seasons.features) assert.ok(f.reference.values > 50_000 && f.test === "wasserstein", `${f.name} was tested on the whole month`);
  const drifted = seasons.features.filter((f) => f.drifted).map((f) => f.name);
  // Summer delays: the average delays move by more than a tenth of their January spread.
  assert.ok(drifted.includes("avg_delay_24h"), `January vs June: ${JSON.stringify(seasons.features.map((f) => [f.name, f.score]))}`);

  const halves = await fileDrift(join(dir, "january-a.parquet"), join(dir, "january-b.parquet"));
  for (const f of halves.features) {
    assert.equal(f.drifted, false, `${f.name}: ${f.test} ${f.score}`);
    assert.ok(f.score! < 0.03, `${f.name}'s ${f.test} is far below its 0.1 threshold: ${f.score}`);
  }
  assert.equal(halves.dataset.drift, false);
});
