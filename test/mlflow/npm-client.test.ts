import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { mlf, tempDir } from "../helpers.js";
import { getMetricHistory, getRun } from "../../src/tracking/read.js";
import { startTestServer } from "./helpers.js";

/**
 * The `mlflow` package of the npm registry ("MLflow api client for Node.js", not written for
 * mlf) drives mlf's server through every endpoint it covers.
 */
interface Client {
  Experiments: Record<"create" | "get" | "update" | "delete" | "restore" | "list", (args?: object) => Promise<unknown>>;
  Runs: Record<"create" | "get" | "update" | "delete" | "restore" | "logMetric" | "logParameter" | "logBatch" | "setTag" | "deleteTag" | "search", (args: object) => Promise<unknown>>;
  Metrics: { getHistory(args: object): Promise<{ metrics: { key: string; value: number; step: number; timestamp: number }[] }> };
  Artifacts: { list(args: object): Promise<{ root_uri: string; files?: unknown[] }> };
}
const MLflow = createRequire(import.meta.url)("mlflow") as new (args: { endpoint: string; headers?: Record<string, string> }) => Client;

/** The client prints every POST body with console.log; keep the test output readable. */
const quiet = (t: { mock: { method(o: object, name: string, impl: () => void): void } }) => t.mock.method(console, "log", () => {});

test("the npm mlflow client logs a run, searches it and reads it back through mlf server", async (t) => {
  quiet(t);
  const s = await startTestServer(t);
  const client = new MLflow({ endpoint: s.url });
  const { experiment_id } = (await client.Experiments.create({ name: "npm-client" })) as { experiment_id: string };
  assert.equal(((await client.Experiments.get({ experiment_id })) as { experiment: { name: string } }).experiment.name, "npm-client");
  await client.Experiments.update({ experiment_id, new_name: "npm-client-2" });

  const start = 1_700_000_000_000;
  const { run } = (await client.Runs.create({ experiment_id, start_time: start, tags: [{ key: "mlflow.runName", value: "from-npm" }] })) as { run: { info: { run_id: string; run_name: string; status: string } } };
  const run_id = run.info.run_id;
  assert.deepEqual([run.info.run_name, run.info.status], ["from-npm", "RUNNING"]);
  await client.Runs.logParameter({ run_id, key: "lr", value: "0.1" });
  await client.Runs.logMetric({ run_id, key: "loss", value: 0.9, timestamp: start + 1, step: 0 });
  await client.Runs.logBatch({
    run_id,
    metrics: [{ key: "loss", value: 0.5, timestamp: start + 2, step: 1 }, { key: "acc", value: 0.8, timestamp: start + 2, step: 1 }],
    params: [{ key: "depth", value: "3" }],
    tags: [{ key: "team", value: "ops" }, { key: "tmp", value: "x" }],
  });
  await client.Runs.setTag({ run_id, key: "stage", value: "dev" });
  await client.Runs.deleteTag({ run_id, key: "tmp" });
  await client.Runs.update({ run_id, status: "FINISHED", end_time: start + 10 });

  const history = await client.Metrics.getHistory({ run_id, metric_key: "loss" });
  assert.deepEqual(history.metrics.map((m) => [m.step, m.value]), [[0, 0.9], [1, 0.5]]);
  const found = (await client.Runs.search({ experiment_ids: [experiment_id], filter: "metrics.loss < 0.6 and params.lr = '0.1'", max_results: 10, order_by: ["metrics.acc DESC"] })) as { runs: { info: { run_id: string } }[] };
  assert.deepEqual(found.runs.map((r) => r.info.run_id), [run_id]);
  assert.deepEqual(await client.Runs.search({ experiment_ids: [experiment_id], filter: "metrics.loss > 0.6" }), {});
  const listed = await client.Artifacts.list({ run_id });
  assert.equal(listed.root_uri, `mlflow-artifacts:/${experiment_id}/${run_id}/artifacts`);

  // Params are immutable: MLflow's error reaches the client.
  await assert.rejects(client.Runs.logParameter({ run_id, key: "lr", value: "0.2" }), (e: Error) => /"status":400.*INVALID_PARAMETER_VALUE.*Changing param values is not allowed/.test(e.message));
  // experiments/list was removed in MLflow 2.0; the client's call meets MLflow's 404.
  await assert.rejects(client.Experiments.list(), /"status":404.*ENDPOINT_NOT_FOUND/);

  // What the client logged is mlf's run, at once.
  const stored = getRun(s.root, run_id);
  assert.deepEqual(stored.params, { lr: "0.1", depth: "3" });
  assert.deepEqual([stored.metrics.loss?.value, stored.metrics.acc?.value], [0.5, 0.8]);
  assert.deepEqual([stored.tags.team, stored.tags.stage, stored.tags.tmp], ["ops", "dev", undefined]);
  assert.deepEqual([stored.info.status, stored.info.endTime], ["FINISHED", start + 10]);
  assert.equal(getMetricHistory(s.root, run_id, "loss").metrics.length, 2);
  const ls = mlf(["track", "ls", "-e", "npm-client-2", "--json", "--tracking-dir", s.root], { env: { MLF_CACHE_DIR: tempDir(t) } });
  assert.deepEqual(ls.json<{ info: { run_id: string } }[]>().map((r) => r.info.run_id), [run_id]);

  await client.Runs.delete({ run_id });
  assert.equal(getRun(s.root, run_id).info.lifecycleStage, "deleted");
  assert.deepEqual(await client.Runs.search({ experiment_ids: [experiment_id] }), {});
  await client.Runs.restore({ run_id });
  assert.equal(((await client.Runs.get({ run_id })) as { run: { info: { lifecycle_stage: string } } }).run.info.lifecycle_stage, "active");
  await client.Experiments.delete({ experiment_id });
  assert.equal(((await client.Experiments.get({ experiment_id })) as { experiment: { lifecycle_stage: string } }).experiment.lifecycle_stage, "deleted");
  await client.Experiments.restore({ experiment_id });
});

test("a run started by mlf's CLI is visible to the npm client, and the client's writes to mlf", async (t) => {
  quiet(t);
  const s = await startTestServer(t);
  const started = mlf(["track", "start", "-e", "cli", "-n", "by-cli", "-p", "alpha=1", "--json", "--tracking-dir", s.root]);
  assert.equal(started.status, 0, started.stderr);
  const { run_id, experiment_id } = started.json<{ run_id: string; experiment_id: string }>();
  const client = new MLflow({ endpoint: s.url });
  const { run } = (await client.Runs.get({ run_id })) as { run: { info: { run_name: string }; data: { params: { key: string; value: string }[] } } };
  assert.equal(run.info.run_name, "by-cli");
  assert.deepEqual(run.data.params, [{ key: "alpha", value: "1" }]);
  await client.Runs.logMetric({ run_id, key: "auc", value: 0.91, timestamp: Date.now(), step: 0 });
  const ls = mlf(["track", "ls", "-e", experiment_id, "--filter", "metrics.auc > 0.9", "--json", "--tracking-dir", s.root], { env: { MLF_CACHE_DIR: tempDir(t) } });
  assert.deepEqual(ls.json<{ info: { run_id: string } }[]>().map((r) => r.info.run_id), [run_id]);
});
