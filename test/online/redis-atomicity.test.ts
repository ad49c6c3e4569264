import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { OnlineReader } from "../../src/online/get-online.js";
import { materialize } from "../../src/online/materialize.js";
import type { RedisOnlineStore } from "../../src/online/redis/store.js";
import { appliedRegistry } from "../../src/repo/repo.js";
import { MLF, tempDir } from "../helpers.js";
import { redisServer } from "../redis-server.js";
import { HOUR, wideRepo, wideRows } from "./fixtures.js";

// test/online/atomicity.test.ts for the Redis store: a materialization is one generation,
// invisible until its commit (see src/online/redis/scripts.ts).
const T0 = Date.UTC(2024, 0, 10);
const USERS = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
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

/** A Redis repository with both generations in its source, the first materialized, and a reader on it. */
async function firstGeneration(t: TestContext) {
  const server = await redisServer(t);
  const dir = tempDir(t);
  const repo = await wideRepo(dir, twoGenerations(), { online: server.yaml() });
  await materialize(repo, T0, T0);
  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => reader.close());
  return { dir, repo, reader };
}

test("redis: a materialization killed with SIGKILL mid-way leaves every key old; the next run commits", async (t) => {
  const { dir, repo, reader } = await firstGeneration(t);
  const client = (reader.store as RedisOnlineStore).client;
  const committed = await client.hget("mlf:wide:meta", "wide.c");

  const { child, exited } = startMaterialize(dir);
  // The run is mid-write once its generation is in flight and some of its records exist.
  let killed = false;
  for (let i = 0; i < 6000 && !killed; i++) {
    await sleep(2);
    const inflight = await client.hget("mlf:wide:meta", "wide.inflight");
    if (inflight === null) continue;
    const slots = await client.hmget(`mlf:wide:k:user_id=${sample[1]}`, "wide", "wide~");
    if (slots.some((h) => h?.startsWith(`${inflight}:`))) killed = child.kill("SIGKILL");
  }
  assert.ok(killed, "the materialization was caught mid-write");
  await exited;
  assert.equal(await client.hget("mlf:wide:meta", "wide.c"), committed, "nothing was committed");

  const read = async () => (await reader.get({ entities: { user_id: sample }, features: ["wide:f0", "wide:f9"], now: T0 + HOUR })).results;
  const [, f0, f9] = await read();
  assert.ok(f0!.values.every((v) => v === 1) && f9!.values.every((v) => v === 1), "every value is the previous one");
  assert.equal(appliedRegistry(repo).online.wide!.intervals.length, 1, "the killed run recorded no interval");

  // The dead writer's lease lapses; the next run declares its generation dead and commits.
  const again = startMaterialize(dir);
  assert.equal(await again.exited, 0);
  const [, g0] = await read();
  assert.ok(g0!.values.every((v) => v === 2), "the next run's values are all visible");
  assert.equal(await client.scard("mlf:wide:dead:wide"), 1, "the killed generation is dead");
});

test("redis: a reader during a materialization sees the old view or the new one, never a mix", async (t) => {
  const { dir, reader } = await firstGeneration(t);
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
