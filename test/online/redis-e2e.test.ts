import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { FeatureStore } from "../../src/feature-store.js";
import { openFeatureBackend } from "../../src/serving/features.js";
import { mlf, tempDir } from "../helpers.js";
import { redisServer } from "../redis-server.js";
import { materialize } from "../../src/online/materialize.js";
import { startServer } from "../../src/serving/server.js";
import { DAY, HOUR, wideRepo, wideRow } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);

const SQLITE_BLOCK = "online_store:\n  type: sqlite\n  path: data/online.db\n";

function useOnline(dir: string, block: string): void {
  const path = join(dir, "feature_store.yaml");
  const text = readFileSync(path, "utf8");
  assert.ok(text.includes(SQLITE_BLOCK));
  writeFileSync(path, text.replace(SQLITE_BLOCK, block));
}

/** Runs mlf with --json in a repo and returns its parsed output (asserting exit 0). */
function json(dir: string, args: string[]): unknown {
  const run = mlf(["-C", dir, "--json", ...args]);
  assert.equal(run.status, 0, `${args.join(" ")}: ${run.stderr}`);
  return run.json();
}

test("redis e2e: apply, materialize and get-online answer exactly as on SQLite; teardown leaves no key", async (t) => {
  const server = await redisServer(t);
  const sqlite = join(tempDir(t), "repo");
  assert.equal(mlf(["init", sqlite]).status, 0);
  const redis = join(tempDir(t), "repo");
  cpSync(sqlite, redis, { recursive: true });
  useOnline(redis, server.yaml());
  const views = (dir: string) => (json(dir, ["materialize", "2000-01-01", "now"]) as { views: { view: string; rows: number; written: number }[] }).views.map((v) => [v.view, v.rows, v.written]);
  for (const dir of [sqlite, redis]) json(dir, ["apply"]);
  assert.deepEqual(views(redis), views(sqlite));
  const reads = [
    ["get-online", "-e", "driver_id=1001", "-f", "driver_hourly_stats:conv_rate,driver_hourly_stats:trips", "--with-metadata"],
    ["get-online-features", "-e", "driver_id=1003,9999,1001", "--service", "driver_activity", "--full-feature-names", "--with-metadata"],
    ["get-online", "-e", "driver_id=1002", "-f", "driver_daily_stats:conv_rate_1d"],
  ];
  for (const args of reads) assert.deepEqual(json(redis, args), json(sqlite, args), args.join(" "));
  assert.deepEqual(views(redis).map((v) => v[2]), [0, 0], "materializing again writes nothing: newer wins");

  const fs = await FeatureStore.open(redis);
  t.after(() => fs.close());
  const lib = await fs.getOnlineFeatures({ entities: { driver_id: ["1001"] }, features: ["driver_hourly_stats:trips"] });
  assert.deepEqual(lib.results[0]!.values, [1001], "the library coerces keys on Redis too");
  assert.equal(lib.results[1]!.statuses[0], "PRESENT");

  assert.equal(mlf(["-C", redis, "teardown"]).status, 0);
  const probe = (await import("../../src/online/stores.js")).openOnlineStore;
  const store = (await probe("other", server.config())) as import("../../src/online/redis/store.js").RedisOnlineStore;
  t.after(() => store.close());
  assert.deepEqual(await store.client.keys("*"), []);
});

test("redis e2e: /get-online-features, /push and /metrics freshness on Redis answer as on SQLite", async (t) => {
  const redis = await redisServer(t);
  const answers = [];
  for (const online of [undefined, redis.yaml()]) {
    const dir = tempDir(t);
    const repo = await wideRepo(dir, [wideRow(1, T0, 1), wideRow(2, T0, 2, T0 + 5)], online === undefined ? {} : { online });
    await materialize(repo, T0 - DAY, T0);
    const server = await startServer({ port: 0, pollSeconds: 0, features: await openFeatureBackend(repo) });
    t.after(() => server.close());
    const post = async (path: string, body: unknown) => {
      const res = await fetch(server.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { results: { values: unknown[] }[] } };
    };
    const ask = () => post("/get-online-features", { features: ["wide:f0", "wide:f9"], entities: { user_id: [1, "2", 5] }, full_feature_names: true });
    const before = await ask();
    const push = (ts: number, f0: number) => post("/push", { feature_view: "wide", df: { user_id: [1], ts: [new Date(ts).toISOString()], ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, [i === 0 ? f0 : null]])) } });
    const pushed = [(await push(T0 + HOUR, 99)).status, (await push(T0 - HOUR, 7)).status];
    assert.deepEqual(pushed, [200, 200]);
    const after = await ask();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const age = Number(/mlf_feature_freshness_seconds\{view="wide"\} ([0-9.e+]+)/.exec(metrics)?.[1]);
    assert.ok(Math.abs(age - (Date.now() - (T0 + HOUR)) / 1000) < 60, `freshness ${age}`);
    answers.push({ before, pushed, after });
  }
  assert.deepEqual(answers[1]!.after.body.results[1]!.values, [99, 2, null], "the newer push won, the older one did not");
  assert.deepEqual(answers[1], answers[0]);
});

test("redis e2e: Redis down, a wrong password or a server that never answers is one sentence and exit 1", async (t) => {
  const server = await redisServer(t, { password: "s3cret" });
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  const yaml = join(dir, "feature_store.yaml");
  const original = readFileSync(yaml, "utf8");
  const attempt = (block: string) => {
    writeFileSync(yaml, original.replace(SQLITE_BLOCK, block));
    const run = mlf(["-C", dir, "--json", "apply"]);
    return { run, message: run.status === 0 ? "" : run.json<{ error: { message: string } }>().error.message };
  };
  const silent = createServer(() => undefined).listen(0, "127.0.0.1");
  await new Promise((resolve) => silent.once("listening", resolve));
  t.after(() => void silent.close());
  const silentPort = (silent.address() as { port: number }).port;
  const free = createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => free.once("listening", resolve));
  const downPort = (free.address() as { port: number }).port;
  await new Promise((resolve) => free.close(resolve));

  const down = attempt(`online_store:\n  type: redis\n  connection_string: "127.0.0.1:${downPort}"\n`);
  assert.equal(down.run.status, 1, down.run.stderr);
  assert.match(down.message, new RegExp(`^Cannot reach Redis at redis://127\\.0\\.0\\.1:${downPort}/0 \\(.*ECONNREFUSED.*\\); start it or fix online_store\\.connection_string`));
  const wrong = attempt(`online_store:\n  type: redis\n  connection_string: "127.0.0.1:${server.port},password=nope"\n`);
  assert.equal(wrong.run.status, 1);
  assert.match(wrong.message, new RegExp(`^Redis at redis://127\\.0\\.0\\.1:${server.port}/0 refused the credentials \\(WRONGPASS`));
  assert.doesNotMatch(wrong.message, /nope/, "the password is never shown");
  const none = attempt(`online_store:\n  type: redis\n  connection_string: "redis://127.0.0.1:${server.port}/0"\n`);
  assert.equal(none.run.status, 1);
  assert.match(none.message, /refused the credentials \(NOAUTH/);
  const hang = attempt(`online_store:\n  type: redis\n  connection_string: "127.0.0.1:${silentPort}"\n  connect_timeout_seconds: 0.5\n`);
  assert.equal(hang.run.status, 1);
  assert.match(hang.message, /^Cannot reach Redis at .*\(no answer within 0\.5 s \(connect timeout\)\)/, "the command gave up at its timeout");
  for (const bad of ["127.0.0.1:99999", "127.0.0.1:6379,cluster=yes", "redis://127.0.0.1:6379/x"]) {
    const run = attempt(`online_store:\n  type: redis\n  connection_string: "${bad}"\n`);
    assert.equal(run.run.status, 2, bad);
    assert.match(run.message, /feature_store\.yaml is invalid/);
  }
  const ok = attempt(`online_store:\n  type: redis\n  connection_string: "rediss://:x@127.0.0.1:1"\n  ssl: false\n  password: s3cret\n  db: 2\n  connect_timeout_seconds: 5\n`.replace("rediss://:x@127.0.0.1:1", `redis://127.0.0.1:${server.port}`));
  assert.equal(ok.run.status, 0, ok.run.stderr);
});

test("redis e2e: a server whose Redis goes away answers 503 naming it, and mlf serve will not start without it", async (t) => {
  const redis = await redisServer(t);
  const dir = tempDir(t);
  const repo = await wideRepo(dir, [wideRow(1, T0, 1)], { online: redis.yaml() });
  await materialize(repo, T0 - DAY, T0);
  const server = await startServer({ port: 0, pollSeconds: 0, features: await openFeatureBackend(repo) });
  t.after(() => server.close());
  const ask = () => fetch(`${server.url}/get-online-features`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ features: ["wide:f0"], entities: { user_id: [1] } }) });
  assert.equal((await ask()).status, 200);
  await redis.stop();
  const down = await ask();
  assert.equal(down.status, 503);
  const body = (await down.json()) as { error_code: string; message: string };
  assert.equal(body.error_code, "unavailable");
  assert.match(body.message, new RegExp(`^Cannot reach Redis at redis://127\\.0\\.0\\.1:${redis.port}/0 `));
  const serve = mlf(["-C", dir, "serve", "--port", "0"]);
  assert.equal(serve.status, 1);
  assert.match(serve.stderr, /Cannot reach Redis at .*ECONNREFUSED/);
  assert.equal(serve.stderr.trim().split("\n").length, 1, serve.stderr);
});
