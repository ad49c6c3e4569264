import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchTable } from "./run.js";

/**
 * get-historical against the point-in-time SQL a DuckDB expert would write by hand, on the
 * same Parquet data, in the same run, each contender in its own process (so peak RSS is its
 * own) with the same DuckDB settings, output to Parquet:
 *   (a) dedup + ASOF LEFT JOIN + ttl post-filter, without pruning or row order;
 *   (b) Feast's ROW_NUMBER point-in-time template (range join, then newest per entity row).
 * Shapes: short histories (2M entity rows x 20M feature rows over 1M entities) and long
 * histories (200k x 20M over 10k entities), ttl 30 days. MLF_BENCH_SCALE scales every size
 * (e.g. 0.1 for a quick look); MLF_BENCH_LARGE=1 adds 10M x 100M (mlf only: time and peak).
 */

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const DATA = join(ROOT, ".bench", "offline");
const SCALE = Number(process.env.MLF_BENCH_SCALE ?? 1);
const THREADS = 2;
const MEMORY_LIMIT = "3GB";
const TTL_DAYS = 30;

interface Shape {
  name: string;
  entityRows: number;
  featureRows: number;
  entities: number;
}

const shapes: Shape[] = [
  { name: "short histories", entityRows: 2_000_000, featureRows: 20_000_000, entities: 1_000_000 },
  { name: "long histories", entityRows: 200_000, featureRows: 20_000_000, entities: 10_000 },
].map((s) => ({ ...s, entityRows: Math.round(s.entityRows * SCALE), featureRows: Math.round(s.featureRows * SCALE), entities: Math.max(10, Math.round(s.entities * SCALE)) }));
const large: Shape = { name: "large", entityRows: Math.round(10_000_000 * SCALE), featureRows: Math.round(100_000_000 * SCALE), entities: Math.round(1_000_000 * SCALE) };

type Contender = "mlf" | "asof" | "feast";
interface Measure {
  seconds: number;
  /** User + system CPU of the whole process: steadier than wall time when other jobs share the cores. */
  cpuSeconds: number;
  peakMb: number;
  rows: number;
}

function shapeDir(shape: Shape): string {
  return join(DATA, `v2-${shape.entityRows}x${shape.featureRows}x${shape.entities}`);
}

/** A repository over the shape's Parquet files: one view with 2 of its 5 features requested. */
function writeRepo(dir: string): void {
  writeFileSync(
    join(dir, "feature_store.yaml"),
    `project: bench\nregistry: registry.json\nprovider: local\noffline_store:\n  type: duckdb\n  threads: ${THREADS}\n  memory_limit: ${MEMORY_LIMIT}\n  temp_directory: spill\nonline_store:\n  type: sqlite\n  path: online.db\n`,
  );
  writeFileSync(
    join(dir, "features.yaml"),
    `entities:\n  - {name: user, join_keys: [user_id], value_type: int64}\nsources:\n  - {name: events, type: file, path: features.parquet, timestamp_field: ts, created_timestamp_column: created}\nfeature_views:\n  - name: user_stats\n    entities: [user]\n    source: events\n    ttl: ${TTL_DAYS}d\n    schema:\n      - {name: f1, dtype: float64}\n      - {name: f2, dtype: int64}\n      - {name: f3, dtype: float64}\n      - {name: f4, dtype: float64}\n      - {name: f5, dtype: string}\n`,
  );
}

async function generate(shape: Shape): Promise<string> {
  const dir = shapeDir(shape);
  if (existsSync(join(dir, "registry.json"))) return dir;
  mkdirSync(dir, { recursive: true });
  const { OfflineEngine } = await import("../src/offline/engine.js");
  const engine = await OfflineEngine.open({ type: "duckdb", threads: THREADS, tempDirectory: join(dir, "spill") });
  try {
    const year = 365 * 86400;
    await engine.run(
      `COPY (SELECT (hash(i) % ${shape.entities})::BIGINT AS user_id, TIMESTAMPTZ '2023-01-01' + to_seconds((hash(i + 1) % ${year})::BIGINT) AS ts,
        TIMESTAMPTZ '2023-01-01' + to_seconds((hash(i + 1) % ${year})::BIGINT + (hash(i + 2) % 600)::BIGINT) AS created,
        random() AS f1, (hash(i + 3) % 1000)::BIGINT AS f2, random() AS f3, random() AS f4, 'v' || (i % 97) AS f5
        FROM range(${shape.featureRows}) t(i)) TO '${join(dir, "features.parquet")}' (FORMAT parquet)`,
    );
    await engine.run(
      // Negative inputs to hash(): the feature rows hash 0, 1, 2, ..., so entity row i would
      // otherwise copy feature row i + 7's key and time, an exact match for every entity row.
      `COPY (SELECT (hash(-1 - 2 * i) % ${shape.entities})::BIGINT AS user_id, TIMESTAMPTZ '2023-01-01' + to_seconds((hash(-2 - 2 * i) % ${year})::BIGINT) AS event_timestamp,
        (i % 2)::INTEGER AS label FROM range(${shape.entityRows}) t(i)) TO '${join(dir, "entities.parquet")}' (FORMAT parquet)`,
    );
  } finally {
    engine.close();
  }
  writeRepo(dir);
  const { applyRepo } = await import("../src/apply/apply.js");
  const { openRepo } = await import("../src/repo/repo.js");
  await applyRepo(await openRepo(dir));
  return dir;
}

/** The hand-written queries, reading the same files and writing Parquet. */
function handWritten(contender: "asof" | "feast", dir: string): string {
  const features = `read_parquet('${join(dir, "features.parquet")}')`;
  const entities = `read_parquet('${join(dir, "entities.parquet")}')`;
  const ttl = `INTERVAL ${TTL_DAYS} DAY`;
  if (contender === "asof") {
    return `WITH dedup AS (
  SELECT user_id, ts, f1, f2 FROM ${features}
  QUALIFY row_number() OVER (PARTITION BY user_id, ts ORDER BY created DESC) = 1)
SELECT e.*, CASE WHEN d.ts >= e.event_timestamp - ${ttl} THEN d.f1 END AS f1, CASE WHEN d.ts >= e.event_timestamp - ${ttl} THEN d.f2 END AS f2
FROM ${entities} e ASOF LEFT JOIN dedup d ON e.user_id = d.user_id AND e.event_timestamp >= d.ts`;
  }
  return `WITH entity_dataframe AS (
  SELECT *, event_timestamp AS entity_timestamp, row_number() OVER () AS entity_row_unique_id FROM ${entities}
), base AS (
  SELECT s.*, ed.entity_timestamp, ed.entity_row_unique_id
  FROM (SELECT ts AS event_timestamp, created AS created_timestamp, user_id, f1, f2 FROM ${features}
        WHERE ts <= (SELECT max(entity_timestamp) FROM entity_dataframe)
          AND ts >= (SELECT min(entity_timestamp) FROM entity_dataframe) - ${ttl}) s
  INNER JOIN entity_dataframe ed ON s.event_timestamp <= ed.entity_timestamp
    AND s.event_timestamp >= ed.entity_timestamp - ${ttl} AND s.user_id = ed.user_id
), latest AS (
  SELECT entity_row_unique_id, event_timestamp, created_timestamp FROM (
    SELECT entity_row_unique_id, event_timestamp, created_timestamp,
      ROW_NUMBER() OVER (PARTITION BY entity_row_unique_id ORDER BY event_timestamp DESC, created_timestamp DESC) AS rn
    FROM base) WHERE rn = 1
), feats AS (
  SELECT base.entity_row_unique_id, base.f1, base.f2 FROM base
  JOIN latest USING (entity_row_unique_id, event_timestamp, created_timestamp)
)
SELECT ed.* EXCLUDE (entity_timestamp, entity_row_unique_id), feats.f1, feats.f2
FROM entity_dataframe ed LEFT JOIN feats USING (entity_row_unique_id)`;
}

/** Runs in a child process: one contender, then prints its measure as JSON. */
async function worker(contender: Contender, dir: string): Promise<void> {
  const out = join(dir, `out-${contender}.parquet`);
  rmSync(out, { force: true });
  const started = performance.now();
  let rows: number;
  if (contender === "mlf") {
    const { getHistoricalFeatures } = await import("../src/offline/get-historical.js");
    const { openRepo } = await import("../src/repo/repo.js");
    const result = await getHistoricalFeatures(await openRepo(dir), { entities: join(dir, "entities.parquet"), features: ["user_stats:f1", "user_stats:f2"], output: out });
    rows = result.rowCount;
  } else {
    const { OfflineEngine } = await import("../src/offline/engine.js");
    const engine = await OfflineEngine.open({ type: "duckdb", threads: THREADS, memoryLimit: MEMORY_LIMIT, tempDirectory: join(dir, "spill") });
    try {
      await engine.run(`COPY (${handWritten(contender, dir)}) TO '${out}' (FORMAT parquet)`);
      const [r] = await engine.rows(`SELECT count(*) AS n FROM read_parquet('${out}')`);
      rows = Number(r!.n);
    } finally {
      engine.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds, peakMb: Math.round(process.resourceUsage().maxRSS / 1024), rows } satisfies Measure));
}

function measure(contender: Contender, dir: string): Measure {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--worker", contender, dir], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
  if (child.status !== 0) throw new Error(`${contender} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Measure;
}

const fmt = (n: number) => n.toLocaleString("en-US");
const rate = (m: Measure) => fmt(Math.round(m.rows / m.seconds));

export async function run(): Promise<BenchTable> {
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const shape of shapes) {
    const dir = await generate(shape);
    const m = { mlf: measure("mlf", dir), asof: measure("asof", dir), feast: measure("feast", dir) };
    const best = Math.min(m.asof.seconds, m.feast.seconds);
    const label = `${shape.name} (${fmt(shape.entityRows)} x ${fmt(shape.featureRows)}, ${fmt(shape.entities)} entities)`;
    for (const [name, r] of [["mlf get-historical", m.mlf], ["hand ASOF, no pruning", m.asof], ["Feast ROW_NUMBER template", m.feast]] as const) {
      rows.push([label, name, r.seconds.toFixed(2), r.cpuSeconds.toFixed(2), rate(r), r.peakMb, (r.seconds / best).toFixed(2)]);
    }
    const bestCpu = Math.min(m.asof.cpuSeconds, m.feast.cpuSeconds);
    notes.push(`${shape.name}: mlf / faster hand-written = ${(m.mlf.seconds / best).toFixed(2)} wall, ${(m.mlf.cpuSeconds / bestCpu).toFixed(2)} CPU`);
  }
  if (process.env.MLF_BENCH_LARGE === "1") {
    const dir = await generate(large);
    const r = measure("mlf", dir);
    rows.push([`large (${fmt(large.entityRows)} x ${fmt(large.featureRows)}, ${fmt(large.entities)} entities)`, "mlf get-historical", r.seconds.toFixed(2), r.cpuSeconds.toFixed(2), rate(r), r.peakMb, "-"]);
  } else notes.push("The 10M x 100M shape runs with MLF_BENCH_LARGE=1.");
  notes.push(`DuckDB threads ${THREADS}, memory_limit ${MEMORY_LIMIT}, output Parquet, ttl ${TTL_DAYS} days, 2 of 5 features requested; each contender in its own process (peak = max RSS).`);
  return { title: "get-historical: point-in-time join vs hand-written DuckDB SQL", head: ["shape", "contender", "seconds", "CPU s", "entity rows/s", "peak MB", "vs faster hand-written"], rows, notes };
}

if (process.argv[2] === "--worker") await worker(process.argv[3] as Contender, process.argv[4]!);
