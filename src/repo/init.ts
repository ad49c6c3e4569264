import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { MlfError } from "../errors.js";
import { random } from "../util/random.js";
import { formatTime } from "../util/time.js";
import { CONFIG_FILE } from "./config.js";

const DEFINITIONS = `# Definitions of the sample repository: one entity, a file source, a query source that
# aggregates it per day, two feature views and a feature service.
entities:
  - name: driver
    join_keys: [driver_id]
    value_type: int64
    description: A driver of the ride-hailing fleet

sources:
  - name: driver_stats
    type: file
    path: data/driver_stats.csv
    timestamp_field: event_timestamp
    created_timestamp_column: created
  - name: driver_daily
    type: query
    # The window's end is its timestamp, so no value is visible before the day is over.
    sql: |
      select driver_id,
             time_bucket(interval 1 day, event_timestamp) + interval 1 day as day_end,
             avg(conv_rate) as conv_rate_1d,
             sum(trips)::bigint as trips_1d
      from driver_stats
      group by all
    timestamp_field: day_end

feature_views:
  - name: driver_hourly_stats
    entities: [driver]
    source: driver_stats
    ttl: 1d
    schema:
      - {name: conv_rate, dtype: float64}
      - {name: acc_rate, dtype: float64}
      - {name: trips, dtype: int64}
  - name: driver_daily_stats
    entities: [driver]
    source: driver_daily
    ttl: 7d
    schema:
      - {name: conv_rate_1d, dtype: float64}
      - {name: trips_1d, dtype: int64}

feature_services:
  - name: driver_activity
    features:
      - driver_hourly_stats: [conv_rate, trips]
      - driver_daily_stats
`;


/** Hourly stats for 5 drivers over the 14 days before `now`, and labels to train on. */
function sampleData(now: number): { stats: string; labels: string } {
  const next = random(42);
  const hour = 3_600_000;
  const end = Math.floor(now / hour) * hour;
  const stats = ["driver_id,event_timestamp,created,conv_rate,acc_rate,trips"];
  const labels = ["driver_id,event_timestamp,completed_trip"];
  for (let driver = 1001; driver <= 1005; driver++) {
    for (let t = end - 14 * 24 * hour; t <= end; t += hour) {
      const conv = (0.2 + 0.6 * next()).toFixed(4);
      stats.push(`${driver},${formatTime(t)},${formatTime(t + 60_000)},${conv},${(0.5 + 0.5 * next()).toFixed(4)},${Math.floor(next() * 20)}`);
      if (t % (6 * hour) === 0) labels.push(`${driver},${formatTime(t + 30 * 60_000)},${next() < Number(conv) ? 1 : 0}`);
    }
  }
  return { stats: `${stats.join("\n")}\n`, labels: `${labels.join("\n")}\n` };
}

/**
 * Writes a sample repository that works end to end (apply, get-historical with the bundled
 * labels, materialize, get-online). Refuses a folder that already holds a repository.
 * Returns the absolute folder.
 */
export function initRepo(dir: string, now = Date.now()): string {
  const root = resolve(dir);
  if (existsSync(join(root, CONFIG_FILE))) {
    throw new MlfError("conflict", `${root} already holds a feature repository; choose another folder.`);
  }
  const project = basename(root).replace(/[^A-Za-z0-9_]/g, "_") || "my_project";
  mkdirSync(join(root, "data"), { recursive: true });
  writeFileSync(
    join(root, CONFIG_FILE),
    `project: ${project}\nregistry: data/registry.json\nprovider: local\noffline_store:\n  type: duckdb\nonline_store:\n  type: sqlite\n  path: data/online.db\ntracking:\n  path: mlruns\n`,
  );
  writeFileSync(join(root, "features.yaml"), DEFINITIONS);
  // Derived state that a checkout should not carry: the config cache and the online store.
  writeFileSync(join(root, ".gitignore"), ".mlf/\ndata/online.db*\ndata/*.lock\n");
  const { stats, labels } = sampleData(now);
  writeFileSync(join(root, "data", "driver_stats.csv"), stats);
  writeFileSync(join(root, "data", "labels.csv"), labels);
  return root;
}
