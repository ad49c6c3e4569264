import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openOnlineStore } from "../../src/online/stores.js";
import type { OnlineTableSpec } from "../../src/online/store.js";
import { tempDir } from "../helpers.js";
import { materializedWideStore } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);

// Plans and statements are cached by comparing the caller's lists; a list changed in place
// after a read must not be answered from the cache of its old contents.
test("a feature list changed in place after a read is planned again", async (t) => {
  const dir = tempDir(t);
  const fs = await materializedWideStore(t, dir, T0);
  const features = ["wide:f0", "wide:f1"];
  assert.deepEqual((await fs.getOnlineFeatures({ entities: { user_id: [1] }, features, now: T0 })).names, ["user_id", "f0", "f1"]);
  features[1] = "wide:f2";
  assert.deepEqual((await fs.getOnlineFeatures({ entities: { user_id: [1] }, features, now: T0 })).names, ["user_id", "f0", "f2"]);
  features.push("wide:nope");
  await assert.rejects(fs.getOnlineFeatures({ entities: { user_id: [1] }, features, now: T0 }), { code: "not_found" });
});

test("sqlite: a store read with a features array changed in place reads the new columns", async (t) => {
  const store = await openOnlineStore("p", { type: "sqlite", path: join(tempDir(t), "online.db") });
  t.after(() => void store.close());
  const spec: OnlineTableSpec = { view: "v", keys: [{ name: "id", type: "int64" }], features: [{ name: "a", dtype: "int64" }, { name: "b", dtype: "int64" }] };
  await store.ensureTables([spec]);
  await store.write(spec, [[{ key: [1], values: [10, 20], eventTs: 1, createdTs: null }]]);
  const features = ["a"];
  assert.deepEqual((await store.read([{ spec, features, keys: [[1]] }]))[0]![0]!.values, [10]);
  features[0] = "b";
  assert.deepEqual((await store.read([{ spec, features, keys: [[1]] }]))[0]![0]!.values, [20]);
});
