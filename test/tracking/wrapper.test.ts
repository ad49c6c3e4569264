import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MLF, mlf, tempDir } from "../helpers.js";
import { getRun } from "../../src/tracking/read.js";

interface Result { runId: string; status: string; exitCode: number | null; signal: string | null }

function tracked(t: { after(fn: () => void): void }, script: string, extra: string[] = []) {
  const dir = tempDir(t);
  const root = join(dir, "mlruns");
  const r = mlf(["track", "run", "--json", "--tracking-dir", root, ...extra, "--", process.execPath, "-e", script], { cwd: dir, env: { MLF_CACHE_DIR: join(dir, "cache") } });
  return { dir, root, r, result: r.json<Result>() };
}

test("a command that succeeds is FINISHED, with params, inputs and what the child saw", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "train.csv"), "a,b\n1,2\n");
  const root = join(dir, "mlruns");
  const script = "require('fs').writeFileSync('env.json', JSON.stringify({id: process.env.MLF_RUN_ID, dir: process.env.MLF_TRACKING_DIR})); require('fs').writeFileSync('model.txt', 'm')";
  const r = mlf(["track", "run", "--json", "--tracking-dir", root, "-e", "exp", "-n", "ok", "-p", "lr=0.1", "--input", "train.csv", "--artifact", "model.txt", "--", process.execPath, "-e", script], { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const result = r.json<Result>();
  assert.equal(result.status, "FINISHED");
  const seen = JSON.parse(readFileSync(join(dir, "env.json"), "utf8")) as { id: string; dir: string };
  assert.deepEqual(seen, { id: result.runId, dir: root });
  const run = getRun(root, result.runId);
  assert.equal(run.info.status, "FINISHED");
  assert.equal(run.info.runName, "ok");
  assert.equal(run.params.lr, "0.1");
  assert.ok(run.info.endTime! >= run.info.startTime!);
  assert.equal(run.tags["mlf.exit_status"], "0");
  assert.match(run.tags["mlf.command"]!, /node.* -e /);
  const inputs = JSON.parse(run.tags["mlf.inputs"]!) as { path: string; sha256: string }[];
  assert.deepEqual(inputs.map((i) => [i.path, i.sha256]), [["train.csv", createHash("sha256").update("a,b\n1,2\n").digest("hex")]]);
  assert.ok(existsSync(join(run.info.artifactDir, "model.txt")));
});

test("a failing command is FAILED and mlf exits with its status", (t) => {
  const { r, root, result } = tracked(t, "process.exit(3)");
  assert.equal(r.status, 3);
  assert.equal(result.status, "FAILED");
  assert.equal(getRun(root, result.runId).tags["mlf.exit_status"], "3");
});

test("a command killed by a signal is KILLED", (t) => {
  const { r, root, result } = tracked(t, "process.kill(process.pid, 'SIGKILL')");
  assert.equal(r.status, 137);
  assert.equal(result.status, "KILLED");
  assert.equal(getRun(root, result.runId).info.status, "KILLED");
});

test("SIGTERM to mlf is forwarded to the command and the run ends KILLED", async (t) => {
  const dir = tempDir(t);
  const root = join(dir, "mlruns");
  const script = "process.on('SIGTERM', () => { require('fs').writeFileSync('got-term', '1'); process.exit(143); }); console.error('ready'); setInterval(() => {}, 1000)";
  const child = spawn(process.execPath, [MLF, "track", "run", "--json", "--tracking-dir", root, "--", process.execPath, "-e", script], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  await new Promise<void>((ready) => child.stderr.on("data", (d: Buffer) => d.toString().includes("ready") && ready()));
  child.kill("SIGTERM");
  const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)));
  assert.equal(code, 143);
  assert.ok(existsSync(join(dir, "got-term")), "the child received SIGTERM");
  const result = JSON.parse(stdout) as Result;
  assert.equal(result.status, "KILLED");
  assert.equal(getRun(root, result.runId).info.status, "KILLED");
});

test("a missing --input is refused before any run is created", (t) => {
  const dir = tempDir(t);
  const r = mlf(["track", "run", "--tracking-dir", join(dir, "mlruns"), "--input", "nope.csv", "--", "true"], { cwd: dir });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nope\.csv/);
  assert.ok(!existsSync(join(dir, "mlruns")));
});

test("start, log and end by hand; MLF_RUN_ID is the default run", (t) => {
  const root = tempDir(t);
  const env = { MLF_TRACKING_DIR: root };
  const start = mlf(["track", "start", "-e", "manual", "-n", "by-hand", "-p", "k=v"], { env });
  assert.equal(start.status, 0, start.stderr);
  const id = start.stdout.trim();
  const withRun = { ...env, MLF_RUN_ID: id };
  assert.equal(mlf(["track", "log-metric", "acc", "0.8", "--step", "2", "--timestamp", "2024-01-01T00:00:00Z"], { env: withRun }).status, 0);
  assert.equal(mlf(["track", "set-tag", "stage", "dev"], { env: withRun }).status, 0);
  const conflict = mlf(["track", "log-param", "k", "other", "--json"], { env: withRun });
  assert.equal(conflict.status, 1);
  assert.equal(conflict.json<{ error: { code: string } }>().error.code, "conflict");
  assert.equal(mlf(["track", "log-metric", "acc", "abc"], { env: withRun }).status, 2);
  assert.equal(mlf(["track", "end", "--status", "killed"], { env: withRun }).status, 0);
  type KeyValue = { key: string; value: string };
  const run = mlf(["track", "show", id, "--json"], { env }).json<{ info: { status: string }; data: { metrics: { key: string }[]; tags: KeyValue[] } }>();
  assert.equal(run.info.status, "KILLED");
  assert.deepEqual(run.data.metrics.find((m) => m.key === "acc"), { key: "acc", value: 0.8, timestamp: Date.parse("2024-01-01T00:00:00Z"), step: 2 });
  assert.equal(run.data.tags.find((t) => t.key === "stage")?.value, "dev");
  const noRun = mlf(["track", "log-metric", "acc", "1"], { env });
  assert.equal(noRun.status, 2);
  assert.match(noRun.stderr, /MLF_RUN_ID/);
});

test("plot charts the runs that have the metric and warns about the others", (t) => {
  const env = { MLF_TRACKING_DIR: tempDir(t) };
  const withMetric = mlf(["track", "start", "-e", "plots"], { env }).stdout.trim();
  const without = mlf(["track", "start", "-e", "plots"], { env }).stdout.trim();
  for (const [step, value] of [[0, 0.5], [1, 0.7], [2, 0.9]]) {
    assert.equal(mlf(["track", "log-metric", "auc", String(value), "--step", String(step), "--run", withMetric], { env }).status, 0);
  }
  const both = mlf(["track", "plot", withMetric, without, "--metric", "auc", "--json"], { env });
  assert.equal(both.status, 0, both.stderr);
  const chart = both.json<{ series: { runId: string; points: { step: number; value: number }[] }[] }>();
  assert.deepEqual(chart.series.map((s) => [s.runId, s.points.map((p) => p.value)]), [[withMetric, [0.5, 0.7, 0.9]]]);
  assert.match(both.stderr, new RegExp(`warning: Run ${without} has no metric "auc"`));
  const none = mlf(["track", "plot", without, "--metric", "auc"], { env });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /has no metric "auc"/);
});
