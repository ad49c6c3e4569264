import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { join } from "node:path";
import { materialize, materializeIncremental } from "../../src/online/materialize.js";
import { readRegistry } from "../../src/repo/registry.js";
import type { SqliteOnlineStoreConfig } from "../../src/repo/types.js";
import { MLF, mlf, tempDir } from "../helpers.js";
import { DAY, HOUR, pausedMaterialize, wideRepo, wideRow, wideRows } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

test("after a backfill of an earlier window, materialized_until and the next incremental start stay at the greatest end", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, [wideRow(1, T0 - DAY, 1), wideRow(1, T0, 2), wideRow(1, T0 + HOUR, 3)]);
  await materialize(repo, T0 - HOUR, T0);
  await materialize(repo, T0 - 2 * DAY, T0 - DAY); // the backfill: an earlier window, run last
  const list = mlf(["-C", dir, "--json", "feature-views", "list"]).json<{ name: string; materialized_until: string }[]>();
  assert.deepEqual(list.map((v) => [v.name, v.materialized_until]), [["wide", iso(T0)]]);
  const [next] = await materializeIncremental(repo, T0 + HOUR, { now: T0 + HOUR });
  assert.deepEqual([next!.start, next!.end, next!.rows], [iso(T0), iso(T0 + HOUR), 1]);
});

test("an apply that finds a view's table missing from the online store forgets its intervals", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, [wideRow(1, T0, 1)]);
  await materialize(repo, T0 - HOUR, T0);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${(repo.config.onlineStore as SqliteOnlineStoreConfig).path}${suffix}`, { force: true });
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  assert.deepEqual(readRegistry(repo.config.registry)!.online.wide, { tableVersion: 1, intervals: [] }, "no definition changed, but the table is new and empty");
  const [again] = await materializeIncremental(repo, T0, { now: T0 });
  assert.equal(again!.rows, 1, "the next incremental run loads all history again");
});

test("an interval is not recorded when an apply recreated the view's table while it was being materialized", { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, wideRows(5_000, T0, 1));
  assert.equal(readRegistry(repo.config.registry)!.online.wide!.tableVersion, 1);
  const run = pausedMaterialize(dir, T0 - HOUR, T0);
  await run.mid;

  // An apply that changes the view's table layout (f9 removed), started while the run holds the
  // online store's write lock: it takes the registry lock, then waits for the online store.
  const definitions = join(dir, "features.yaml");
  writeFileSync(definitions, readFileSync(definitions, "utf8").replace("      - {name: f9, dtype: float64}\n", ""));
  const lock = `${repo.config.registry}.lock`;
  const applyHoldsLock = new Promise<void>((resolve) => {
    const watcher = watch(join(dir, "data"), () => {
      try {
        if (JSON.parse(readFileSync(lock, "utf8")).pid === apply.pid) resolve(watcher.close());
      } catch {
        // not there yet, or not the apply's
      }
    });
  });
  const apply = spawn(process.execPath, [MLF, "-C", dir, "apply"], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, TZ: "UTC" } });
  let applyErrors = "";
  apply.stderr.on("data", (chunk: Buffer) => (applyErrors += chunk.toString()));
  const applied = new Promise<number | null>((resolve) => apply.once("exit", resolve));
  await applyHoldsLock;
  // The run commits, then waits for the registry lock; the apply recreates the table and
  // writes the registry before it lets go.
  run.resume();
  assert.equal(await applied, 0, applyErrors);
  const [result] = await run.results;
  assert.equal(result!.notRecorded, true);
  const state = readRegistry(repo.config.registry)!.online.wide!;
  assert.deepEqual(state, { tableVersion: 2, intervals: [] }, "nothing claims the new table is materialized");
  const list = mlf(["-C", dir, "--json", "feature-views", "list"]).json<{ materialized_until: string | null }[]>();
  assert.equal(list[0]!.materialized_until, null);
});
