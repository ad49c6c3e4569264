import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mlf, tempDir } from "../helpers.js";
import { feastLineageTags } from "../../src/tracking/feast-lineage.js";
import { getRun } from "../../src/tracking/read.js";

test("Feast's lineage tags: names, sorted unique views, counts and Feast's truncation", () => {
  assert.deepEqual(feastLineageTags({ project: "flights", featureService: "delay", featureRefs: ["b:x", "a:y", "b:z"], entityCount: 150 }), {
    "feast.project": "flights",
    "feast.retrieval_type": "historical",
    "feast.feature_service": "delay",
    "feast.feature_views": "a,b",
    "feast.feature_refs": "b:x,a:y,b:z",
    "feast.entity_count": "150",
    "feast.feature_count": "3",
  });
  const many = Array.from({ length: 800 }, (_, i) => `view:feature_${i}`);
  const refs = feastLineageTags({ featureRefs: many })["feast.feature_refs"]!;
  assert.equal(refs.length, 4990);
  assert.ok(refs.endsWith("..."));
  assert.deepEqual(feastLineageTags({ featureService: "s", featureRefs: [] }), { "feast.retrieval_type": "historical", "feast.feature_service": "s" });
});

test("mlf track run --service tags the run as Feast's MLflow integration does", (t) => {
  const repo = join(tempDir(t), "shop");
  assert.equal(mlf(["init", repo]).status, 0);
  assert.equal(mlf(["-C", repo, "apply"]).status, 0);
  const env = { MLF_CACHE_DIR: tempDir(t) };
  const run = mlf(["-C", repo, "track", "run", "--json", "--service", "driver_activity", "--", process.execPath, "-e", "0"], { env });
  assert.equal(run.status, 0, run.stderr);
  const { runId } = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as { runId: string };
  const tags = getRun(join(repo, "mlruns"), runId).tags;
  assert.equal(tags["feast.project"], "shop");
  assert.equal(tags["feast.feature_service"], "driver_activity");
  assert.equal(tags["feast.feature_views"], "driver_daily_stats,driver_hourly_stats");
  assert.match(tags["feast.feature_refs"]!, /^driver_hourly_stats:conv_rate,driver_hourly_stats:trips,driver_daily_stats:/);
  assert.equal(tags["feast.feature_count"], String(tags["feast.feature_refs"]!.split(",").length));
  const unknown = mlf(["-C", repo, "track", "run", "--service", "nope", "--", process.execPath, "-e", "0"], { env });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /nope/);
});
