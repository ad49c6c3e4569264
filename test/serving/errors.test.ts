import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { FeatureStore } from "../../src/feature-store.js";
import { openFeatureBackend } from "../../src/serving/features.js";
import { startServer } from "../../src/serving/server.js";
import { tempDir } from "../helpers.js";
import { wideRepo, wideRow } from "../online/fixtures.js";
import type { SqliteOnlineStoreConfig } from "../../src/repo/types.js";

const T0 = Date.UTC(2024, 0, 10);

test("an unexpected error answers a generic 500 naming the request; its text and paths go to the log only", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, [wideRow(1, T0, 1)]);
  const fs = await FeatureStore.open(dir);
  await fs.materialize(T0 - 1, T0);
  await fs.close();
  const logs: Record<string, unknown>[] = [];
  const server = await startServer({ port: 0, pollSeconds: 0, log: (r) => logs.push(r), features: await openFeatureBackend(repo) });
  t.after(() => server.close());
  const read = () => fetch(`${server.url}/get-online-features`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ features: ["wide:f0"], entities: { user_id: [1] } }) });
  assert.equal((await read()).status, 200);

  // Another process breaks the table under the server: SQLite's own error, with the column name, follows.
  const db = new Database((repo.config.onlineStore as SqliteOnlineStoreConfig).path);
  db.exec('ALTER TABLE "wide__wide" DROP COLUMN "f0"');
  db.close();
  const res = await read();
  const id = res.headers.get("x-request-id");
  assert.equal(res.status, 500);
  assert.ok(id, "the answer names its request in a header");
  assert.deepEqual(await res.json(), { error_code: "runtime", message: `Internal error; see the server log for request ${id}.` });
  const logged = logs.find((r) => r.msg === "internal error");
  assert.ok(logged, JSON.stringify(logs));
  assert.equal(logged.request_id, id);
  assert.match(String(logged.error), /no such column: "?f0/, "the log keeps SQLite's text");
  assert.ok(logs.some((r) => r.msg === "request" && r.status === 500 && r.request_id === id), "the request line carries the id too");

  // Errors written for the caller are answered as they are, also with the request id.
  const bad = await fetch(`${server.url}/get-online-features`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ features: ["wide:nope"], entities: { user_id: [1] } }) });
  assert.equal(bad.status, 404);
  assert.ok(bad.headers.get("x-request-id"));
  assert.match(((await bad.json()) as { message: string }).message, /has no feature "nope"/);
});
