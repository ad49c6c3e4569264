import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { writeFileAtomic } from "../../src/util/fs.js";

/**
 * Derives the bundled repository's data from the `vega-datasets` package: 3M US domestic
 * departures of January to June 2001 (`date` = scheduled departure, naive local clock time at
 * the origin airport; `delay` = departure delay in minutes; `distance` in miles).
 *
 * The flights are replayed: every timestamp is moved forward by a whole number of hours so that
 * the last scheduled hour ends at the current UTC hour. The online store judges freshness
 * against the wall clock (a value older than its view's ttl is served as null), so 2001 data
 * would never be fresh; replayed, it behaves like a live feed. Every feature is keyed by the
 * origin airport (or a route starting there), so mixing local clocks across airports never
 * compares two different zones.
 */
export interface PrepareOptions {
  /** The repository folder; data goes to `<root>/data/`. */
  root: string;
  /** The hour (UTC ms, floored to the hour) at which the replayed data ends; default: now. */
  anchorMs?: number;
  /** Keep only these origin airports (for small test repositories); default: all 229. */
  origins?: string[];
  /** Keep only departures scheduled on or after this naive 2001 time, e.g. "2001-06-01". */
  since?: string;
  /** One label row per this many departures (deterministic: by position in the file). */
  labelEvery?: number;
}

export interface PrepareResult {
  flights: number;
  labels: number;
  /** ISO-8601 UTC end of the replayed data. */
  anchor: string;
  /** False when the data already matched the options and anchor (nothing was written). */
  written: boolean;
  seconds: number;
}

const HOUR = 3_600_000;
/** The end of the data set: its last scheduled departure is 2001-07-01T00:00. */
const DATA_END_MS = Date.UTC(2001, 6, 1);

export function flightsParquet(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its entry point (build/index.js); the data folder is its sibling.
  return join(dirname(require.resolve("vega-datasets")), "..", "data", "flights-3m.parquet");
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Writes `data/flights.parquet` (one row per departure, with the derived `route` key and
 * `known_at`, the time the departure's delay became known) and `data/labels.parquet` (a
 * sample of departures: `origin`, `route`, `event_timestamp` = scheduled departure, `delayed`
 * = departed more than 15 minutes late). Idempotent: skipped when `data/prepared.json` records
 * the same options and anchor hour. Files are written beside and renamed into place.
 */
export async function prepareData(options: PrepareOptions): Promise<PrepareResult> {
  const started = performance.now();
  const anchorMs = Math.floor((options.anchorMs ?? Date.now()) / HOUR) * HOUR;
  const labelEvery = options.labelEvery ?? 20;
  const data = join(options.root, "data");
  const stamp = JSON.stringify({ anchor: new Date(anchorMs).toISOString(), origins: options.origins ?? null, since: options.since ?? null, labelEvery });
  const stampPath = join(data, "prepared.json");
  const flightsPath = join(data, "flights.parquet");
  const labelsPath = join(data, "labels.parquet");
  if (existsSync(stampPath) && existsSync(flightsPath) && existsSync(labelsPath)) {
    const previous = JSON.parse(readFileSync(stampPath, "utf8")) as { stamp: string; flights: number; labels: number };
    if (previous.stamp === stamp) {
      return { flights: previous.flights, labels: previous.labels, anchor: new Date(anchorMs).toISOString(), written: false, seconds: (performance.now() - started) / 1000 };
    }
  }
  mkdirSync(data, { recursive: true });
  const shiftHours = Math.round((anchorMs - DATA_END_MS) / HOUR);
  const filters = ["date is not null", "delay is not null", "origin is not null", "destination is not null"];
  if (options.origins) filters.push(`origin in (${options.origins.map(sqlString).join(", ")})`);
  if (options.since) filters.push(`date >= timestamp ${sqlString(options.since)}`);

  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    // Position in the file decides the label sample, so the same options give the same labels.
    await connection.run(`
      create temp table departures as
      select date + to_hours(${shiftHours}) as date,
             origin, destination, origin || '-' || destination as route,
             delay::integer as delay, distance::integer as distance,
             -- A late departure's delay is known once it leaves; an early or on-time one is
             -- only counted from its scheduled time, so no window ending before a flight's
             -- scheduled departure ever contains that flight.
             date + to_hours(${shiftHours}) + to_minutes(greatest(delay, 0)::integer) as known_at,
             row_number() over () as position
      from read_parquet(${sqlString(flightsParquet())})
      where ${filters.join(" and ")}`);
    const tmpFlights = `${flightsPath}.tmp`;
    const tmpLabels = `${labelsPath}.tmp`;
    await connection.run(`copy (select date, origin, destination, route, delay, distance, known_at from departures order by date, origin, destination)
      to ${sqlString(tmpFlights)} (format parquet, compression zstd)`);
    await connection.run(`copy (select origin, route, date as event_timestamp, (delay > 15)::integer as delayed
      from departures where position % ${labelEvery} = 0 order by date, origin, route)
      to ${sqlString(tmpLabels)} (format parquet)`);
    const counts = (await connection.runAndReadAll(`select count(*)::integer as flights, count(*) filter (where position % ${labelEvery} = 0)::integer as labels from departures`)).getRowObjectsJS()[0] as { flights: number; labels: number };
    renameSync(tmpFlights, flightsPath);
    renameSync(tmpLabels, labelsPath);
    writeFileAtomic(stampPath, `${JSON.stringify({ stamp, ...counts }, null, 2)}\n`);
    return { ...counts, anchor: new Date(anchorMs).toISOString(), written: true, seconds: (performance.now() - started) / 1000 };
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(`${flightsPath}.tmp`, { force: true });
    rmSync(`${labelsPath}.tmp`, { force: true });
  }
}
