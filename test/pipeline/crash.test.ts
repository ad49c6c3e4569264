import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readEvents } from "../../src/models/events.js";
import { listVersions, readAliases } from "../../src/models/store.js";
import { getRun } from "../../src/tracking/read.js";
import type { PipelineResult } from "../../src/pipeline/run.js";
import { mlf, ROOT } from "../helpers.js";
import { pipelineRepo, writeData } from "./fixture.js";

const pipelineRun = (root: string, mode: string, ...flags: string[]) => mlf(["-C", root, "pipeline", "run", "churn_retrain", "--json", ...flags], { env: { PIPELINE_TRAINER: mode } });

/** A repository whose champion is version 1 (promoted by a first run). */
async function withChampion(t: { after(fn: () => void): void }, options: { timeout?: string } = {}) {
  const repo = await pipelineRepo(t, options);
  const first = pipelineRun(repo.root, "good");
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.json<PipelineResult>().outcome, "promoted");
  return repo;
}

test("a train command that fails, is killed, times out or writes no model leaves the champion and fails the run with the reason", async (t) => {
  const repo = await withChampion(t, { timeout: "4s" });
  const trackingDir = repo.config.trackingPath;
  const cases: [string, RegExp][] = [
    ["fail", /step train failed: the train command exited with status 3: trainer: the label column is all zeros, refusing to train/],
    ["kill", /step train failed: the train command was killed by SIGKILL/],
    ["no-model", /step train failed: the train command exited 0 but wrote no model to \$MLF_MODEL_OUTPUT/],
    ["slow", /step train failed: the train command ran longer than its timeout of 4 s and was stopped/],
  ];
  for (const [mode, reason] of cases) {
    const result = mlf(["-C", repo.root, "pipeline", "run", "churn_retrain", "--json", "--force"], { env: { PIPELINE_TRAINER: mode, PIPELINE_TRAINER_MS: "60000" } });
    assert.equal(result.status, 1, `${mode}: ${result.stderr}`);
    const json = result.json<PipelineResult>();
    assert.equal(json.outcome, "failed", mode);
    assert.equal(json.failedStep, "train", mode);
    assert.match(json.reason, reason);
    assert.deepEqual(readAliases(trackingDir, "churn"), { champion: 1 }, mode);
    assert.equal(listVersions(trackingDir, "churn").length, 1, `${mode}: nothing registered`);
    const parent = getRun(trackingDir, json.runId!);
    assert.equal(parent.info.status, "FAILED", mode);
    assert.match(parent.tags["mlf.pipeline.reason"]!, reason);
    assert.equal(parent.tags["mlf.pipeline.failed_step"], "train");
  }
  // A failed run consumed nothing: without --force, the next call still has nothing new to train on,
  // and the history lists every failure.
  const history = mlf(["-C", repo.root, "pipeline", "history", "churn_retrain", "--json"]);
  assert.deepEqual(history.json<{ outcome: string }[]>().map((r) => r.outcome), ["failed", "failed", "failed", "failed", "promoted"]);
  const list = mlf(["-C", repo.root, "pipeline", "list", "--json"]).json<{ name: string; champion: number; last: { outcome: string; failedStep: string } }[]>();
  assert.deepEqual(list.map((p) => [p.name, p.champion, p.last.outcome, p.last.failedStep]), [["churn_retrain", 1, "failed", "train"]]);
});

test("mlf killed -9 between registering the challenger and moving the alias keeps the champion; the next run takes over the lock and finishes", async (t) => {
  const repo = await withChampion(t);
  const trackingDir = repo.config.trackingPath;
  writeData(repo.root, 35); // new data: on_new_data fires

  const worker = spawnSync(process.execPath, [join(ROOT, "dist", "test", "pipeline", "kill-worker.js"), repo.root, "churn_retrain"], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
  assert.equal(worker.signal, "SIGKILL", worker.stdout + worker.stderr);
  assert.match(worker.stdout, /registered version 2/);
  assert.deepEqual(readAliases(trackingDir, "churn"), { champion: 1 });
  assert.equal(listVersions(trackingDir, "churn").length, 2, "version 2 was registered");
  assert.ok(!readEvents(trackingDir, "churn").some((e) => e.action === "pipeline_decision" && e.version === 2), "no decision was logged for it");
  const experimentDir = join(trackingDir, getRun(trackingDir, readEvents(trackingDir, "churn").find((e) => e.action === "register")!.after!.run_id as string).info.experimentId);
  assert.ok(readdirSync(experimentDir).some((f) => f.endsWith(".lock")), "the dead process left its lock");

  const status = mlf(["-C", repo.root, "pipeline", "status", "churn_retrain", "--json"]);
  const s = status.json<{ runs: { outcome: string }[]; running: unknown; due: boolean }>();
  assert.equal(s.runs[0]!.outcome, "interrupted");
  assert.equal(s.running, null);
  assert.equal(s.due, true, "an interrupted run consumed nothing");

  const next = pipelineRun(repo.root, "good");
  assert.ok(next.status === 0 || next.status === 5, next.stderr);
  const json = next.json<PipelineResult>();
  assert.equal(json.challenger!.version, 3);
  assert.equal(json.champion!.version, 1);
  assert.ok(!readdirSync(experimentDir).some((f) => f.endsWith(".lock")), "the lock was released");
});

test("two runs of one pipeline never train at once: the second names the first and changes nothing", async (t) => {
  const repo = await pipelineRepo(t);
  const first = spawn(process.execPath, [join(ROOT, "bin", "mlf"), "-C", repo.root, "pipeline", "run", "churn_retrain", "--json"], {
    env: { ...process.env, TZ: "UTC", PIPELINE_TRAINER: "slow", PIPELINE_TRAINER_MS: "5000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  first.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => first.once("exit", (code) => done(code)));
  // Wait until the first run is training (its train log exists).
  const deadline = Date.now() + 60_000;
  const training = () => existsSync(join(repo.config.trackingPath)) && readdirSync(repo.config.trackingPath, { recursive: true }).some((f) => String(f).endsWith("train.log"));
  while (!training() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(training(), "the first run started training");

  const second = pipelineRun(repo.root, "good", "--force");
  assert.equal(second.status, 1);
  const error = second.json<{ status: string; error: { code: string; message: string } }>();
  assert.equal(error.error.code, "unavailable");
  assert.match(error.error.message, new RegExp(`Pipeline "churn_retrain" is already running: .* locked by process ${first.pid}`));

  // A caller that waits for the holder gets the lock after it, and finds nothing new to do.
  const waiting = spawn(process.execPath, [join(ROOT, "bin", "mlf"), "-C", repo.root, "pipeline", "run", "churn_retrain", "--json", "--wait", "60"], {
    env: { ...process.env, TZ: "UTC", PIPELINE_TRAINER: "good" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let waitedOut = "";
  waiting.stdout.on("data", (d: Buffer) => (waitedOut += d.toString()));
  const waited = new Promise<number | null>((done) => waiting.once("exit", (code) => done(code)));

  assert.equal(await exited, 0, out);
  assert.equal(JSON.parse(out).outcome, "promoted");
  assert.equal(await waited, 0, waitedOut);
  assert.equal(JSON.parse(waitedOut).outcome, "skipped");
  assert.equal(listVersions(repo.config.trackingPath, "churn").length, 1, "only the first run registered");
});
