import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { mlf, MLRUNS_IRIS, tempDir } from "../helpers.js";
import { getMetricHistory, getRun, listExperiments, listRunIds } from "../../src/tracking/read.js";
import { searchRuns } from "../../src/tracking/search.js";

const FIXTURE = MLRUNS_IRIS;
const EXP = "853099972095872099";

/** sha256 over every path, mode and content under a folder: any change at all changes it. */
function digestTree(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      hash.update(`${p.slice(dir.length)}\0${s.mode}\0${s.mtimeMs}\0`);
      if (s.isDirectory()) walk(p);
      else hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

test("reads MLflow's own folder: experiments, 13 runs, metrics, tags, artifact folders", () => {
  const experiments = listExperiments(FIXTURE);
  assert.deepEqual(experiments.map((e) => [e.experimentId, e.name]), [["0", "Default"], [EXP, "MLOps_CA_2"]]);
  assert.equal(listRunIds(FIXTURE, EXP).length, 13);
  const run = getRun(FIXTURE, "4ef5854252b74eaead2df1501e3dd622");
  assert.equal(run.info.runName, "RF");
  assert.equal(run.info.status, "FINISHED");
  assert.equal(run.info.startTime, 1731484365897);
  assert.equal(run.info.endTime, 1731484374241);
  assert.equal(run.metrics.metric_0?.value, 0.975);
  assert.equal(run.metrics.metric_4?.timestamp, 1731484365933);
  assert.equal(run.tags.tag3, "Production");
  assert.equal(run.tags["mlflow.source.git.commit"], "4ef3874fc02b1fbd4acf5315fb491172b904d53c");
  assert.deepEqual(run.warnings, []);
  // The recorded artifact URI points at the author's laptop: artifacts resolve next to the run.
  assert.match(run.info.artifactUri, /^file:\/\/\/Users\//);
  assert.equal(run.info.artifactDir, join(FIXTURE, EXP, run.info.runId, "artifacts"));
  assert.ok(statSync(join(run.info.artifactDir, "model", "MLmodel")).isFile());
  assert.deepEqual(getMetricHistory(FIXTURE, run.info.runId, "metric_1").metrics.map((m) => m.value), [0.9666666666666667]);
});

test("the registered model's run resolves to a run of the store (lineage)", () => {
  const version = parse(readFileSync(join(FIXTURE, "models", "SVMClassifier", "version-1", "meta.yaml"), "utf8")) as { run_id: string };
  const run = getRun(FIXTURE, version.run_id);
  assert.equal(run.info.runName, "SVM_kernel");
  assert.ok(statSync(join(run.info.artifactDir, "model", "MLmodel")).isFile());
});

test("every read command leaves the fixture byte for byte as it was", (t) => {
  const before = digestTree(FIXTURE);
  const env = { MLF_CACHE_DIR: tempDir(t) };
  const run = (args: string[]) => {
    const r = mlf(["track", ...args, "--tracking-dir", FIXTURE], { env });
    assert.equal(r.status, 0, r.stderr);
    return r;
  };
  const runs = run(["ls", "--json"]).json<{ info: { run_id: string } }[]>();
  assert.equal(runs.length, 13);
  run(["ls", "--filter", "metrics.metric_0 > 0.9", "--order-by", "metrics.metric_0 DESC"]);
  run(["ls", "--no-index"]);
  run(["experiments", "--json"]);
  run(["show", runs[0]!.info.run_id]);
  run(["compare", runs[0]!.info.run_id, runs[1]!.info.run_id]);
  run(["plot", runs[0]!.info.run_id, "--metric", "metric_0"]);
  assert.equal(digestTree(FIXTURE), before);
});

test("search over the fixture: filter, order and the index agree with a full scan", (t) => {
  const cacheDir = tempDir(t);
  const query = { filter: "metrics.metric_0 >= 0.95 and tags.tag1 = 'SVM'", orderBy: ["metrics.metric_0 DESC"] };
  const scanned = searchRuns(FIXTURE, { ...query, useIndex: false });
  const first = searchRuns(FIXTURE, { ...query, cacheDir });
  const second = searchRuns(FIXTURE, { ...query, cacheDir });
  const ids = (r: typeof scanned) => r.runs.map((x) => x.info.runId);
  assert.ok(scanned.runs.length >= 3);
  assert.deepEqual(ids(first), ids(scanned));
  assert.deepEqual(ids(second), ids(scanned));
  const values = scanned.runs.map((r) => r.metrics.metric_0!.value);
  assert.deepEqual(values, [...values].sort((a, b) => b - a));
  const experiments = mlf(["track", "experiments", "--json", "--tracking-dir", FIXTURE], { env: { MLF_CACHE_DIR: cacheDir } }).json<{ name: string; mlf: { runs: number } }[]>();
  assert.deepEqual(experiments.map((e) => [e.name, e.mlf.runs]), [["Default", 0], ["MLOps_CA_2", 13]]);
});
