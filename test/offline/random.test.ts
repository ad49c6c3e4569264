import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OfflineEngine } from "../../src/offline/engine.js";
import { getHistoricalFeatures } from "../../src/offline/get-historical.js";
import { applyRepo } from "../../src/apply/apply.js";
import { appliedRegistry, type Repo } from "../../src/repo/repo.js";
import { csv, makeRepo, random } from "./fixtures.js";
import { pointInTime, type OracleRow, type Value } from "./oracle.js";

/**
 * get-historical against the plain-TypeScript oracle on random small cases. Each batch is one
 * repository and one retrieval; its cases live in disjoint key ranges, so one DuckDB run
 * answers many independent cases. Times fall on a coarse grid so that equal timestamps,
 * equal created timestamps and rows exactly at the ttl bound are common.
 */

const BATCHES = 10;
const CASES_PER_BATCH = 60;
const BASE = Date.parse("2024-03-01T00:00:00Z");
const MINUTE = 60_000;
const TTLS = [0, 30, 60, 90, 180];
/**
 * The features of view `vw`, a query over src_a: more than the range plan ranks in one window,
 * so its candidates are ranked in two steps (see winnersSql).
 */
const WIDE = [["wa", "float64"], ["wb", "int64"], ["wc", "float64"], ["wd", "int64"], ["we", "int64"]] as const;

interface Batch {
  definitions: string;
  files: Record<string, string>;
  entities: Record<string, unknown>[];
  features: string[];
  fullNames: boolean;
  views: { name: string; keys: string[]; ttlMs: number; features: string[]; rows: OracleRow[] }[];
}

function makeBatch(seed: number): Batch {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chance = (p: number) => next() < p;
  const time = (step: number, max: number) => BASE + Math.floor(next() * (max / step + 1)) * step * MINUTE;
  const ttl = [pick(TTLS), pick(TTLS), pick(TTLS)];
  const created = [chance(0.7), chance(0.7)];

  const rowsA: unknown[][] = [];
  const rowsB: unknown[][] = [];
  const rowsC: unknown[][] = [];
  const entities: Record<string, unknown>[] = [];
  for (let c = 0; c < CASES_PER_BATCH; c++) {
    const keys = Array.from({ length: 1 + Math.floor(next() * 3) }, (_, j) => c * 100 + j);
    for (const k of keys) {
      for (let i = Math.floor(next() * 7); i > 0; i--) {
        rowsA.push([k, new Date(time(10, 300)), chance(0.2) ? null : new Date(time(30, 300)), chance(0.2) ? null : pick([0.5, 1, 1.5]), pick([1, 2, 3])]);
      }
      for (let i = Math.floor(next() * 7); i > 0; i--) {
        rowsB.push([k, pick(["x", "y"]), new Date(time(10, 300)), chance(0.2) ? null : new Date(time(30, 300)), chance(0.2) ? null : pick(["a", "b", "c"])]);
      }
    }
    for (let i = 1 + Math.floor(next() * 5); i > 0; i--) {
      if (entities.length > 0 && chance(0.15)) entities.push({ ...entities.at(-1)!, label: entities.length });
      else entities.push({ k: chance(0.05) ? null : pick(keys), m: pick(["x", "y"]), event_timestamp: new Date(time(5, 320)), label: entities.length });
    }
  }
  for (let i = Math.floor(next() * 15); i > 0; i--) rowsC.push([new Date(time(10, 300)), chance(0.2) ? null : pick([1, 2, 3, 4])]);

  const featuresA = chance(0.5) ? ["fa", "fb"] : ["fb", "fa"];
  const fullNames = chance(0.5);
  const definitions = `
entities:
  - {name: thing, join_keys: [k], value_type: int64}
  - {name: mode, join_keys: [m], value_type: string}
sources:
  - {name: src_a, type: file, path: data/a.csv, timestamp_field: ts${created[0] ? ", created_timestamp_column: created" : ""}}
  - {name: src_b, type: file, path: data/b.csv, timestamp_field: ts${created[1] ? ", created_timestamp_column: created" : ""}}
  - {name: src_c, type: file, path: data/c.csv, timestamp_field: ts}
  - {name: src_w, type: query, sql: "SELECT k, ts, created, fa AS wa, fb AS wb, fa * 2 AS wc, fb + 1 AS wd, CASE WHEN fa IS NULL THEN 0 ELSE 1 END AS we FROM src_a", timestamp_field: ts${created[0] ? ", created_timestamp_column: created" : ""}}
feature_views:
  - {name: va, entities: [thing], source: src_a, ttl: ${ttl[0]}m, schema: [{name: fa, dtype: float64}, {name: fb, dtype: int64}]}
  - {name: vb, entities: [thing, mode], source: src_b, ttl: ${ttl[1]}m, schema: [{name: fc, dtype: string}]}
  - {name: vc, entities: [], source: src_c, ttl: ${ttl[2]}m, schema: [{name: g, dtype: int64}]}
  - {name: vw, entities: [thing], source: src_w, ttl: ${ttl[0]}m, schema: [${WIDE.map(([name, dtype]) => `{name: ${name}, dtype: ${dtype}}`).join(", ")}]}
`.replace(/ttl: 0m/g, "ttl: 0");
  const oracleRows = (rows: unknown[][], keyCount: number, hasCreated: boolean, valueAt: (r: unknown[]) => Value[]): OracleRow[] =>
    rows.map((r) => ({
      keys: r.slice(0, keyCount) as Value[],
      ts: (r[keyCount] as Date).getTime(),
      created: hasCreated && r[keyCount + 1] !== null ? (r[keyCount + 1] as Date).getTime() : null,
      values: valueAt(r),
    }));
  return {
    definitions,
    files: {
      "data/a.csv": csv(["k", "ts", "created", "fa", "fb"], rowsA),
      "data/b.csv": csv(["k", "m", "ts", "created", "fc"], rowsB),
      "data/c.csv": csv(["ts", "g"], rowsC),
    },
    entities,
    features: [...featuresA.map((f) => `va:${f}`), "vb:fc", "vc:g", ...WIDE.map(([name]) => `vw:${name}`)],
    fullNames,
    views: [
      { name: "va", keys: ["k"], ttlMs: ttl[0]! * MINUTE, features: featuresA, rows: oracleRows(rowsA, 1, created[0]!, (r) => featuresA.map((f) => (f === "fa" ? r[3] : r[4]) as Value)) },
      { name: "vb", keys: ["k", "m"], ttlMs: ttl[1]! * MINUTE, features: ["fc"], rows: oracleRows(rowsB, 2, created[1]!, (r) => [r[4] as Value]) },
      { name: "vc", keys: [], ttlMs: ttl[2]! * MINUTE, features: ["g"], rows: oracleRows(rowsC, 0, false, (r) => [r[1] as Value]) },
      {
        name: "vw",
        keys: ["k"],
        ttlMs: ttl[0]! * MINUTE,
        features: WIDE.map(([name]) => name),
        rows: oracleRows(rowsA, 1, created[0]!, (r) => [r[3] as Value, r[4] as Value, r[3] === null ? null : (r[3] as number) * 2, (r[4] as number) + 1, r[3] === null ? 0 : 1]),
      },
    ],
  };
}

const plain = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v instanceof Date ? v.getTime() : v);

/** How odd batches store their times in Parquet: naive, naive nanoseconds, zoned. */
const PARQUET_TIMES = ["TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMPTZ"] as const;

/**
 * Odd batches read Parquet instead of CSV, sources and entity rows alike (the engine reads
 * them in place, prunes row groups on the stored type and samples the source by row blocks),
 * with the batch's timestamp type.
 */
async function toParquet(repo: Repo, batch: Batch, type: (typeof PARQUET_TIMES)[number]): Promise<string> {
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    for (const name of ["a", "b", "c"]) {
      const csvPath = join(repo.root, "data", `${name}.csv`);
      const times = ["ts", ...(name === "c" ? [] : ["created"])].map((c) => `CAST(CAST(${c} AS TIMESTAMPTZ) AS ${type}) AS ${c}`);
      await engine.run(`COPY (SELECT * REPLACE (${times.join(", ")}) FROM read_csv('${csvPath}', header = true, types = {'ts': 'VARCHAR'${name === "c" ? "" : ", 'created': 'VARCHAR'"}})) TO '${csvPath.replace(/\.csv$/, ".parquet")}' (FORMAT parquet)`);
    }
    const entities = join(repo.root, "entities.parquet");
    writeFileSync(join(repo.root, "entities.ndjson"), batch.entities.map((e) => JSON.stringify(e)).join("\n"));
    await engine.run(
      `COPY (SELECT k, m, CAST(CAST(event_timestamp AS TIMESTAMPTZ) AS ${type}) AS event_timestamp, label FROM read_json('${join(repo.root, "entities.ndjson")}', columns = {k: 'BIGINT', m: 'VARCHAR', event_timestamp: 'VARCHAR', label: 'BIGINT'})) TO '${entities}' (FORMAT parquet)`,
    );
    return entities;
  } finally {
    engine.close();
  }
}

for (const joinPlan of ["asof", "range", "interval", "auto"] as const) {
  test(`get-historical (${joinPlan} plan) equals the oracle on ${BATCHES * CASES_PER_BATCH} random cases, from CSV and Parquet`, async (t) => {
    let compared = 0;
    for (let b = 0; b < BATCHES; b++) {
      const batch = makeBatch(1000 + b);
      const repo = await makeRepo(t, batch.definitions, batch.files);
      let entities: string | Record<string, unknown>[] = batch.entities;
      if (b % 2 === 1) {
        entities = await toParquet(repo, batch, PARQUET_TIMES[Math.floor(b / 2) % 3]!);
        writeFileSync(join(repo.root, "features.yaml"), batch.definitions.replace(/\.csv/g, ".parquet"));
        await applyRepo(repo);
        assert.deepEqual(appliedRegistry(repo).definitions.sources.map((s) => (s as { path?: string }).path), ["data/a.parquet", "data/b.parquet", "data/c.parquet", undefined]);
      }
      const result = await getHistoricalFeatures(repo, { entities, features: batch.features, fullFeatureNames: batch.fullNames, joinPlan });
      const rows = result.rows!;
      assert.equal(rows.length, batch.entities.length, `batch ${b}: every entity row is kept`);
      // An unlimited ttl too gets the range plan, over the data's horizon (see sourceHorizon).
      for (const view of result.views) if (joinPlan !== "auto") assert.equal(view.plan, joinPlan);
      batch.entities.forEach((entity, i) => {
        const row = rows[i]!;
        assert.equal(plain(row.label), entity.label, `batch ${b} row ${i}: input order`);
        const expected: Record<string, unknown> = {};
        const actual: Record<string, unknown> = {};
        for (const view of batch.views) {
          const keys = view.keys.map((k) => entity[k] as Value);
          const values = pointInTime(view.rows, keys, (entity.event_timestamp as Date).getTime(), view.ttlMs, view.features.length);
          view.features.forEach((f, j) => {
            const column = batch.fullNames ? `${view.name}__${f}` : f;
            expected[column] = values[j];
            actual[column] = plain(row[column]);
          });
        }
        assert.deepEqual(actual, expected, `batch ${b} row ${i}: ${JSON.stringify(entity)}`);
        compared++;
      });
    }
    assert.ok(compared >= 500);
  });
}
