import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { appliedRegistry } from "../../src/repo/repo.js";
import { resolveSelection } from "../../src/repo/resolve.js";
import { OfflineEngine, openEngineWithSources } from "../../src/offline/engine.js";
import { loadEntityRows } from "../../src/offline/entity-rows.js";
import type { ViewJoin } from "../../src/offline/point-in-time.js";
import { candidatesSql } from "../../src/offline/range-join.js";
import { keepClusteredSample, SAMPLE, sampleEntities, sourceGlance, sourceSample } from "../../src/offline/sample.js";
import { tempDir } from "../helpers.js";
import { makeRepo } from "./fixtures.js";

/**
 * What the plan's estimate reads of large Parquet files: whole row groups, spread over the
 * file, and never a block that straddles two of them; a file of few large row groups is read
 * in blocks instead, and a small one whole. The glance before a single pass reads two blocks.
 */

const T = "2024-01-01 00:00:00";
const START_US = Date.parse(`${T}Z`) * 1000;

test("the estimate samples large Parquet files by whole row groups", async (t) => {
  const scratch = tempDir(t, "mlf-sample-");
  const files: Record<string, Buffer> = {};
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    const write = async (name: string, rows: number, groupRows: number, select: string) => {
      await engine.run(`COPY (SELECT ${select} FROM range(${rows}) t(i)) TO '${join(scratch, name)}' (FORMAT parquet, ROW_GROUP_SIZE ${groupRows})`);
      files[`data/${name}`] = readFileSync(join(scratch, name));
    };
    const source = `i % 5000 AS user_id, TIMESTAMP '${T}' + INTERVAL (i) SECOND AS ts, i AS x`;
    await write("many.parquet", 1_200_000, 8192, source);
    // The same keys, each in one run of 240 rows, as a job writing by key leaves them.
    await write("sorted.parquet", 1_200_000, 8192, `i // 240 AS user_id, TIMESTAMP '${T}' + INTERVAL (i) SECOND AS ts, i AS x`);
    await write("few.parquet", 1_200_000, 400_000, source);
    await write("small.parquet", 100_000, 8192, source);
    await write("entities.parquet", 300_000, 2048, `i % 5000 AS user_id, TIMESTAMP '${T}' + INTERVAL (i * 4) SECOND AS event_timestamp`);
  } finally {
    engine.close();
  }
  const names = ["many", "few", "small", "sorted"];
  const views = names.map((name) => `  - {name: ${name}, entities: [user], source: ${name}, ttl: 1h, schema: [{name: x, dtype: int64}]}`);
  const repo = await makeRepo(
    t,
    `entities:\n  - {name: user, join_keys: [user_id], value_type: int64}\nsources:\n${names.map((name) => `  - {name: ${name}, type: file, path: data/${name}.parquet, timestamp_field: ts}`).join("\n")}\nfeature_views:\n${views.join("\n")}\n`,
    files,
  );
  const registry = appliedRegistry(repo);
  const resolution = resolveSelection(registry.definitions, { features: names.map((name) => `${name}:x`), fullFeatureNames: true });
  const db = await openEngineWithSources(repo.root, repo.config.offlineStore, registry.definitions);
  t.after(() => db.close());
  const keys = [...resolution.joinKeys.values()];
  const entities = await loadEntityRows(db, { kind: "file", path: "data/entities.parquet" }, "event_timestamp", keys, repo.root, repo.root);
  const view = (name: string): ViewJoin => ({ request: resolution.views.find((v) => v.view.name === name)!, entities, source: db.stored(name), target: "unused" });
  const count = async (relation: string) => Number((await db.rows(`SELECT count(*) AS n FROM (${relation})`))[0]!.n);

  await t.test("a source of many row groups: whole ones, a quarter of the file at most", async () => {
    const { relation, fraction } = await sourceSample(db, view("many"));
    const rows = await count(relation);
    assert.equal(rows, Math.round(fraction * 1_200_000), "the fraction is the rows read");
    assert.ok(fraction >= 262_144 / 1_200_000 && fraction <= 0.25, `fraction ${fraction}`);
    // The source's rows are a second apart: their times say which rows of the file were read.
    const groups = await db.rows(`SELECT (__mlf_us - ${START_US}) // 1000000 // 8192 AS g, count(*) AS n FROM (${relation}) GROUP BY g ORDER BY g`);
    assert.deepEqual(groups.filter((g) => g.n !== 8192n), [], "whole row groups of 8,192 rows");
    assert.ok(Number(groups[0]!.g) < 12 && Number(groups.at(-1)!.g) > 134, "spread over the whole file");
  });

  await t.test("a source of few large row groups is read in blocks, a small one whole", async () => {
    const few = await sourceSample(db, view("few"));
    assert.equal(await count(few.relation), Math.round(few.fraction * 1_200_000));
    assert.ok(few.fraction < 0.25, `fraction ${few.fraction}`);
    const small = await sourceSample(db, view("small"));
    assert.equal(small.fraction, 1);
    assert.equal(await count(small.relation), 100_000);
  });

  await t.test("a glance reads 2 row groups' worth of rows, a quarter and three quarters into the file; none of few row groups", async () => {
    const glance = (await sourceGlance(db, view("many")))!;
    const rows = await count(glance.relation);
    assert.equal(rows, Math.round(glance.fraction * 1_200_000), "the fraction is the rows read");
    // 147 row groups of 8,192 rows (the last shorter): blocks of an average row group, at 36 and 110.
    assert.ok(rows > 2 * 8100 && rows <= 2 * 8192, `${rows} rows`);
    const [seconds] = await db.rows(`SELECT min(__mlf_us - ${START_US}) // 1000000 AS lo, max(__mlf_us - ${START_US}) // 1000000 AS hi FROM (${glance.relation})`);
    assert.ok(Math.abs(Number(seconds!.lo) - 36 * 8192) < 8192 && Math.abs(Number(seconds!.hi) - 111 * 8192) < 8192, JSON.stringify(seconds, (_, v) => (typeof v === "bigint" ? Number(v) : v)));
    assert.equal(await sourceGlance(db, view("few")), undefined);
    assert.equal(await sourceGlance(db, view("small")), undefined, "13 row groups");
  });

  await t.test("the estimate's counts: each sampled row's candidates inside the ttl, and the pairs sharing keys whatever their times", async () => {
    // The small source, read whole: key k has a row every 5,000 s from T + k s, 20 in all.
    const { relation, fraction } = await sourceSample(db, view("small"));
    assert.equal(fraction, 1);
    const sampled: [number | null, number][] = [[7, 5007], [7, 5006], [7, 100_000], [42, 42], [4999, 2000], [null, 5007], [123_456, 5007]];
    const values = sampled.map(([key, s], row) => `(${row}, ${key ?? "NULL"}::BIGINT, ${START_US + s * 1_000_000})`);
    await db.run(`CREATE OR REPLACE TEMP TABLE ${SAMPLE} AS SELECT * FROM (VALUES ${values.join(", ")}) AS t(__mlf_row, user_id, __mlf_us)`);
    const rows = await db.rows(candidatesSql(view("small"), relation));
    // The oracle: the source rows of the key at or before T and within the hour before it.
    const times = (key: number) => (key < 5000 ? Array.from({ length: 20 }, (_, j) => key + 5000 * j) : []);
    const expected = sampled.map(([key, s]) => (key === null ? 0 : times(key).filter((ts) => ts <= s && ts >= s - 3600).length)).filter((n) => n > 0);
    assert.deepEqual(rows.map((r) => Number(r.n)).sort(), expected.sort(), "candidates of the rows that found any");
    assert.equal(Number(rows[0]!.total), 100_000);
    assert.equal(Number(rows[0]!.matches), 3 * 20 + 20 + 20, "a NULL key and a key the source lacks share none");
  });

  await t.test("a source clustered by key: the entity rows of the sampled groups' keys are kept, against those groups thinned", async () => {
    const sampleKeys = async () => (await db.rows(`SELECT user_id FROM ${SAMPLE}`)).map((r) => Number(r.user_id));
    // Not clustered: every row group holds every key, so every sampled row is inside.
    const many = await sourceSample(db, view("many"));
    const sampledMany = await sampleEntities(db, view("many"));
    assert.equal(await keepClusteredSample(db, view("many"), many.clustering!.keyRanges, sampledMany), undefined);
    assert.equal((await sampleKeys()).length, sampledMany, "the sample as it was");

    const sorted = await sourceSample(db, view("sorted"));
    const { keyRanges, thinned, thinning } = sorted.clustering!;
    assert.equal(keyRanges.length, Math.round((sorted.fraction * 1_200_000) / 8192), "a range per sampled row group");
    const sampled = await sampleEntities(db, view("sorted"));
    // The oracle: the sampled keys inside a range, from the ranges as numbers.
    const inside = (key: number) => keyRanges.some(([lo, hi]) => key >= Number(lo) && key <= Number(hi));
    const expected = (await sampleKeys()).filter(inside);
    const kept = await keepClusteredSample(db, view("sorted"), keyRanges, sampled);
    assert.equal(kept, expected.length);
    assert.ok(kept! > 0 && kept! < sampled / 2, `${kept} of ${sampled} kept`);
    assert.deepEqual((await sampleKeys()).sort(), expected.sort(), "the rows outside the ranges left");
    // Thinned to the sample's fraction: each kept row's key has that share of its rows in the sample, as a sample of rows.
    assert.equal(thinning, Math.round(1 / sorted.fraction));
    const [all, some] = [await count(sorted.relation), await count(thinned)];
    assert.ok(Math.abs(some * thinning - all) < all * 0.05, `${some} of ${all} rows thinned by ${thinning}`);
  });

  await t.test("entity rows: about 4,096, all from whole row groups", async () => {
    const sampled = await sampleEntities(db, view("many"));
    assert.ok(sampled > 3000 && sampled < 5500, `${sampled} rows sampled`);
    const [groups] = await db.rows(`SELECT count(DISTINCT __mlf_row // 2048) AS n, min(__mlf_row) AS lo, max(__mlf_row) AS hi FROM ${SAMPLE}`);
    assert.ok(Number(groups!.n) <= 300_000 / 2048 / 4, `${groups!.n} row groups read`);
    assert.ok(Number(groups!.lo) < 30_000 && Number(groups!.hi) > 270_000, "spread over the whole file");
  });
});
