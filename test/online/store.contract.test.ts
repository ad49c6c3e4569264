import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openOnlineStore } from "../../src/online/stores.js";
import type { OnlineRow, OnlineStore, OnlineTableSpec } from "../../src/online/store.js";
import type { OnlineStoreConfig } from "../../src/repo/types.js";
import { tempDir } from "../helpers.js";
import { redisServer } from "../redis-server.js";

// The contract of OnlineStore, run against every backend by its config.
const backends: Record<OnlineStoreConfig["type"], (t: TestContext) => Promise<OnlineStoreConfig>> = {
  sqlite: async (t) => ({ type: "sqlite", path: join(tempDir(t), "online.db") }),
  redis: async (t) => (await redisServer(t)).config(),
};

const spec: OnlineTableSpec = { view: "stats", keys: [{ name: "user_id", type: "int64" }], features: [{ name: "a", dtype: "float64" }, { name: "b", dtype: "string" }] };
const global: OnlineTableSpec = { view: "totals", keys: [], features: [{ name: "n", dtype: "int64" }] };
const row = (user: number, eventTs: number, a: number | null, createdTs: number | null = null): OnlineRow => ({ key: [user], values: [a, a === null ? null : `v${a}`], eventTs, createdTs });

for (const [name, config] of Object.entries(backends)) {
  const open = async (t: TestContext): Promise<OnlineStore> => {
    const store = await openOnlineStore("p", await config(t));
    t.after(() => void store.close());
    await store.ensureTables([spec, global]);
    return store;
  };
  const readOne = async (store: OnlineStore, user: number) => (await store.read([{ spec, features: ["a", "b"], keys: [[user]] }]))[0]![0];

  test(`${name}: a key never written reads as undefined, and a view without a table too`, async (t) => {
    const store = await open(t);
    assert.equal(await readOne(store, 1), undefined);
    const missing: OnlineTableSpec = { ...spec, view: "never_applied" };
    assert.deepEqual(await store.read([{ spec: missing, features: ["a"], keys: [[1], [2]] }]), [[undefined, undefined]]);
  });

  test(`${name}: writes round-trip values, timestamps and feature order`, async (t) => {
    const store = await open(t);
    assert.deepEqual(await store.write(spec, [[row(1, 1000, 1.5, 1001), row(2, 2000, null)]]), { rows: 2, written: 2 });
    assert.deepEqual(await readOne(store, 1), { values: [1.5, "v1.5"], eventTs: 1000, createdTs: 1001 });
    assert.deepEqual((await store.read([{ spec, features: ["b", "a"], keys: [[2], [1]] }]))[0], [
      { values: [null, null], eventTs: 2000, createdTs: null },
      { values: ["v1.5", 1.5], eventTs: 1000, createdTs: 1001 },
    ]);
  });

  test(`${name}: newer wins on event time, then created time; older and repeated writes change nothing`, async (t) => {
    const store = await open(t);
    await store.write(spec, [[row(1, 2000, 2, 10)]]);
    assert.equal((await store.write(spec, [[row(1, 1000, 1, 99)]])).written, 0, "an older event time never replaces");
    assert.equal((await store.write(spec, [[row(1, 2000, 3, 5)]])).written, 0, "same event time, older created time");
    assert.equal((await store.write(spec, [[row(1, 2000, 4, null)]])).written, 0, "a null created time is the oldest");
    assert.deepEqual((await readOne(store, 1))?.values, [2, "v2"]);
    assert.equal((await store.write(spec, [[row(1, 2000, 5, 11)]])).written, 1, "same event time, newer created time");
    assert.equal((await store.write(spec, [[row(1, 3000, 6, 0)]])).written, 1, "newer event time wins whatever its created time");
    assert.deepEqual(await readOne(store, 1), { values: [6, "v6"], eventTs: 3000, createdTs: 0 });
  });

  test(`${name}: many rows in many batches, including more than one statement's worth`, async (t) => {
    const store = await open(t);
    const batches = [Array.from({ length: 1000 }, (_, i) => row(i, 1000, i)), Array.from({ length: 333 }, (_, i) => row(1000 + i, 1000, i))];
    assert.deepEqual(await store.write(spec, batches), { rows: 1333, written: 1333 });
    const keys = [[0], [63], [64], [999], [1332], [1333]];
    const got = (await store.read([{ spec, features: ["a"], keys }]))[0]!.map((r) => r?.values[0]);
    assert.deepEqual(got, [0, 63, 64, 999, 332, undefined]);
  });

  test(`${name}: a write that fails part-way leaves the previous rows (one transaction)`, async (t) => {
    const store = await open(t);
    await store.write(spec, [[row(1, 1000, 1), row(2, 1000, 1)]]);
    async function* failing(): AsyncGenerator<OnlineRow[]> {
      yield [row(1, 2000, 2)];
      throw new Error("source broke");
    }
    await assert.rejects(store.write(spec, failing()), /source broke/);
    function* failingSync(): Generator<OnlineRow[]> {
      yield [row(2, 2000, 2)];
      throw new Error("push broke");
    }
    await assert.rejects(store.write(spec, failingSync()), /push broke/);
    assert.deepEqual((await store.read([{ spec, features: ["a"], keys: [[1], [2]] }]))[0]!.map((r) => r?.values[0]), [1, 1]);
    assert.equal((await store.write(spec, [[row(1, 3000, 3)]])).written, 1, "the store is still writable");
  });

  test(`${name}: typed values of every dtype come back as written; int64 beyond 2^53 exactly`, async (t) => {
    const store = await open(t);
    const dtypes = ["int32", "int64", "float32", "float64", "string", "bytes", "bool", "unix_timestamp"] as const;
    const typed: OnlineTableSpec = { view: "typed", keys: [{ name: "k", type: "int64" }], features: dtypes.map((dtype) => ({ name: dtype, dtype })) };
    await store.ensureTables([typed]);
    const big = 2n ** 63n - 1n;
    const rows: OnlineRow[] = [
      { key: [big], values: [-(2 ** 31), big, 0.5, -1e300, "é", Buffer.from([0, 255]), true, Date.UTC(2024, 0, 1)], eventTs: 1000, createdTs: null },
      { key: [2], values: [7, 9007199254740993n, 1.5, 0, "", Buffer.alloc(0), false, -1], eventTs: 1000, createdTs: 5 },
      { key: [3], values: [1, 5n, 2, 3, "x", Buffer.from("y"), false, 0], eventTs: 1000, createdTs: null },
      { key: [4], values: dtypes.map(() => null), eventTs: 1000, createdTs: null },
    ];
    await store.write(typed, [rows]);
    const read = (features: string[]) => store.read([{ spec: typed, features, keys: [[big], [2], [3], [4], [5]] }]);
    const [got] = await read([...dtypes]);
    assert.deepEqual(got, [
      { values: [-(2 ** 31), big, 0.5, -1e300, "é", Buffer.from([0, 255]), true, Date.UTC(2024, 0, 1)], eventTs: 1000, createdTs: null },
      { values: [7, 9007199254740993n, 1.5, 0, "", Buffer.alloc(0), false, -1], eventTs: 1000, createdTs: 5 },
      { values: [1, 5, 2, 3, "x", Buffer.from("y"), false, 0], eventTs: 1000, createdTs: null },
      { values: dtypes.map(() => null), eventTs: 1000, createdTs: null },
      undefined,
    ], "a safe int64 reads as a number, a bigger one as a bigint");
    const [noInt64] = await read(["bool", "int32", "unix_timestamp"]);
    assert.deepEqual(noInt64![0], { values: [true, -(2 ** 31), Date.UTC(2024, 0, 1)], eventTs: 1000, createdTs: null }, "the same values read without an int64 column");
  });

  test(`${name}: an entity-less view holds one row, read with an empty key`, async (t) => {
    const store = await open(t);
    await store.write(global, [[{ key: [], values: [7], eventTs: 1000, createdTs: null }]]);
    await store.write(global, [[{ key: [], values: [8], eventTs: 2000, createdTs: null }]]);
    assert.deepEqual(await store.read([{ spec: global, features: ["n"], keys: [[], []] }]), [[{ values: [8], eventTs: 2000, createdTs: null }, { values: [8], eventTs: 2000, createdTs: null }]]);
  });

  test(`${name}: newest event times count every committed write and reset with the table`, async (t) => {
    const store = await open(t);
    const newest = () => store.newestEventTimes(["stats", "totals", "never_applied"]);
    assert.deepEqual(await newest(), [undefined, undefined, undefined], "empty and unknown views");
    await store.write(spec, [[row(1, 2000, 1), row(2, 5000, 2)], [row(3, 3000, 3)]]);
    await store.write(global, [[{ key: [], values: [1], eventTs: 700, createdTs: null }]]);
    assert.deepEqual(await newest(), [5000, 700, undefined]);
    assert.equal((await store.write(spec, [[row(2, 4000, 9)]])).written, 0);
    assert.deepEqual((await newest())[0], 5000, "a skipped older row does not lower it");
    await store.write(spec, [[row(1, 6000, 1)]]);
    assert.deepEqual((await newest())[0], 6000, "a newer write of another key raises it");
    async function* failing(): AsyncGenerator<OnlineRow[]> {
      yield [row(4, 9000, 4)];
      throw new Error("source broke");
    }
    await assert.rejects(store.write(spec, failing()), /source broke/);
    assert.deepEqual((await newest())[0], 6000, "a rolled-back write leaves it");
    await store.ensureTables([{ ...spec, features: [...spec.features, { name: "c", dtype: "bool" }] }]);
    assert.deepEqual(await newest(), [undefined, 700, undefined], "a recreated table starts empty");
    await store.dropTables(["totals"]);
    assert.deepEqual((await newest())[1], undefined);
  });

  test(`${name}: several views in one read, and a recreated table reads empty`, async (t) => {
    const store = await open(t);
    await store.write(spec, [[row(1, 1000, 1)]]);
    await store.write(global, [[{ key: [], values: [9], eventTs: 1000, createdTs: null }]]);
    const [a, b] = await store.read([{ spec, features: ["a"], keys: [[1]] }, { spec: global, features: ["n"], keys: [[]] }]);
    assert.deepEqual([a![0]?.values, b![0]?.values], [[1], [9]]);
    const changed: OnlineTableSpec = { ...spec, features: [...spec.features, { name: "c", dtype: "bool" }] };
    assert.deepEqual(await store.ensureTables([changed]), { created: [], recreated: ["stats"] });
    assert.equal((await store.read([{ spec: changed, features: ["a", "c"], keys: [[1]] }]))[0]![0], undefined);
    await store.dropTables(["stats"]);
    assert.equal((await store.read([{ spec: changed, features: ["a"], keys: [[1]] }]))[0]![0], undefined);
  });
}

test("sqlite: a store written before newest event times were kept fills them in once on open", async (t) => {
  const path = join(tempDir(t), "online.db");
  const old = new Database(path);
  old.exec("CREATE TABLE __mlf_tables (view TEXT PRIMARY KEY, table_name TEXT NOT NULL, layout TEXT NOT NULL)");
  old.exec('CREATE TABLE "p__stats" ("user_id" INTEGER NOT NULL, "a" REAL, "b" TEXT, __event_ts INTEGER NOT NULL, __created_ts INTEGER, PRIMARY KEY ("user_id")) WITHOUT ROWID');
  old.prepare("INSERT INTO __mlf_tables VALUES (?, ?, ?)").run("stats", "p__stats", JSON.stringify({ keys: spec.keys, features: spec.features }));
  old.exec('INSERT INTO "p__stats" VALUES (1, 1.0, NULL, 4000, NULL), (2, 2.0, NULL, 8000, NULL)');
  old.close();
  const store = await openOnlineStore("p", { type: "sqlite", path });
  t.after(() => void store.close());
  assert.deepEqual(await store.newestEventTimes(["stats"]), [8000]);
  assert.deepEqual(await store.ensureTables([spec]), { created: [], recreated: [] }, "the table and its rows are kept");
  await store.write(spec, [[row(3, 9000, 3)]]);
  assert.deepEqual(await store.newestEventTimes(["stats"]), [9000]);
});
