import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openOnlineStore } from "../../src/online/stores.js";
import type { OnlineStore, OnlineTableSpec } from "../../src/online/store.js";
import type { OnlineStoreConfig } from "../../src/repo/types.js";
import { tempDir } from "../helpers.js";
import { redisServer } from "../redis-server.js";

// shareTurnSnapshots, the option mlf serve opens its store with, against every backend.
const backends: Record<OnlineStoreConfig["type"], (t: TestContext) => Promise<OnlineStoreConfig>> = {
  sqlite: async (t) => ({ type: "sqlite", path: join(tempDir(t), "online.db") }),
  redis: async (t) => (await redisServer(t)).config(),
};
/** Backends that share a turn's reads; the others ignore the option (a Redis read is already one round trip). */
const sharing = new Set<string>(["sqlite"]);

const spec: OnlineTableSpec = { view: "stats", keys: [{ name: "user_id", type: "int64" }], features: [{ name: "a", dtype: "float64" }] };
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

for (const [name, config] of Object.entries(backends).filter(([name]) => sharing.has(name))) {
  test(`${name}: with shareTurnSnapshots a turn's reads share one snapshot; the store's own writes are seen at once`, async (t) => {
    const cfg = await config(t);
    const writer = await openOnlineStore("p", cfg);
    const server = await openOnlineStore("p", cfg, { shareTurnSnapshots: true });
    t.after(async () => {
      await server.close();
      await writer.close();
    });
    await writer.ensureTables([spec]);
    const put = (store: OnlineStore, a: number, ts: number) => store.write(spec, [[{ key: [1], values: [a], eventTs: ts, createdTs: null }]]);
    const read = async () => (await server.read([{ spec, features: ["a"], keys: [[1]] }]))[0]![0]?.values[0];

    await put(writer, 1, 1000);
    assert.equal(await read(), 1);
    await put(writer, 2, 2000);
    assert.equal(await read(), 1, "another connection's write in the same turn is not seen yet");
    await nextTurn();
    assert.equal(await read(), 2, "it is seen from the next turn on");

    // Writing on the snapshot's own connection ends it first: the write can not fail on a stale
    // snapshot (another connection wrote meanwhile), and the value is read back at once.
    await put(writer, 3, 3000);
    assert.equal(await put(server, 4, 4000).then((r) => r.written), 1);
    assert.equal(await read(), 4);
    await nextTurn();
    assert.equal(await read(), 4);
  });
}

for (const [name, config] of Object.entries(backends)) {
  // A backend that does not share snapshots ignores the option: its reads stay as fresh as without it.
  const cases = sharing.has(name) ? [false] : [false, true];
  for (const share of cases) test(`${name}: ${share ? "with shareTurnSnapshots (ignored)" : "without the option"} every read sees the writes committed before it`, async (t) => {
    const cfg = await config(t);
    const writer = await openOnlineStore("p", cfg);
    const reader = await openOnlineStore("p", cfg, { shareTurnSnapshots: share });
    t.after(async () => {
      await reader.close();
      await writer.close();
    });
    await writer.ensureTables([spec]);
    const read = async () => (await reader.read([{ spec, features: ["a"], keys: [[1]] }]))[0]![0]?.values[0];
    await writer.write(spec, [[{ key: [1], values: [1], eventTs: 1000, createdTs: null }]]);
    assert.equal(await read(), 1);
    await writer.write(spec, [[{ key: [1], values: [2], eventTs: 2000, createdTs: null }]]);
    assert.equal(await read(), 2);
  });
}
