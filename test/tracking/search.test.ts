import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../../src/errors.js";
import { parseFilter } from "../../src/tracking/filter.js";
import { searchRuns } from "../../src/tracking/search.js";
import { resolveTrackingDir } from "../../src/tracking/dir.js";
import { endRun, logMetric, logParam, setTag, startRun } from "../../src/tracking/write.js";
import { mlf, tempDir } from "../helpers.js";

/** A small store: a (auc .9, lr), b (auc .7, rf), c (auc .9, no model param), d (no auc, running). */
function store(t: { after(fn: () => void): void }) {
  const root = tempDir(t);
  const make = (name: string, start: number, auc: number | undefined, model: string | undefined, end = true) => {
    const run = startRun(root, { experiment: "exp", runName: name, startTime: start });
    if (auc !== undefined) logMetric(root, run, "auc", auc);
    if (model !== undefined) logParam(root, run, "model", model);
    setTag(root, run, "my tag", name.toUpperCase());
    if (end) endRun(root, run);
    return run.runId;
  };
  const ids = { a: make("a", 1000, 0.9, "lr"), b: make("b", 2000, 0.7, "rf"), c: make("c", 3000, 0.9, undefined), d: make("d", 4000, undefined, "LR", false) };
  const cacheDir = tempDir(t);
  const names = (filter?: string, orderBy?: string[]) => searchRuns(root, { filter, orderBy, cacheDir }).runs.map((r) => r.info.runName);
  return { root, ids, names };
}

test("filter grammar: comparisons, AND, LIKE/ILIKE, IN, attributes, backquoted keys", (t) => {
  const { names, ids } = store(t);
  assert.deepEqual(names("metrics.auc > 0.8"), ["c", "a"]);
  assert.deepEqual(names("metrics.auc >= 0.7 and params.model = 'lr'"), ["a"]);
  assert.deepEqual(names("metrics.auc = 0.9 AND metrics.auc <= 0.9"), ["c", "a"]);
  assert.deepEqual(names("metrics.auc < 0.8"), ["b"]);
  assert.deepEqual(names("params.model LIKE 'l%'"), ["a"]);
  assert.deepEqual(names("params.model ILIKE 'l_'"), ["d", "a"]);
  assert.deepEqual(names("params.model IN ('rf', 'LR')"), ["d", "b"]);
  assert.deepEqual(names("attributes.status = 'RUNNING'"), ["d"]);
  assert.deepEqual(names("attributes.start_time >= 3000"), ["d", "c"]);
  assert.deepEqual(names(`attributes.run_id = '${ids.b}'`), ["b"]);
  assert.deepEqual(names("tags.`my tag` = 'C'"), ["c"]);
  assert.deepEqual(names('tags."my tag" != \'C\''), ["d", "b", "a"]);
  assert.deepEqual(names("tags.mlflow.runName = 'b'"), ["b"]);
});

test("a run without the key never matches, not even with != or NOT IN", (t) => {
  const { names } = store(t);
  assert.deepEqual(names("params.model != 'lr'"), ["d", "b"]);
  assert.deepEqual(names("params.model NOT IN ('lr')"), ["d", "b"]);
  assert.deepEqual(names("metrics.auc != 0.9"), ["b"]);
  assert.deepEqual(names("metrics.missing > -1"), []);
});

test("order-by: keys in turn, missing values last both ways, ties in MLflow's stable order", (t) => {
  const { names } = store(t);
  // a and c tie on auc: the tie falls back to start_time DESC (c started later).
  assert.deepEqual(names(undefined, ["metrics.auc DESC"]), ["c", "a", "b", "d"]);
  assert.deepEqual(names(undefined, ["metrics.auc ASC"]), ["b", "c", "a", "d"]);
  assert.deepEqual(names(undefined, ["metrics.auc DESC", "attributes.start_time ASC"]), ["a", "c", "b", "d"]);
  assert.deepEqual(names(undefined, ["params.model"]), ["d", "a", "b", "c"]);
  assert.deepEqual(names(), ["d", "c", "b", "a"]);
});

test("malformed filters are usage errors naming the position", () => {
  const bad = ["metrics.auc >", "metric.auc > 'x'", "params.model > 'a'", "auc > 1", "metrics.a > 1 or metrics.b > 1", "attributes.color = 'red'", "params.model = lr", "metrics.a > 1 and"];
  for (const filter of bad) assert.throws(() => parseFilter(filter), (e: MlfError) => e.code === "invalid_argument" && e.message.includes(filter), filter);
  assert.deepEqual(parseFilter("  "), []);
});

test("mlf track ls --filter/--order-by --json, and a bad filter exits 2", (t) => {
  const { root } = store(t);
  const env = { MLF_CACHE_DIR: tempDir(t) };
  const ls = mlf(["track", "ls", "--json", "--tracking-dir", root, "--filter", "metrics.auc > 0.5", "--order-by", "metrics.auc ASC"], { env });
  assert.equal(ls.status, 0, ls.stderr);
  assert.deepEqual(ls.json<{ info: { run_name: string } }[]>().map((r) => r.info.run_name), ["b", "c", "a"]);
  const bad = mlf(["track", "ls", "--tracking-dir", root, "--filter", "metrics.auc >> 1"], { env });
  assert.equal(bad.status, 2);
  const compare = mlf(["track", "compare", "--json", "--tracking-dir", root, ...ls.json<{ info: { run_id: string } }[]>().slice(1).map((r) => r.info.run_id)], { env });
  const c = compare.json<{ metrics: { key: string; differs: boolean }[]; params: { key: string; differs: boolean }[] }>();
  assert.deepEqual(c.metrics.find((m) => m.key === "auc")?.differs, false);
  assert.deepEqual(c.params.find((p) => p.key === "model")?.differs, true);
});

test("tracking dir: --tracking-dir, then MLF_TRACKING_DIR, then the repository's tracking.path, then ./mlruns", async (t) => {
  const dir = tempDir(t);
  const repo = join(dir, "repo");
  mkdirSync(join(repo, "sub"), { recursive: true });
  writeFileSync(join(repo, "feature_store.yaml"), "project: demo\ntracking:\n  path: runs-here\n");
  const outside = join(dir, "outside");
  mkdirSync(outside);
  assert.equal(await resolveTrackingDir({ cwd: join(repo, "sub"), env: {}, trackingDir: "x" }), join(repo, "sub", "x"));
  assert.equal(await resolveTrackingDir({ cwd: join(repo, "sub"), env: { MLF_TRACKING_DIR: "/tmp/t" } }), "/tmp/t");
  assert.equal(await resolveTrackingDir({ cwd: join(repo, "sub"), env: {} }), join(repo, "runs-here"));
  assert.equal(await resolveTrackingDir({ cwd: outside, env: {} }), join(outside, "mlruns"));
  await assert.rejects(() => resolveTrackingDir({ cwd: outside, env: {}, repo: outside }), (e: MlfError) => e.code === "file_not_found");
});
