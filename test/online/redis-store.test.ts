import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { openOnlineStore } from "../../src/online/stores.js";
import type { OnlineRow, OnlineStore, OnlineTableSpec } from "../../src/online/store.js";
import type { RedisOnlineStore } from "../../src/online/redis/store.js";
import { CHUNK_ROWS } from "../../src/online/redis/write.js";
import { redisServer, type RedisServer } from "../redis-server.js";

// What the Redis backend adds to the contract suite: its encoding, its keys, and what a reader
// can see of a write that spans many chunks.
const spec: OnlineTableSpec = { view: "stats", keys: [{ name: "user_id", type: "int64" }], features: [{ name: "a", dtype: "float64" }] };
const row = (user: number, eventTs: number, a: number | null): OnlineRow => ({ key: [user], values: [a], eventTs, createdTs: null });

async function open(t: { after(fn: () => Promise<void> | void): void }, server: RedisServer, project = "p", extra = {}): Promise<RedisOnlineStore> {
  const store = (await openOnlineStore(project, server.config(extra))) as RedisOnlineStore;
  t.after(() => store.close());
  return store;
}

test("redis: every dtype round-trips exactly: int64 beyond 2^53, float64 bits, bytes, bool, timestamps, NULL vs never written", async (t) => {
  const store = await open(t, await redisServer(t));
  const all: OnlineTableSpec = {
    view: "all",
    keys: [{ name: "id", type: "int64" }],
    features: [
      { name: "i64", dtype: "int64" }, { name: "i32", dtype: "int32" }, { name: "f64", dtype: "float64" }, { name: "f32", dtype: "float32" },
      { name: "s", dtype: "string" }, { name: "b", dtype: "bytes" }, { name: "ok", dtype: "bool" }, { name: "at", dtype: "unix_timestamp" },
    ],
  };
  await store.ensureTables([all]);
  const cases: unknown[][] = [
    [2n ** 63n - 1n, -(2 ** 31), 0.1 + 0.2, Math.fround(0.1), "", Buffer.from([0xff, 0x00, 0x3a]), true, Date.UTC(2024, 0, 1)],
    [-(2n ** 63n), 2 ** 31 - 1, -0, Number.MIN_VALUE, "a:b,c=\"d\"\n✓", Buffer.alloc(0), false, -62_135_596_800_000],
    [9_007_199_254_740_993n, 0, Number.MAX_VALUE, Infinity, "x".repeat(10_000), Buffer.from("hi"), true, 0],
    [Number.MAX_SAFE_INTEGER, 7, NaN, -Infinity, "null", Buffer.from([0]), false, 1],
    [null, null, null, null, null, null, null, null],
  ];
  await store.write(all, [cases.map((values, i) => ({ key: [i], values, eventTs: 1000 + i, createdTs: i === 0 ? null : 5 }))]);
  const names = all.features.map((f) => f.name);
  const got = (await store.read([{ spec: all, features: names, keys: [...cases.map((_, i) => [i]), [99]] }]))[0]!;
  cases.forEach((values, i) => {
    const stored = got[i]!;
    assert.deepEqual([stored.eventTs, stored.createdTs], [1000 + i, i === 0 ? null : 5]);
    values.forEach((want, f) => {
      const value = stored.values[f];
      if (typeof want === "number") assert.ok(Object.is(value, want), `row ${i} ${names[f]}: ${String(value)} is not ${String(want)}`);
      else assert.deepEqual(value, want, `row ${i} ${names[f]}`);
    });
  });
  assert.equal(typeof got[0]!.values[0], "bigint", "an int64 beyond 2^53 comes back as a bigint");
  assert.equal(typeof got[3]!.values[0], "number", "a safe int64 comes back as a number");
  assert.equal(got[5], undefined, "a key never written is undefined, unlike a row of NULLs");
});

test("redis: one hash per entity key holds every view's fields; compound, bytes and entity-less keys", async (t) => {
  const server = await redisServer(t);
  const store = await open(t, server);
  const other: OnlineTableSpec = { view: "other", keys: [{ name: "user_id", type: "int64" }], features: [{ name: "b", dtype: "string" }] };
  const pair: OnlineTableSpec = { view: "pair", keys: [{ name: "z", type: "string" }, { name: "a", type: "string" }], features: [{ name: "n", dtype: "int64" }] };
  const blob: OnlineTableSpec = { view: "blob", keys: [{ name: "k", type: "bytes" }], features: [{ name: "n", dtype: "int64" }] };
  const none: OnlineTableSpec = { view: "none", keys: [], features: [{ name: "n", dtype: "int64" }] };
  await store.ensureTables([spec, other, pair, blob, none]);
  await store.write(spec, [[row(7, 1000, 1.5)]]);
  await store.write(other, [[{ key: [7], values: ["x"], eventTs: 2000, createdTs: 3 }]]);
  const hash = await store.client.hgetallBuffer("mlf:p:k:user_id=7");
  assert.deepEqual(Object.keys(hash).sort(), ["other", "stats"], "one hash per entity holds a record per view");
  assert.deepEqual(hash.stats, Buffer.concat([Buffer.from("1:1000:|\x00", "latin1"), Buffer.from(new Float64Array([1.5]).buffer)]), "generation, event and created time, null bitmap, float64");
  assert.deepEqual(hash.other, Buffer.concat([Buffer.from("2:2000:3|\x00", "latin1"), Buffer.from([1, 0, 0, 0]), Buffer.from("x")]), "a string is its UTF-8 length and bytes");
  // Values that would collide if keys were joined naively: ("x,a=y", "") and ("x", "y,a=") etc.
  const pairs = [["x,a=\"y", ""], ["x", "y\",a=\""], ["", ""]];
  await store.write(pair, [pairs.map(([z, a], i) => ({ key: [z, a], values: [i], eventTs: 1, createdTs: null }))]);
  const read = await store.read([{ spec: pair, features: ["n"], keys: [...pairs, ["y", "x"]] }]);
  assert.deepEqual(read[0]!.map((r) => r?.values[0]), [0, 1, 2, undefined]);
  await store.write(blob, [[{ key: [Buffer.from([0xff, 0x2c])], values: [1], eventTs: 1, createdTs: null }]]);
  assert.equal((await store.read([{ spec: blob, features: ["n"], keys: [[Buffer.from([0xff, 0x2c])], [Buffer.from([0xff])]] }]))[0]!.map((r) => r?.values[0]).join(), "1,");
  await store.write(none, [[{ key: [], values: [5], eventTs: 1, createdTs: null }]]);
  assert.deepEqual((await store.client.keys("mlf:p:k:*")).sort(), ["mlf:p:k:", 'mlf:p:k:a="",z=""', 'mlf:p:k:a="",z="x,a=\\"y"', 'mlf:p:k:a="y\\",a=\\"",z="x"', "mlf:p:k:k=0xff2c", "mlf:p:k:user_id=7"]);
});

test("redis: teardown removes this project's keys only; a dropped or changed view never serves stale fields", async (t) => {
  const server = await redisServer(t);
  const p = await open(t, server, "p");
  const p2 = await open(t, server, "p2");
  for (const store of [p, p2]) {
    await store.ensureTables([spec]);
    await store.write(spec, [[row(1, 1000, 1), row(2, 1000, 2)]]);
  }
  const changed: OnlineTableSpec = { ...spec, features: [{ name: "a", dtype: "int64" }, { name: "c", dtype: "bool" }] };
  assert.deepEqual(await p.ensureTables([changed]), { created: [], recreated: ["stats"] });
  assert.deepEqual(await p.read([{ spec: changed, features: ["a"], keys: [[1]] }]), [[undefined]], "the float written before is not read as an int64");
  assert.deepEqual(await p.client.hgetall("mlf:p:k:user_id=1"), {}, "the old fields were swept");
  await p.write(changed, [[{ key: [1], values: [3, true], eventTs: 500, createdTs: null }]]);
  assert.deepEqual((await p.read([{ spec: changed, features: ["a", "c"], keys: [[1]] }]))[0]![0]!.values, [3, true], "an older event time is fine in a new table");
  await p.teardown();
  assert.deepEqual(await p.client.keys("mlf:p:*"), []);
  assert.deepEqual((await p2.read([{ spec, features: ["a"], keys: [[1], [2]] }]))[0]!.map((r) => r?.values[0]), [1, 2], "another project in the same db is untouched");
  assert.deepEqual(await p2.newestEventTimes(["stats"]), [1000]);
});

test("redis: key_ttl_seconds expires entity keys like Feast's; db selects the database", async (t) => {
  const server = await redisServer(t);
  const store = await open(t, server, "p", { keyTtlSeconds: 60, db: 3 });
  await store.ensureTables([spec]);
  await store.write(spec, [[row(1, 1000, 1)]]);
  const ttl = await store.client.pttl("mlf:p:k:user_id=1");
  assert.ok(ttl > 55_000 && ttl <= 60_000, `pttl ${ttl}`);
  const db0 = await open(t, server, "p");
  assert.deepEqual(await db0.client.keys("*"), [], "nothing was written to db 0");
});

/**
 * A write of users 0..n-1 (value `a` at `eventTs`) in batches of 100 that stops after 2000
 * rows (3 chunks sent in a generation): `paused` resolves then, `resume()` lets it finish.
 */
function pausedWrite(store: OnlineStore, n: number, eventTs: number, a: number) {
  let resume!: () => void;
  let reached!: () => void;
  const go = new Promise<void>((resolve) => (resume = resolve));
  const paused = new Promise<void>((resolve) => (reached = resolve));
  async function* rows(): AsyncGenerator<OnlineRow[]> {
    for (let i = 0; i < n; i += 100) {
      yield Array.from({ length: Math.min(100, n - i) }, (_, j) => row(i + j, eventTs, a));
      if (i + 100 === 2000) {
        reached();
        await go;
      }
    }
  }
  return { writing: store.write(spec, rows()), paused, resume };
}

test("redis: a write of many chunks is invisible to readers until it commits, then visible whole", async (t) => {
  const server = await redisServer(t);
  const writer = await open(t, server);
  const reader: OnlineStore = await open(t, server);
  await writer.ensureTables([spec]);
  const n = 10 * CHUNK_ROWS;
  await writer.write(spec, [Array.from({ length: n }, (_, i) => row(i, 1000, 1))]);
  const keys = Array.from({ length: n }, (_, i) => [i]);
  const values = async () => new Set((await reader.read([{ spec, features: ["a"], keys }]))[0]!.map((r) => r?.values[0]));

  const { writing, paused, resume } = pausedWrite(writer, n, 2000, 2);
  await paused;
  await sleep(50); // the chunks sent before the pause have run on the server
  assert.ok(Number(await writer.client.hget("mlf:p:meta", "stats.inflight")) > 0, "a generation is in flight");
  assert.deepEqual(await values(), new Set([1]), "mid-write, every key still reads the old value");
  // Meanwhile a push (one chunk, visible at once) lands on a key the write already staged.
  await reader.write(spec, [[row(5, 3000, 9)]]);
  resume();
  // Readers polling while the rest is written see one value per read.
  const seen: number[] = [];
  let done = false;
  void writing.finally(() => (done = true));
  while (!done) {
    const read = await values();
    read.delete(9);
    assert.equal(read.size, 1, `one read saw ${[...read].join(", ")}`);
    seen.push([...read][0] as number);
  }
  assert.deepEqual(await writing, { rows: n, written: n });
  assert.deepEqual(await values(), new Set([2, 9]), "after the commit every key reads the new value");
  assert.equal((await reader.read([{ spec, features: ["a"], keys: [[5]] }]))[0]![0]!.values[0], 9, "the newer push still wins over the committed write");
  assert.deepEqual(await reader.newestEventTimes(["stats"]), [3000]);
});

test("redis: a write whose view is applied again mid-way fails and leaves nothing visible", async (t) => {
  const server = await redisServer(t);
  const writer = await open(t, server);
  await writer.ensureTables([spec]);
  const { writing, paused, resume } = pausedWrite(writer, 10 * CHUNK_ROWS, 2000, 2);
  await paused;
  const changed: OnlineTableSpec = { ...spec, features: [...spec.features, { name: "b", dtype: "string" }] };
  await (await open(t, server)).ensureTables([changed]);
  resume();
  await assert.rejects(writing, { code: "conflict", message: /another layout.*none of it is visible/ });
  assert.deepEqual((await writer.read([{ spec: changed, features: ["a"], keys: [[0], [1]] }]))[0], [undefined, undefined]);
});

test("redis: a process holding an older layout of a view can neither read nor write it; a view never applied cannot be written", async (t) => {
  const server = await redisServer(t);
  const old = await open(t, server);
  await old.ensureTables([spec]);
  await old.write(spec, [[row(1, 1000, 1)]]);
  const changed: OnlineTableSpec = { ...spec, features: [{ name: "a", dtype: "string" }] };
  const applied = await open(t, server);
  await applied.ensureTables([changed]);
  await applied.write(changed, [[{ key: [1], values: ["one"], eventTs: 2000, createdTs: null }]]);
  await assert.rejects(old.read([{ spec, features: ["a"], keys: [[1]] }]), { code: "unavailable", message: /^Feature view "stats" has another layout in Redis at redis:\/\/127\.0\.0\.1:\d+\/0 than this registry/ });
  await assert.rejects(old.write(spec, [[row(1, 3000, 3)]]), { code: "conflict", message: /another layout/ });
  await assert.rejects(old.write(spec, [Array.from({ length: 2 * CHUNK_ROWS }, (_, i) => row(i, 3000, 3))]), { code: "conflict", message: /another layout/ });
  assert.deepEqual((await applied.read([{ spec: changed, features: ["a"], keys: [[1]] }]))[0]![0]!.values, ["one"]);
  const never: OnlineTableSpec = { ...spec, view: "never" };
  await assert.rejects(applied.write(never, [[row(1, 1, 1)]]), { code: "not_found", message: /Feature view "never" has no online table in Redis at .*; run "mlf apply" first/ });
});

test("redis: a writer whose lease lapsed stops at its next chunk; the next writer declares its generation dead", async (t) => {
  const server = await redisServer(t);
  const writer = await open(t, server);
  await writer.ensureTables([spec]);
  const { writing, paused, resume } = pausedWrite(writer, 10 * CHUNK_ROWS, 2000, 2);
  await paused;
  const stalled = await writer.client.hget("mlf:p:meta", "stats.inflight");
  await writer.client.del("mlf:p:lock:stats"); // what an expired lease looks like
  const next = await open(t, server);
  assert.deepEqual(await next.write(spec, [Array.from({ length: 2 * CHUNK_ROWS }, (_, i) => row(i, 1000, 1))]), { rows: 2 * CHUNK_ROWS, written: 2 * CHUNK_ROWS });
  assert.deepEqual(await next.client.smembers("mlf:p:dead:stats"), [stalled]);
  resume();
  await assert.rejects(writing, { code: "conflict", message: /lost its lock/ });
  assert.deepEqual(new Set((await next.read([{ spec, features: ["a"], keys: Array.from({ length: 10 * CHUNK_ROWS }, (_, i) => [i]) }]))[0]!.map((r) => r?.values[0])), new Set([1, undefined]), "nothing of the stalled writer is visible");
});
