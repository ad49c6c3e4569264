import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { OnlineReader } from "../../src/online/get-online.js";
import { materialize } from "../../src/online/materialize.js";
import { appliedRegistry } from "../../src/repo/repo.js";
import type { SqliteOnlineStoreConfig } from "../../src/repo/types.js";
import { MLF, tempDir } from "../helpers.js";
import { HOUR, wideRepo, wideRows } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);
const USERS = 150_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** Every 75th user: a sample spread over the whole key range. */
const sample = Array.from({ length: USERS / 75 }, (_, i) => i * 75);

function* twoGenerations(): Generator<string> {
  yield* wideRows(USERS, T0, 1);
  yield* wideRows(USERS, T0 + HOUR, 2);
}

function startMaterialize(dir: string) {
  const child = spawn(process.execPath, [MLF, "-C", dir, "materialize", iso(T0 + HOUR), iso(T0 + HOUR)], { stdio: "ignore", env: { ...process.env, TZ: "UTC" } });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited };
}

test("a materialization killed with SIGKILL mid-way leaves the previous values readable and intact", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, twoGenerations());
  await materialize(repo, T0, T0);
  const { child, exited } = startMaterialize(dir);
  const path = (repo.config.onlineStore as SqliteOnlineStoreConfig).path;
  const wal = `${path}-wal`;
  // The transaction is under way once its pages spill into the WAL; the commit comes some
  // 15 MB later, so the first sight of a WAL past 256 KB is mid-write.
  let killed = false;
  for (let i = 0; i < 6000 && !killed; i++) {
    await sleep(2);
    let size = 0;
    try {
      size = statSync(wal).size;
    } catch {
      size = 0;
    }
    if (size > 256_000) killed = child.kill("SIGKILL");
  }
  assert.ok(killed, "the materialization was caught mid-write");
  await exited;

  const db = new Database(path);
  t.after(() => db.close());
  assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => void reader.close());
  const r = await reader.get({ entities: { user_id: sample }, features: ["wide:f0", "wide:f9"], now: T0 + HOUR });
  assert.ok(r.results[1]!.values.every((v) => v === 1) && r.results[2]!.values.every((v) => v === 1), "every value is the previous one");
  assert.equal(appliedRegistry(repo).materializations.wide!.length, 1, "the killed run recorded no interval");
});

test("a reader during a materialization sees the old view or the new one, never a mix", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, twoGenerations());
  await materialize(repo, T0, T0);
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => void reader.close());
  const { exited } = startMaterialize(dir);
  let running = true;
  void exited.then(() => (running = false));
  const seen = new Set<number>();
  let reads = 0;
  while (running) {
    const r = await reader.get({ entities: { user_id: sample }, features: ["wide:f0"], now: T0 + HOUR });
    const values = new Set(r.results[1]!.values as number[]);
    assert.equal(values.size, 1, `one read saw values ${[...values].join(", ")}`);
    seen.add([...values][0]!);
    reads++;
    await sleep(5);
  }
  assert.equal(await exited, 0);
  const after = await reader.get({ entities: { user_id: sample }, features: ["wide:f0"], now: T0 + HOUR });
  assert.ok(after.results[1]!.values.every((v) => v === 2), "the committed run is visible to the same long-lived reader");
  assert.ok(reads > 1 && seen.has(1), `the reader ran during the write (${reads} reads)`);
});
