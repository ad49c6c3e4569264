import { test } from "node:test";
import assert from "node:assert/strict";
import { pushRows } from "../../src/online/push.js";
import { OnlineReader } from "../../src/online/get-online.js";
import { tempDir } from "../helpers.js";
import { materializedWideStore } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);

test("FeatureStore.getOnlineFeatures reads with a long-lived handle; pushes are newer-wins and visible at once", async (t) => {
  const dir = tempDir(t);
  const fs = await materializedWideStore(t, dir, T0);
  const read = async () => (await fs.getOnlineFeatures({ entities: { user_id: ["1", 2] }, features: ["wide:f0", "wide:f1"], now: T0 })).results;
  assert.deepEqual((await read())[1]!.values, [1, null]);

  const reader = await OnlineReader.open(fs.registry(), fs.repo.config.onlineStore);
  t.after(() => void reader.close());
  const pushed = await pushRows(fs.registry(), reader.store, "wide", { user_id: [1, "2", 1], ts: [new Date(T0 - 5).toISOString(), T0, T0 + 1], f0: [9, 7, 3] });
  assert.deepEqual(pushed, { rows: 3, written: 2 }, "the older row for user 1 is skipped");
  const [keys, f0, f1] = await read();
  assert.deepEqual(keys!.values, [1, 2]);
  assert.deepEqual(f0!.values, [3, 7]);
  assert.deepEqual(f1!.statuses, ["NULL_VALUE", "NULL_VALUE"], "features absent from the push are stored as null");

  await assert.rejects(pushRows(fs.registry(), reader.store, "wide", { user_id: [1], ts: [T0 + 2], f0: ["x"] }), { code: "invalid_argument", message: /"x" of feature "f0"/ });
  await assert.rejects(pushRows(fs.registry(), reader.store, "wide", { user_id: [1], f0: [1] }), { message: /"ts" is missing/ });
  await assert.rejects(pushRows(fs.registry(), reader.store, "nope", { user_id: [1] }), { code: "not_found" });
  assert.deepEqual((await read())[1]!.values, [3, 7], "rejected pushes changed nothing");
});
