import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { indexFile, indexedRuns } from "../../src/tracking/run-index.js";
import { endRun, logMetric, logParam, startRun } from "../../src/tracking/write.js";
import { tempDir } from "../helpers.js";

test("a torn, foreign, outdated or ill-shaped run index is rebuilt from the runs, with the same answer", (t) => {
  const root = tempDir(t);
  const cacheDir = tempDir(t);
  const later = Date.now() + 60_000; // entries read "a minute ago" count as settled
  let experimentId = "";
  for (const name of ["a", "b"]) {
    const run = startRun(root, { experiment: "e", runName: name });
    logParam(root, run, "lr", "0.1");
    logMetric(root, run, "loss", Number.NaN);
    endRun(root, run);
    experimentId = run.experimentId;
  }
  const first = indexedRuns(root, experimentId, { cacheDir, now: later });
  const expected = first.runs.map((r) => r.info.runName).sort();
  assert.equal(indexedRuns(root, experimentId, { cacheDir, now: later }).reused, 2);

  const file = indexFile(resolve(root, experimentId), cacheDir);
  const good = JSON.parse(readFileSync(file, "utf8"));
  const [id] = Object.keys(good.runs);
  const bad: [string, string][] = [
    ["torn", readFileSync(file, "utf8").slice(0, 40)],
    ["foreign", JSON.stringify({ hello: "world" })],
    ["format 1", JSON.stringify({ ...good, format: 1 })],
    ["a metric of the wrong shape", JSON.stringify({ ...good, runs: { ...good.runs, [id!]: { ...good.runs[id!], m: { loss: { value: 1 } } } } })],
    ["an unknown status", JSON.stringify({ ...good, runs: { ...good.runs, [id!]: { ...good.runs[id!], i: good.runs[id!].i.with(4, "PAUSED") } } })],
  ];
  for (const [name, text] of bad) {
    writeFileSync(file, text);
    const rebuilt = indexedRuns(root, experimentId, { cacheDir, now: later });
    assert.deepEqual([rebuilt.reused, rebuilt.runs.map((r) => r.info.runName).sort()], [0, expected], name);
    assert.ok(rebuilt.runs.every((r) => Number.isNaN(r.metrics.loss?.value) && r.params.lr === "0.1"), name);
    assert.equal(indexedRuns(root, experimentId, { cacheDir, now: later }).reused, 2, `${name}: the rewritten index is used again`);
  }
});

test("runs served from the index are the caller's own: changing one does not change the next search's answer", (t) => {
  const root = tempDir(t);
  const cacheDir = tempDir(t);
  const later = Date.now() + 60_000;
  const run = startRun(root, { experiment: "e", runName: "a" });
  logParam(root, run, "lr", "0.1");
  endRun(root, run);
  indexedRuns(root, run.experimentId, { cacheDir, now: later });
  const served = indexedRuns(root, run.experimentId, { cacheDir, now: later });
  assert.equal(served.reused, 1);
  served.runs[0]!.params.lr = "changed by the caller";
  served.runs[0]!.tags["mlflow.note.content"] = "changed by the caller";
  const again = indexedRuns(root, run.experimentId, { cacheDir, now: later });
  assert.equal(again.reused, 1);
  assert.equal(again.runs[0]!.params.lr, "0.1");
  assert.equal(again.runs[0]!.tags["mlflow.note.content"], undefined);
});
