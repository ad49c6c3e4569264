import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FeatureStore } from "../../src/feature-store.js";
import { loadConfigCached } from "../../src/repo/config.js";
import { openRepo } from "../../src/repo/repo.js";
import { mlf, tempDir } from "../helpers.js";

test("reading a repository never writes the config cache; plan and apply refresh it", async (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  const cache = join(dir, ".mlf", "config.json");
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  assert.ok(existsSync(cache), "apply caches the config it validated");

  rmSync(join(dir, ".mlf"), { recursive: true });
  assert.equal(mlf(["-C", dir, "feature-views", "list"]).status, 0);
  assert.equal(mlf(["-C", dir, "get-online", "-e", "driver_id=1001", "-f", "driver_hourly_stats:trips"]).status, 0);
  assert.equal(mlf(["-C", dir, "track", "ls"]).status, 0);
  const fs = await FeatureStore.open(dir);
  await fs.getOnlineFeatures({ entities: { driver_id: [1001] }, features: ["driver_hourly_stats:trips"] });
  await fs.close();
  assert.equal((await openRepo(dir)).config.project, "repo");
  assert.ok(!existsSync(join(dir, ".mlf")), "no read wrote the cache");

  assert.equal(mlf(["-C", dir, "plan"]).status, 0);
  assert.ok(existsSync(cache), "plan writes it");
});

test("a cached config is used only when it matches the file and has the shape of a config", async (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  assert.equal(mlf(["-C", dir, "plan"]).status, 0);
  const cache = join(dir, ".mlf", "config.json");
  const snapshot = JSON.parse(readFileSync(cache, "utf8")) as { root: string; text: string; config: Record<string, any> };
  const real = await loadConfigCached(dir);
  assert.deepEqual(real, snapshot.config);

  // A cache for this very text whose config is not a config's shape is ignored: the file is parsed.
  const tampered = (config: Record<string, any>) => writeFileSync(cache, JSON.stringify({ ...snapshot, config }));
  for (const bad of [
    { ...snapshot.config, onlineStore: { type: "sqlite", path: "relative.db" } },
    { ...snapshot.config, onlineStore: { type: "redis", path: "/x.db" } },
    { ...snapshot.config, extra: 1 },
    { ...snapshot.config, offlineStore: { type: "duckdb", threads: 0 } },
    { ...snapshot.config, project: 7 },
    "not an object",
  ]) {
    tampered(bad as Record<string, any>);
    assert.deepEqual(await loadConfigCached(dir), real, JSON.stringify(bad));
  }
  // A well-formed cache of another text is stale: the edit is seen.
  writeFileSync(cache, JSON.stringify(snapshot));
  writeFileSync(join(dir, "feature_store.yaml"), readFileSync(join(dir, "feature_store.yaml"), "utf8").replace("path: mlruns", "path: runs"));
  assert.equal((await loadConfigCached(dir)).trackingPath, join(dir, "runs"));
});
