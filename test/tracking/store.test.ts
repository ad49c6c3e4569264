import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { MLF, mlf, MLRUNS_IRIS, tempDir } from "../helpers.js";
import { getRun, listExperiments, runDir } from "../../src/tracking/read.js";
import { indexedRuns } from "../../src/tracking/run-index.js";
import { searchRuns } from "../../src/tracking/search.js";
import { endRun, heartbeat, logArtifact, logMetric, logMetrics, logParam, setTag, startRun } from "../../src/tracking/write.js";
import { MlfError } from "../../src/errors.js";

/**
 * A reader written from MLflow's documented file-store format (mlflow/store/tracking/
 * file_store.py), independent of mlf's reader: what MLflow would accept.
 */
function mlflowReadRun(root: string, experimentId: string, runId: string) {
  const dir = join(root, experimentId, runId);
  const meta = parse(readFileSync(join(dir, "meta.yaml"), "utf8")) as Record<string, unknown>;
  const required = ["artifact_uri", "end_time", "entry_point_name", "experiment_id", "lifecycle_stage", "run_id", "run_name", "run_uuid", "source_name", "source_type", "source_version", "start_time", "status", "tags", "user_id"];
  assert.deepEqual(Object.keys(meta).sort(), required);
  assert.equal(typeof meta.experiment_id, "string");
  assert.ok([1, 2, 3, 4, 5].includes(meta.status as number));
  const pyFloat = (s: string) => (s === "nan" ? Number.NaN : s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s));
  const metrics: Record<string, { ts: number; value: number; step: number }[]> = {};
  for (const key of readdirSync(join(dir, "metrics"))) {
    const text = readFileSync(join(dir, "metrics", key), "utf8");
    assert.ok(text.endsWith("\n"));
    metrics[key] = text.trimEnd().split("\n").map((line) => {
      const [ts, value, step] = line.split(" ");
      assert.match(line, /^\d+ (-?[\d.e+-]+|nan|inf|-inf) -?\d+$/);
      return { ts: Number(ts), value: pyFloat(value!), step: Number(step) };
    });
  }
  const files = (sub: string) => Object.fromEntries(readdirSync(join(dir, sub)).filter((f) => !f.startsWith(".")).map((f) => [f, readFileSync(join(dir, sub, f), "utf8")]));
  return { meta, metrics, params: files("params"), tags: files("tags") };
}

test("files written by mlf follow MLflow's file-store format", (t) => {
  const root = tempDir(t);
  const run = startRun(root, { experiment: "iris", runName: "lr", params: { C: "1.0" } });
  logParam(root, run, "penalty", "l2");
  logMetric(root, run, "acc", 0.5, { step: 0, timestamp: 1000 });
  logMetrics(root, run, [{ key: "acc", value: 0.75, step: 1, timestamp: 2000 }, { key: "loss", value: Number.NaN, timestamp: 2000 }]);
  setTag(root, run, "team", "ml");
  endRun(root, run, { status: "FAILED", endTime: 5000 });
  const read = mlflowReadRun(root, run.experimentId, run.runId);
  assert.equal(read.meta.status, 4);
  assert.equal(read.meta.end_time, 5000);
  assert.equal(read.meta.run_name, "lr");
  assert.deepEqual(read.params, { C: "1.0", penalty: "l2" });
  assert.deepEqual(read.metrics.acc, [{ ts: 1000, value: 0.5, step: 0 }, { ts: 2000, value: 0.75, step: 1 }]);
  assert.ok(Number.isNaN(read.metrics.loss![0]!.value));
  assert.equal(read.tags["mlflow.runName"], "lr");
  assert.equal(read.tags.team, "ml");
  const exp = parse(readFileSync(join(root, run.experimentId, "meta.yaml"), "utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(exp).sort(), ["artifact_location", "creation_time", "experiment_id", "last_update_time", "lifecycle_stage", "name"]);
  assert.deepEqual(listExperiments(root).map((e) => e.name), ["Default", "iris"]);
  assert.match(run.experimentId, /^\d+$/);
});

test("params are immutable, bad names and escaping artifact paths are refused", (t) => {
  const root = tempDir(t);
  const run = startRun(root);
  logParam(root, run, "lr", "0.1");
  logParam(root, run, "lr", "0.1");
  assert.throws(() => logParam(root, run, "lr", "0.2"), (e: MlfError) => e.code === "conflict");
  assert.equal(getRun(root, run.runId).params.lr, "0.1");
  assert.throws(() => logMetric(root, run, "../x", 1), (e: MlfError) => e.code === "invalid_argument");
  assert.throws(() => setTag(root, run, "a\u0000b", "x"), (e: MlfError) => e.code === "invalid_argument");
  const file = join(tempDir(t), "model.bin");
  writeFileSync(file, "weights");
  for (const bad of ["../up", "/abs", "a/../../b"]) assert.throws(() => logArtifact(root, run, file, bad), (e: MlfError) => e.code === "invalid_argument");
  const dest = logArtifact(root, run, file, "model");
  assert.equal(dest, join(runDir(root, run), "artifacts", "model", "model.bin"));
  logMetric(root, run, "nested/key", 2);
  assert.equal(getRun(root, run.runId).metrics["nested/key"]?.value, 2);
});

test("40 concurrent log-metric processes on one run lose no line", async (t) => {
  const root = tempDir(t);
  const run = startRun(root);
  const env = { ...process.env, MLF_TRACKING_DIR: root, MLF_RUN_ID: run.runId };
  await Promise.all(Array.from({ length: 40 }, (_, i) => new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [MLF, "track", "log-metric", "loss", String(i / 10), "--step", String(i)], { env, stdio: "ignore" });
    child.on("exit", (code) => (code === 0 ? done() : fail(new Error(`log-metric ${i} exited ${code}`))));
  })));
  const lines = readFileSync(join(runDir(root, run), "metrics", "loss"), "utf8").trimEnd().split("\n");
  assert.equal(lines.length, 40);
  assert.deepEqual(lines.map((l) => Number(l.split(" ")[2])).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
  assert.equal(getRun(root, run.runId).metrics.loss?.step, 39);
});

test("a torn last metric line is skipped with a warning, not a crash", (t) => {
  const root = tempDir(t);
  const run = startRun(root);
  logMetric(root, run, "acc", 0.9, { step: 1, timestamp: 1000 });
  appendFileSync(join(runDir(root, run), "metrics", "acc"), "2000 0.9");
  const read = getRun(root, run.runId);
  assert.equal(read.metrics.acc?.value, 0.9);
  assert.equal(read.metrics.acc?.timestamp, 1000);
  assert.match(read.warnings[0]!, /torn last line/);
  const ls = mlf(["track", "ls", "--json", "--tracking-dir", root], { env: { MLF_CACHE_DIR: tempDir(t) } });
  assert.equal(ls.status, 0);
  assert.equal(ls.json<unknown[]>().length, 1);
  assert.match(ls.stderr, /torn last line/);
});

test("the index stays correct when another writer changes the store", (t) => {
  const root = tempDir(t);
  const cacheDir = tempDir(t);
  const later = Date.now() + 60_000; // entries read "a minute ago" count as settled
  const done = startRun(root, { experiment: "e", runName: "done" });
  logMetric(root, done, "acc", 0.5);
  logMetric(root, done, "gap", Number.NEGATIVE_INFINITY);
  endRun(root, done);
  const live = startRun(root, { experiment: "e", runName: "live" });
  logMetric(root, live, "acc", 0.1);
  indexedRuns(root, done.experimentId, { cacheDir, now: later });
  const again = indexedRuns(root, done.experimentId, { cacheDir, now: later });
  assert.equal(again.reused, 1, "the finished run comes from the index");
  const cached = again.runs.find((r) => r.info.runName === "done")!;
  assert.equal(cached.metrics.gap?.value, Number.NEGATIVE_INFINITY, "values JSON cannot hold survive the index");
  assert.equal(cached.metrics.acc?.value, 0.5);
  // As MLflow writes: an in-place append to a RUNNING run, a rewritten meta.yaml, a new run folder.
  appendFileSync(join(runDir(root, live), "metrics", "acc"), `${Date.now()} 0.95 1\n`);
  const meta = join(runDir(root, done), "meta.yaml");
  writeFileSync(meta, readFileSync(meta, "utf8").replace("status: 3", "status: 4"));
  const fixtureRun = join(MLRUNS_IRIS, "853099972095872099", "4ef5854252b74eaead2df1501e3dd622");
  cpSync(fixtureRun, join(root, done.experimentId, "4ef5854252b74eaead2df1501e3dd622"), { recursive: true });
  const fresh = indexedRuns(root, done.experimentId, { cacheDir, now: later + 1 });
  const byName = Object.fromEntries(fresh.runs.map((r) => [r.info.runName, r]));
  assert.equal(fresh.runs.length, 3);
  assert.equal(byName.live?.metrics.acc?.value, 0.95);
  assert.equal(byName.done?.info.status, "FAILED");
  assert.equal(byName.RF?.metrics.metric_0?.value, 0.975);
  // mlf's own write to a finished run is seen too (it bumps the folder's mtime).
  logMetric(root, done, "late", 7);
  const after = searchRuns(root, { filter: "metrics.late = 7", cacheDir, now: later + 2 });
  assert.deepEqual(after.runs.map((r) => r.info.runName), ["done"]);
  assert.ok(existsSync(cacheDir) && !readdirSync(root).includes(".mlf"), "the index lives outside the store");
});

test("a RUNNING run whose process died is reported dead", (t) => {
  const root = tempDir(t);
  const run = startRun(root, { runName: "orphan" });
  const dead = spawn(process.execPath, ["-e", ""]);
  const pid = dead.pid!;
  heartbeat(root, run, { pid });
  return new Promise<void>((done) => dead.on("exit", () => {
    assert.equal(getRun(root, run.runId).liveness, "dead");
    heartbeat(root, run);
    assert.equal(getRun(root, run.runId).liveness, "alive");
    // A stale heartbeat from another host is dead too.
    setTag(root, run, "mlf.host", `not-${hostname()}`);
    setTag(root, run, "mlf.heartbeat", String(Date.now() - 3_600_000));
    const ls = mlf(["track", "ls", "--tracking-dir", root], { env: { MLF_CACHE_DIR: tempDir(t) } });
    assert.match(ls.stdout, /RUNNING \(dead\)/);
    done();
  }));
});
