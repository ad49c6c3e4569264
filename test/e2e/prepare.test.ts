import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../helpers.js";
import { prepareData } from "../../scripts/demo/prepare.js";

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

test("prepare replays the departures to end at the anchor hour, derives labels, and skips work already done", async (t) => {
  const root = tempDir(t);
  const anchorMs = Date.UTC(2030, 0, 15, 9, 40); // floored to 09:00
  const options = { root, anchorMs, origins: ["ANC", "FAI"], labelEvery: 2 };
  const first = await prepareData(options);
  assert.equal(first.written, true);
  assert.equal(first.anchor, "2030-01-15T09:00:00.000Z");
  const flights = join(root, "data", "flights.parquet");
  const labels = join(root, "data", "labels.parquet");
  const [f] = await query(`select count(*)::integer as n, max(date) as last, count(*) filter (where known_at < date)::integer as early,
    count(*) filter (where route <> origin || '-' || destination)::integer as bad_route, count(distinct origin)::integer as origins
    from '${flights}'`);
  assert.equal(f!.n, first.flights);
  assert.equal(f!.origins, 2);
  assert.ok((f!.last as Date).getTime() <= Date.UTC(2030, 0, 15, 9), "no departure after the anchor");
  assert.ok((f!.last as Date).getTime() > Date.UTC(2030, 0, 15, 6), "the replay ends near the anchor");
  assert.equal(f!.early, 0, "a delay is never known before the scheduled departure");
  assert.equal(f!.bad_route, 0);
  // Each label is its departure's own outcome: delayed exactly when the delay exceeds 15 minutes.
  const [l] = await query(`select count(*)::integer as n, count(*) filter (where l.delayed <> (f.delay > 15)::integer)::integer as wrong
    from '${labels}' l join (select distinct origin, route, date, delay from '${flights}') f on l.origin = f.origin and l.route = f.route and l.event_timestamp = f.date
    where not exists (select 1 from '${flights}' g where g.route = f.route and g.date = f.date and g.delay <> f.delay)`);
  assert.ok((l!.n as number) > 0);
  assert.equal(l!.wrong, 0);
  assert.ok(Math.abs(first.labels - first.flights / 2) <= 1);

  const mtime = statSync(flights).mtimeMs;
  const again = await prepareData({ ...options, anchorMs: anchorMs + 10 * 60_000 });
  assert.equal(again.written, false);
  assert.equal(statSync(flights).mtimeMs, mtime);
  assert.equal(again.flights, first.flights);

  const later = await prepareData({ ...options, anchorMs: anchorMs + 3 * 3_600_000 });
  assert.equal(later.written, true);
  const [m] = await query(`select max(date) as last from '${flights}'`);
  assert.equal((m!.last as Date).getTime() - (f!.last as Date).getTime(), 3 * 3_600_000, "a later anchor shifts every departure by whole hours");
  assert.match(readFileSync(join(root, "data", "prepared.json"), "utf8"), /2030-01-15T12:00:00.000Z/);
});
