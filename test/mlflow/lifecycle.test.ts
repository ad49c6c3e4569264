import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { mlf } from "../helpers.js";
import { startTestServer, type TestServer } from "./helpers.js";

/** Experiment delete and restore as MLflow's file store does them, internal errors, MLflow's default orders. */

type RunsAnswer = { runs?: { info: { run_id: string; lifecycle_stage: string } }[] };
const runIds = (body: RunsAnswer) => (body.runs ?? []).map((r) => r.info.run_id);

async function newRun(s: TestServer, experiment_id: string, start_time: number): Promise<string> {
  const { body } = await s.call<{ run: { info: { run_id: string } } }>("POST", "/runs/create", { experiment_id, start_time });
  return body.run.info.run_id;
}

test("deleting an experiment moves it into .trash and hides its runs; restore brings both back", async (t) => {
  const s = await startTestServer(t);
  const { body: exp } = await s.call<{ experiment_id: string }>("POST", "/experiments/create", { name: "gone" });
  const id = exp.experiment_id;
  const keep = await newRun(s, id, 1);
  const deletedBefore = await newRun(s, id, 2);
  await s.call("POST", "/runs/delete", { run_id: deletedBefore });

  assert.equal((await s.call("POST", "/experiments/delete", { experiment_id: id })).status, 200);
  assert.equal(existsSync(join(s.root, id)), false);
  const meta = parse(readFileSync(join(s.root, ".trash", id, "meta.yaml"), "utf8")) as Record<string, unknown>;
  assert.equal(meta.lifecycle_stage, "deleted");
  assert.equal((parse(readFileSync(join(s.root, ".trash", id, keep, "meta.yaml"), "utf8")) as Record<string, unknown>).lifecycle_stage, "deleted");
  // Still readable by id, as MLflow's get-experiment and get-run are.
  const got = await s.call<{ experiment: { lifecycle_stage: string } }>("GET", "/experiments/get", { experiment_id: id });
  assert.equal(got.body.experiment.lifecycle_stage, "deleted");
  assert.equal((await s.call<{ run: { info: { lifecycle_stage: string } } }>("GET", "/runs/get", { run_id: keep })).body.run.info.lifecycle_stage, "deleted");
  // Hidden from default listings, shown on request.
  const names = async (view_type: string) => ((await s.call<{ experiments?: { name: string }[] }>("POST", "/experiments/search", { view_type })).body.experiments ?? []).map((e) => e.name);
  assert.deepEqual(await names("ACTIVE_ONLY"), ["Default"]);
  assert.deepEqual(await names("DELETED_ONLY"), ["gone"]);
  assert.deepEqual(runIds((await s.call<RunsAnswer>("POST", "/runs/search", { experiment_ids: [id] })).body), []);
  assert.deepEqual(runIds((await s.call<RunsAnswer>("POST", "/runs/search", { experiment_ids: [id], run_view_type: "DELETED_ONLY" })).body), [deletedBefore, keep]);
  const ls = mlf(["track", "ls", "--tracking-dir", s.root, "--json"]);
  assert.equal(ls.status, 0, ls.stderr);
  assert.deepEqual(JSON.parse(ls.stdout), []);
  // Writes into a deleted experiment are refused.
  const create = await s.call("POST", "/runs/create", { experiment_id: id });
  assert.deepEqual([create.status, create.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
  assert.equal((await s.call("POST", "/runs/log-metric", { run_id: keep, key: "m", value: 1, timestamp: 1 })).status, 400);
  assert.equal((await s.call("POST", "/experiments/delete", { experiment_id: id })).status, 404);

  assert.equal((await s.call("POST", "/experiments/restore", { experiment_id: id })).status, 200);
  assert.equal(existsSync(join(s.root, ".trash", id)), false);
  assert.equal((await s.call<{ experiment: { lifecycle_stage: string } }>("GET", "/experiments/get", { experiment_id: id })).body.experiment.lifecycle_stage, "active");
  // As MLflow's restore: every run of the experiment is active again.
  assert.deepEqual(runIds((await s.call<RunsAnswer>("POST", "/runs/search", { experiment_ids: [id] })).body), [deletedBefore, keep]);
  assert.equal((await s.call("POST", "/experiments/restore", { experiment_id: id })).status, 404);
  const zero = await s.call("POST", "/experiments/delete", { experiment_id: "0" });
  assert.deepEqual([zero.status, zero.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
});

test("an internal failure answers MLflow's INTERNAL_ERROR with the request id only, and logs the details", async (t) => {
  const logs: Record<string, unknown>[] = [];
  const s = await startTestServer(t, { log: (r) => logs.push(r) });
  const runId = await newRun(s, "0", 1);
  // A store damaged by hand: the run's params folder is a file, so reading it fails below mlf's own checks.
  const params = join(s.root, "0", runId, "params");
  rmSync(params, { recursive: true, force: true });
  writeFileSync(params, "x");
  const response = await fetch(`${s.url}/api/2.0/mlflow/runs/get?run_id=${runId}`, { headers: { "x-request-id": "trace-42" } });
  assert.equal(response.status, 500);
  assert.equal(response.headers.get("content-type")?.startsWith("application/json"), true);
  assert.deepEqual(await response.json(), { error_code: "INTERNAL_ERROR", message: "Internal error; see the server log for request trace-42." });
  assert.equal(logs.length, 1);
  assert.deepEqual([logs[0]!.request_id, logs[0]!.msg], ["trace-42", "internal error"]);
  assert.match(String(logs[0]!.error), /ENOTDIR/);
  assert.match(String(logs[0]!.stack), /readKeyValues/);
});

test("experiments/search and runs/search default to MLflow's file store order", async (t) => {
  const s = await startTestServer(t);
  const ids: string[] = [];
  for (const name of ["a", "b", "c"]) ids.push((await s.call<{ experiment_id: string }>("POST", "/experiments/create", { name })).body.experiment_id);
  // Equal creation times for a and b (written on disk), c newest: creation_time DESC, then experiment_id ASC as strings.
  const setTime = (id: string, time: number) => {
    const file = join(s.root, id, "meta.yaml");
    writeFileSync(file, stringify({ ...(parse(readFileSync(file, "utf8")) as object), creation_time: time }));
  };
  setTime(ids[0]!, 5000);
  setTime(ids[1]!, 5000);
  setTime(ids[2]!, 9000);
  setTime("0", 1000);
  const order = async (message: Record<string, unknown>) => ((await s.call<{ experiments: { experiment_id: string }[] }>("POST", "/experiments/search", message)).body.experiments).map((e) => e.experiment_id);
  const tied = [ids[0]!, ids[1]!].sort();
  assert.deepEqual(await order({}), [ids[2], ...tied, "0"]);
  // An order_by without experiment_id gets experiment_id DESC as its tie-breaker.
  assert.deepEqual(await order({ order_by: ["creation_time DESC"] }), [ids[2], ...[...tied].reverse(), "0"]);
  assert.deepEqual(await order({ order_by: ["name ASC"] }), ["0", ids[0], ids[1], ids[2]], "\"Default\" sorts before \"a\"");

  // Runs: start_time DESC, then run_id ASC; an order_by's ties fall back to that.
  const late = await newRun(s, "0", 2000);
  const tiedRuns = [await newRun(s, "0", 1000), await newRun(s, "0", 1000)];
  const early = await newRun(s, "0", 500);
  const sortedTied = [...tiedRuns].sort();
  const runs = async (message: Record<string, unknown>) => runIds((await s.call<RunsAnswer>("POST", "/runs/search", { experiment_ids: ["0"], ...message })).body);
  assert.deepEqual(await runs({}), [late, ...sortedTied, early]);
  for (const id of [late, ...tiedRuns]) await s.call("POST", "/runs/log-metric", { run_id: id, key: "m", value: 1, timestamp: 1 });
  assert.deepEqual(await runs({ order_by: ["metrics.m ASC"] }), [late, ...sortedTied, early], "ties keep the default order; the run without m is last");
});
