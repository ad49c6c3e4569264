import { test } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { OnlineReader } from "../../src/online/get-online.js";
import { materialize } from "../../src/online/materialize.js";
import { appliedRegistry } from "../../src/repo/repo.js";
import type { SqliteOnlineStoreConfig } from "../../src/repo/types.js";
import { tempDir } from "../helpers.js";
import { HOUR, pausedMaterialize, wideRepo, wideRows } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);
/** Enough users for several batches, so the pause comes with rows written and more to come. */
const USERS = 6_000;
/** Every 50th user: a sample spread over the whole key range. */
const sample = Array.from({ length: USERS / 50 }, (_, i) => i * 50);

function* twoGenerations(): Generator<string> {
  yield* wideRows(USERS, T0, 1);
  yield* wideRows(USERS, T0 + HOUR, 2);
}

async function readSample(reader: OnlineReader): Promise<unknown[]> {
  const r = await reader.get({ entities: { user_id: sample }, features: ["wide:f0", "wide:f9"], now: T0 + HOUR });
  return [...r.results[1]!.values, ...r.results[2]!.values];
}

test("a materialization killed with SIGKILL mid-write leaves the previous values readable and intact", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, twoGenerations());
  await materialize(repo, T0, T0);
  const run = pausedMaterialize(dir, T0 + HOUR, T0 + HOUR);
  await run.mid;
  run.child.kill("SIGKILL");
  assert.equal(await run.exited, null);

  const db = new Database((repo.config.onlineStore as SqliteOnlineStoreConfig).path);
  t.after(() => db.close());
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => void reader.close());
  assert.ok((await readSample(reader)).every((v) => v === 1), "every value is the previous one");
  assert.equal(appliedRegistry(repo).online.wide!.intervals.length, 1, "the killed run recorded no interval");
});

test("a reader during a materialization sees the old view, then the new one, never a mix", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, twoGenerations());
  await materialize(repo, T0, T0);
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => void reader.close());
  const run = pausedMaterialize(dir, T0 + HOUR, T0 + HOUR);
  await run.mid;
  assert.ok((await readSample(reader)).every((v) => v === 1), "mid-write, the reader sees only the old values");
  run.resume();
  assert.equal(await run.exited, 0);
  assert.ok((await readSample(reader)).every((v) => v === 2), "the committed run is visible to the same long-lived reader");
});
