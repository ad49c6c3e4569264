/**
 * The data shapes of the get-historical benchmark matrix: generated with DuckDB from hashes of
 * the row number (the same bytes on every run), written as files under the shape's folder,
 * with the feature repository that reads them. Sizes are the full ones; `scaled` divides them.
 */

export type TimeKind = "naive" | "naive_ns" | "zoned";

/** One join key: its column in the entity rows and the sources, its entity and type. */
export interface BenchKey {
  column: string;
  entity: string;
  type: "int64" | "string";
}

export interface BenchSource {
  name: string;
  /** A file under the shape folder (`.parquet` or `.csv`), or DuckDB SQL over other sources. */
  file?: string;
  sql?: string;
  timestamp: string;
  created?: string;
}

export interface BenchView {
  name: string;
  source: string;
  keys: BenchKey[];
  /** `30d`, `2h`, ...; `0`: none. */
  ttl: string;
  /** Every feature of the view, all requested. */
  features: { name: string; dtype: "float64" | "int64" | "string" | "bool" }[];
}

export interface Shape {
  id: string;
  title: string;
  entityRows: number;
  featureRows: number;
  /** The entity file under the shape folder. */
  entities: string;
  sources: BenchSource[];
  views: BenchView[];
  /** Statements writing the files; `$DIR` stands for the shape folder. */
  generate: string[];
}

const BASE_US = 1_672_531_200_000_000; // 2023-01-01T00:00:00Z
const YEAR_S = 365 * 86400;
const DAY_US = 86_400_000_000;

/** A deterministic value in [0, n) from a hash of `seed`. */
const h = (seed: string, n: number | string) => `(hash(${seed}) % ${n})`;
/** A uniform value in [0, 1). */
const u = (seed: string) => `(${h(seed, 1_000_000)} / 1e6)`;

/** A timestamp of the given kind from epoch microseconds. */
function time(kind: TimeKind, us: string): string {
  const micros = `(${us})::BIGINT`;
  if (kind === "zoned") return `make_timestamptz(${micros})`;
  return kind === "naive_ns" ? `CAST(make_timestamp(${micros}) AS TIMESTAMP_NS)` : `make_timestamp(${micros})`;
}
/** A second inside 2023. */
const secondOfYear = (seed: string) => `(${BASE_US} + ${h(seed, YEAR_S)} * 1000000)::BIGINT`;

const int64 = (column: string, entity: string): BenchKey => ({ column, entity, type: "int64" });

/** Rows `i` of `range(rows)` as `select` makes them, in `orderBy`'s order if given, written to the shape's `file`. */
function copy(select: string, rows: number, file: string, orderBy?: string): string {
  const format = file.endsWith(".csv") ? "FORMAT csv, HEADER true" : "FORMAT parquet";
  return `COPY (SELECT ${select} FROM range(${rows}) t(i)${orderBy ? ` ORDER BY ${orderBy}` : ""}) TO '$DIR/${file}' (${format})`;
}

interface Simple {
  id: string;
  title: string;
  entityRows: number;
  featureRows: number;
  keys: number;
  kind?: TimeKind;
  created?: boolean;
  keyType?: "int64" | "string";
  featureFile?: string;
  entityFile?: string;
  /** The view's ttl (default 30d; `0`: none). */
  ttl?: string;
  /** The feature file's row order (default: as generated, times spread over the file). */
  orderBy?: string;
  /** The entity file's row order (default: as generated, times spread over the file). */
  entityOrderBy?: string;
  /** The feature rows as one Parquet file per day, `features/day=N/*.parquet`, read through a glob (default: one file). */
  dailyFiles?: boolean;
}

/** One view over one source keyed by user_id: the issue's shape and its variations. */
function simple(s: Simple): Shape {
  const kind = s.kind ?? "naive";
  const file = s.dailyFiles ? "features/*/*.parquet" : (s.featureFile ?? "features.parquet");
  const key = (seed: string) => (s.keyType === "string" ? `'user-' || lpad(CAST(${h(seed, s.keys)} AS VARCHAR), 7, '0')` : `${h(seed, s.keys)}::BIGINT`);
  const created = s.created ? `, ${time(kind, `${secondOfYear("i + 1")} + ${h("i + 5", 600)} * 1000000`)} AS created` : "";
  const features = `${key("i")} AS user_id, ${time(kind, secondOfYear("i + 1"))} AS ts${created}, ${u("i + 2")} AS f1, ${h("i + 3", 1000)}::BIGINT AS f2, ${u("i + 4")} AS f3, 'v' || (i % 97) AS f4`;
  const writeFeatures = s.dailyFiles
    ? [
        // One file per day: past 100 open files a partitioned write starts new ones (10,473 files in all).
        "SET partitioned_write_max_open_files = 1000",
        `COPY (SELECT ${features}, (${secondOfYear("i + 1")} - ${BASE_US}) // ${DAY_US} AS day FROM range(${s.featureRows}) t(i)) TO '$DIR/features' (FORMAT parquet, PARTITION_BY (day))`,
      ]
    : [copy(features, s.featureRows, file, s.orderBy)];
  return {
    id: s.id,
    title: s.title,
    entityRows: s.entityRows,
    featureRows: s.featureRows,
    entities: s.entityFile ?? "entities.parquet",
    sources: [{ name: "events", file, timestamp: "ts", ...(s.created && { created: "created" }) }],
    views: [{ name: "user_stats", source: "events", keys: [{ column: "user_id", entity: "user", type: s.keyType ?? "int64" }], ttl: s.ttl ?? "30d", features: [{ name: "f1", dtype: "float64" }, { name: "f2", dtype: "int64" }] }],
    generate: [
      ...writeFeatures,
      // Negative seeds: entity row i must not copy feature row i's key and time.
      copy(`${key("-1 - 2 * i")} AS user_id, ${time(kind, secondOfYear("-2 - 2 * i"))} AS event_timestamp, (i % 2)::INTEGER AS label`, s.entityRows, s.entityFile ?? "entities.parquet", s.entityOrderBy),
    ],
  };
}

const M = 1_000_000;

/** Row and key counts divided by `divisor`, with floors (keys too, so histories keep their length). */
function scaled(divisor: number) {
  return { n: (count: number) => Math.max(1000, Math.round(count / divisor)), k: (count: number) => Math.max(10, Math.round(count / divisor)) };
}

/**
 * Every shape of the matrix with its sizes divided by `divisor` (keys too, so histories keep
 * their length): 1 is the full matrix (20M feature rows), 10 the quick one.
 */
export function shapes(divisor: number): Shape[] {
  const { n, k } = scaled(divisor);
  return [
    simple({ id: "uniform-short", title: "uniform year, short histories", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M) }),
    simple({ id: "uniform-long", title: "uniform year, long histories", entityRows: n(200_000), featureRows: n(20 * M), keys: k(10_000) }),
    clustered(n(2 * M), n(20 * M), k(M)),
    skewed(n(2 * M), n(20 * M), k(M)),
    simple({ id: "string-keys", title: "string keys", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M), keyType: "string" }),
    compound(n(2 * M), n(20 * M), k(200_000)),
    fiveViews(n(2 * M), n, k),
    wide(n(500_000), n(4 * M), k(250_000)),
    simple({ id: "csv-source", title: "CSV source and entity file", entityRows: n(500_000), featureRows: n(5 * M), keys: k(250_000), featureFile: "features.csv", entityFile: "entities.csv", created: true }),
    simple({ id: "entities-larger", title: "entity file larger than the source", entityRows: n(20 * M), featureRows: n(2 * M), keys: k(M) }),
    querySource(n(2 * M), n(20 * M), k(M)),
    simple({ id: "no-ttl", title: "uniform year, no ttl", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M), ttl: "0" }),
    scoringRun(n(20 * M), k(M)),
  ];
}

/**
 * Shapes outside the matrix, run only when named in MLF_BENCH_SHAPES: what users run that the
 * matrix's shapes do not, checked for a plan that goes wrong rather than timed every run.
 * - `few-keys`: 100 keys, so every entity row has thousands of candidates inside the ttl.
 * - `daily-snapshots`: a daily feature table (every key at every midnight, ttl 1 day), so
 *   source times repeat across keys and each entity row has one or two candidates.
 * - `short-ttl`: uniform-short's data with a 1-hour ttl, so almost no row finds a value.
 * - `year-ttl`: uniform-short's data with a 365-day ttl (a "last known value" feature), so an
 *   entity row has about 10 candidates and most find a value.
 * - `key-sorted-no-ttl`: no-ttl's data with the source sorted by key, then time (as a job that
 *   partitions by key writes it), so a sample of whole row groups holds few keys.
 * - `time-sorted-labels`: uniform-short's data with the entity rows sorted by time (labels
 *   written day by day), so a sample of whole row groups of them spans a few days each.
 * - `daily-files`: uniform-short's data as one Parquet file per day (a job partitioning by
 *   date writes it), read through a glob: 365 files of 55,000 rows, one row group each.
 */
export function probes(divisor: number): Shape[] {
  const { n, k } = scaled(divisor);
  const days = 365;
  const snapshotKeys = Math.round(n(20 * M) / days);
  const snapshots = simple({ id: "daily-snapshots", title: "daily snapshots, ttl 1 day", entityRows: n(2 * M), featureRows: snapshotKeys * days, keys: snapshotKeys, ttl: "1d" });
  return [
    simple({ id: "few-keys", title: "100 keys, long histories", entityRows: n(2 * M), featureRows: n(20 * M), keys: 100 }),
    {
      ...snapshots,
      generate: [
        copy(`(i % ${snapshotKeys})::BIGINT AS user_id, ${time("naive", `${BASE_US} + (i // ${snapshotKeys}) * ${DAY_US}`)} AS ts, ${u("i + 2")} AS f1, ${h("i + 3", 1000)}::BIGINT AS f2`, snapshotKeys * days, "features.parquet"),
        snapshots.generate[1]!,
      ],
    },
    simple({ id: "short-ttl", title: "uniform year, ttl 1 hour", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M), ttl: "1h" }),
    simple({ id: "year-ttl", title: "uniform year, ttl 365 days", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M), ttl: "365d" }),
    simple({ id: "key-sorted-no-ttl", title: "source sorted by key, no ttl", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M), ttl: "0", orderBy: "user_id, ts" }),
    simple({ id: "time-sorted-labels", title: "entity rows sorted by time", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M), entityOrderBy: "event_timestamp" }),
    simple({ id: "daily-files", title: "one source file per day (a glob)", entityRows: n(2 * M), featureRows: n(20 * M), keys: k(M), dailyFiles: true }),
  ];
}

/** 10M entity rows x 100M feature rows over 1M keys: mlf only, for time and peak memory. */
export const large = (): Shape => simple({ id: "large", title: "large", entityRows: 10 * M, featureRows: 100 * M, keys: M });

/**
 * Daily batch writes (4 slots a day, so many rows share a timestamp, and a key written twice in
 * a slot is told apart by its created time), stored as an append log sorted by time with
 * nanosecond naive timestamps; the labels all fall in the last month, so most history is
 * outside every window.
 */
function clustered(entityRows: number, featureRows: number, keys: number): Shape {
  const slot = `${BASE_US} + ${h("i + 1", 365)} * ${DAY_US} + ${h("i + 2", 4)} * ${DAY_US / 4}`;
  return {
    ...simple({ id: "clustered", title: "clustered times (batches, labels in the last month)", entityRows, featureRows, keys, kind: "naive_ns", created: true }),
    generate: [
      `COPY (SELECT ${h("i", keys)}::BIGINT AS user_id, ${time("naive_ns", slot)} AS ts, ${time("naive_ns", `${slot} + ${h("i + 5", 3600)} * 1000000`)} AS created,
        ${u("i + 3")} AS f1, ${h("i + 4", 1000)}::BIGINT AS f2, ${u("i + 6")} AS f3, 'v' || (i % 97) AS f4 FROM range(${featureRows}) t(i) ORDER BY ts) TO '$DIR/features.parquet' (FORMAT parquet)`,
      copy(`${h("-1 - 2 * i", keys)}::BIGINT AS user_id, ${time("naive_ns", `${BASE_US + 334 * DAY_US} + ${h("-2 - 2 * i", 31 * 86400)} * 1000000`)} AS event_timestamp, (i % 2)::INTEGER AS label`, entityRows, "entities.parquet"),
    ],
  };
}

/** Zipf keys (key k has weight 1/k): at full size the hottest key holds 5% of the rows, the top 1,000 half. */
function skewed(entityRows: number, featureRows: number, keys: number): Shape {
  const zipf = (seed: string) => `(floor(pow(${keys}, ${u(seed)})) - 1)::BIGINT`;
  return {
    ...simple({ id: "skewed-keys", title: "Zipf keys, zoned times", entityRows, featureRows, keys, kind: "zoned", created: true }),
    generate: [
      copy(`${zipf("i")} AS user_id, ${time("zoned", secondOfYear("i + 1"))} AS ts, ${time("zoned", `${secondOfYear("i + 1")} + ${h("i + 5", 600)} * 1000000`)} AS created, ${u("i + 2")} AS f1, ${h("i + 3", 1000)}::BIGINT AS f2, ${u("i + 4")} AS f3`, featureRows, "features.parquet"),
      copy(`${zipf("-1 - 2 * i")} AS user_id, ${time("zoned", secondOfYear("-2 - 2 * i"))} AS event_timestamp, (i % 2)::INTEGER AS label`, entityRows, "entities.parquet"),
    ],
  };
}

/** Two join keys: users x 50 merchants. */
function compound(entityRows: number, featureRows: number, users: number): Shape {
  const keys = (seed: string) => `${h(seed, users)}::BIGINT AS user_id, 'm' || ${h(`${seed} - 7`, 50)} AS merchant`;
  return {
    id: "compound-keys",
    title: "compound keys (int64 + string)",
    entityRows,
    featureRows,
    entities: "entities.parquet",
    sources: [{ name: "spend", file: "features.parquet", timestamp: "ts", created: "created" }],
    views: [{ name: "user_merchant", source: "spend", keys: [int64("user_id", "user"), { column: "merchant", entity: "merchant", type: "string" }], ttl: "30d", features: [{ name: "amount", dtype: "float64" }, { name: "visits", dtype: "int64" }] }],
    generate: [
      copy(`${keys("i")}, ${time("naive", secondOfYear("i + 1"))} AS ts, ${time("naive", `${secondOfYear("i + 1")} + 60000000`)} AS created, ${u("i + 2")} * 100 AS amount, ${h("i + 3", 50)}::BIGINT AS visits`, featureRows, "features.parquet"),
      copy(`${keys("-1 - 2 * i")}, ${time("naive", secondOfYear("-2 - 2 * i"))} AS event_timestamp, (i % 2)::INTEGER AS label`, entityRows, "entities.parquet"),
    ],
  };
}

/** 5 views on 3 entities (user, item, region), one of them on two keys, ttls from 2 hours to 90 days. */
function fiveViews(entityRows: number, n: (count: number) => number, k: (count: number) => number): Shape {
  const user = int64("user_id", "user");
  const item = int64("item_id", "item");
  const region: BenchKey = { column: "region", entity: "region", type: "string" };
  const at = (seed: string) => `${time("naive", secondOfYear(seed))} AS ts`;
  const [users, items] = [k(M), k(100_000)];
  return {
    id: "five-views",
    title: "5 views on 3 entities",
    entityRows,
    featureRows: n(5 * M) + n(8 * M) + n(4 * M) + 50 * 24 * 365 + n(3 * M),
    entities: "entities.parquet",
    sources: [
      { name: "profiles", file: "profiles.parquet", timestamp: "ts", created: "created" },
      { name: "activity", file: "activity.parquet", timestamp: "ts" },
      { name: "items", file: "items.parquet", timestamp: "ts" },
      { name: "weather", file: "weather.parquet", timestamp: "ts" },
      { name: "affinity", file: "affinity.parquet", timestamp: "ts" },
    ],
    views: [
      { name: "profile", source: "profiles", keys: [user], ttl: "90d", features: [{ name: "age", dtype: "int64" }, { name: "score", dtype: "float64" }] },
      { name: "user_activity", source: "activity", keys: [user], ttl: "7d", features: [{ name: "clicks", dtype: "int64" }, { name: "spend", dtype: "float64" }] },
      { name: "item_stats", source: "items", keys: [item], ttl: "1d", features: [{ name: "price", dtype: "float64" }, { name: "in_stock", dtype: "bool" }] },
      { name: "region_weather", source: "weather", keys: [region], ttl: "2h", features: [{ name: "temp", dtype: "float64" }] },
      { name: "user_item", source: "affinity", keys: [user, item], ttl: "30d", features: [{ name: "affinity", dtype: "float64" }] },
    ],
    generate: [
      copy(`${h("i", users)}::BIGINT AS user_id, ${at("i + 1")}, ${time("naive", `${secondOfYear("i + 1")} + 1000000`)} AS created, ${h("i + 2", 80)}::BIGINT AS age, ${u("i + 3")} AS score`, n(5 * M), "profiles.parquet"),
      copy(`${h("i", users)}::BIGINT AS user_id, ${at("i + 1")}, ${h("i + 2", 30)}::BIGINT AS clicks, ${u("i + 3")} * 20 AS spend`, n(8 * M), "activity.parquet"),
      copy(`${h("i", items)}::BIGINT AS item_id, ${at("i + 1")}, ${u("i + 2")} * 50 AS price, ${h("i + 3", 10)} > 0 AS in_stock`, n(4 * M), "items.parquet"),
      copy(`'r' || (i % 50) AS region, ${time("naive", `${BASE_US} + (i // 50) * 3600000000`)} AS ts, ${u("i + 2")} * 30 AS temp`, 50 * 24 * 365, "weather.parquet"),
      copy(`${h("i", users)}::BIGINT AS user_id, ${h("i + 9", items)}::BIGINT AS item_id, ${at("i + 1")}, ${u("i + 2")} AS affinity`, n(3 * M), "affinity.parquet"),
      copy(
        `${h("-1 - 2 * i", users)}::BIGINT AS user_id, ${h("-3 - 2 * i", items)}::BIGINT AS item_id, 'r' || ${h("-5 - 2 * i", 50)} AS region, ${time("naive", secondOfYear("-2 - 2 * i"))} AS event_timestamp, (i % 2)::INTEGER AS label`,
        entityRows,
        "entities.parquet",
      ),
    ],
  };
}

/** 50 float features, all requested. */
function wide(entityRows: number, featureRows: number, keys: number): Shape {
  const names = Array.from({ length: 50 }, (_, i) => `f${String(i + 1).padStart(2, "0")}`);
  const base = simple({ id: "wide", title: "50 features wide", entityRows, featureRows, keys });
  return {
    ...base,
    views: [{ ...base.views[0]!, features: names.map((name) => ({ name, dtype: "float64" as const })) }],
    generate: [
      copy(`${h("i", keys)}::BIGINT AS user_id, ${time("naive", secondOfYear("i + 1"))} AS ts, ${names.map((name, j) => `round(${u(`i + ${j + 2}`)}, 3) AS ${name}`).join(", ")}`, featureRows, "features.parquet"),
      base.generate[1]!,
    ],
  };
}

/**
 * Batch scoring: every key once, all at the same time (the last day of the year), as a job
 * that scores every user each night asks; the source is uniform-short's.
 */
function scoringRun(featureRows: number, keys: number): Shape {
  const base = simple({ id: "scoring-run", title: "every key at one time", entityRows: keys, featureRows, keys });
  return {
    ...base,
    generate: [base.generate[0]!, copy(`i::BIGINT AS user_id, ${time("naive", `${BASE_US + 364 * DAY_US}`)} AS event_timestamp, (i % 2)::INTEGER AS label`, keys, "entities.parquet")],
  };
}

/** A query source (a filter and derived columns over a file source of raw events). */
function querySource(entityRows: number, featureRows: number, keys: number): Shape {
  const base = simple({ id: "query-source", title: "query (SQL) source", entityRows, featureRows, keys });
  return {
    ...base,
    sources: [
      { name: "raw_events", file: "events.parquet", timestamp: "ts" },
      { name: "clean_events", sql: "SELECT user_id, ts, amount * 1.2 AS amount_eur, kind = 'buy' AS is_buy FROM raw_events WHERE kind <> 'test'", timestamp: "ts" },
    ],
    views: [{ name: "user_stats", source: "clean_events", keys: [int64("user_id", "user")], ttl: "30d", features: [{ name: "amount_eur", dtype: "float64" }, { name: "is_buy", dtype: "bool" }] }],
    generate: [
      copy(`${h("i", keys)}::BIGINT AS user_id, ${time("naive", secondOfYear("i + 1"))} AS ts, ${u("i + 2")} * 100 AS amount, ['view', 'buy', 'test'][1 + ${h("i + 3", 3)}::BIGINT] AS kind, 'x' || ${h("i + 4", 1000)} AS payload`, featureRows, "events.parquet"),
      base.generate[1]!,
    ],
  };
}

/** feature_store.yaml and features.yaml of the shape's repository. */
export function repoFiles(shape: Shape, settings: { threads: number; memoryLimit: string }): Record<string, string> {
  const entities = new Map(shape.views.flatMap((v) => v.keys).map((k) => [k.entity, k]));
  const source = (s: BenchSource) =>
    `  - {name: ${s.name}, ${s.file ? `type: file, path: ${s.file}` : `type: query, sql: ${JSON.stringify(s.sql)}`}, timestamp_field: ${s.timestamp}${s.created ? `, created_timestamp_column: ${s.created}` : ""}}`;
  const view = (v: BenchView) =>
    `  - {name: ${v.name}, entities: [${v.keys.map((k) => k.entity).join(", ")}], source: ${v.source}, ttl: ${v.ttl}, schema: [${v.features.map((f) => `{name: ${f.name}, dtype: ${f.dtype}}`).join(", ")}]}`;
  return {
    "feature_store.yaml": `project: bench\nregistry: registry.json\nprovider: local\noffline_store:\n  type: duckdb\n  threads: ${settings.threads}\n  memory_limit: ${settings.memoryLimit}\n  temp_directory: spill\nonline_store:\n  type: sqlite\n  path: online.db\n`,
    "features.yaml": [
      "entities:",
      ...[...entities.values()].map((k) => `  - {name: ${k.entity}, join_keys: [${k.column}], value_type: ${k.type}}`),
      "sources:",
      ...shape.sources.map(source),
      "feature_views:",
      ...shape.views.map(view),
      "",
    ].join("\n"),
  };
}

/** The `view:feature` references of every feature of every view. */
export const featureRefs = (shape: Shape) => shape.views.flatMap((v) => v.features.map((f) => `${v.name}:${f.name}`));
