import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { toOnnx } from "../../scripts/demo/onnx.js";
import { loadExplainer } from "../../src/explain/explainer.js";
import { registerMonitoredModel } from "../../src/monitor/register.js";
import { listVersions } from "../../src/models/store.js";
import { computeDrift } from "../../src/monitor/drift.js";
import { logFilePath, logFolder } from "../../src/repo/feature-logs.js";
import { monitorDrift } from "../../src/monitor/model-drift.js";
import { backgroundRows } from "../../src/models/reference.js";
import { readReference } from "../../src/monitor/read-reference.js";
import { openTableSide } from "../../src/monitor/table-side.js";
import { OfflineEngine } from "../../src/offline/engine.js";
import { runTracked } from "../../src/tracking/wrapper.js";
import { mlfErrorWith, tempDir } from "../helpers.js";
import { writeParquet, type Cell } from "./fixtures.js";
import { lcg, normal } from "./oracle.js";

/**
 * Registration records the training set as the version's reference and profiles it beside
 * the model; `monitorDrift --model` reads the file exactly while it is unchanged, the profile
 * afterwards.
 */

const REFS = ["origin_last_hour:avg_delay_1h", "origin_last_hour:departures_1h"];
const MODEL = { features: ["avg_delay_1h", "departures_1h"], means: [8, 15], scales: [10, 8], weights: [0.9, -0.3], intercept: -1.2 };
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const predict = (delay: number, departures: number) => sigmoid(MODEL.intercept + 0.9 * ((delay - 8) / 10) - 0.3 * ((departures - 15) / 8));

/** Training rows: origin, avg_delay_1h (continuous), departures_1h (0..30), delayed (label). */
function trainingRows(n: number, shift = 0, seed = 1): Cell[][] {
  const next = lcg(seed);
  return Array.from({ length: n }, () => ["LAX", normal(next) * 10 + 8 + shift, Math.floor(next() * 31), next() < 0.3 ? 1 : 0]);
}

async function setUp(t: { after(fn: () => void): void }) {
  const dir = tempDir(t);
  const root = join(dir, "mlruns");
  const train = join(dir, "data", "training_set.parquet");
  mkdirSync(dirname(train), { recursive: true });
  const rows = trainingRows(3000);
  await writeParquet(train, { origin: "VARCHAR", avg_delay_1h: "DOUBLE", departures_1h: "BIGINT", delayed: "INTEGER" }, rows);
  writeFileSync(join(dir, "model.onnx"), toOnnx(MODEL));
  const run = await runTracked(root, { command: [process.execPath, "-e", ""], inputs: ["data/training_set.parquet"], artifacts: ["model.onnx"], cwd: dir });
  return { dir, root, train, rows, runId: run.run.runId };
}

test("registering from a run profiles its one input beside the model, with predictions and a seeded sample", async (t) => {
  const { dir, root, train, rows, runId } = await setUp(t);
  const warnings: string[] = [];
  const version = await registerMonitoredModel(root, "delay", { runId, artifactPath: "model.onnx", features: REFS, cwd: dir, warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, []);
  const mlmodel = parse(readFileSync(join(root, "models", "delay", "version-1", "MLmodel"), "utf8")) as { metadata: { mlf: { reference: Record<string, unknown> } } };
  assert.deepEqual(Object.keys(mlmodel.metadata.mlf.reference), ["path", "sha256", "rows", "profile"]);
  assert.equal(mlmodel.metadata.mlf.reference.path, train);
  assert.equal(mlmodel.metadata.mlf.reference.rows, 3000);

  const reference = readReference(root, version)!;
  assert.deepEqual(readReference(root, "delay/1")!.record, reference.record);
  const { profile } = reference;
  assert.deepEqual(profile.features.map((f) => [f.name, f.column, f.kind]), [
    [REFS[0], "avg_delay_1h", "numerical"],
    [REFS[1], "departures_1h", "numerical"],
  ]);
  const [delay, departures] = profile.features;
  assert.ok(delay?.kind === "numerical" && !delay.distribution.exact && delay.distribution.values.length === 1000, "3000 distinct values: a sketch");
  assert.ok(departures?.kind === "numerical" && departures.distribution.exact && departures.distinct === 31, "31 values: exact counts");
  const values = rows.map((r) => r[1] as number);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(delay.mean! - mean) < 1e-9);

  // The sample: 500 distinct rows in file order, the model's inputs in input order.
  assert.deepEqual(profile.sample.columns, REFS);
  assert.equal(profile.sample.rows.length, 500);
  assert.equal(new Set(profile.sample.positions).size, 500);
  profile.sample.positions.forEach((p, i) => assert.deepEqual(profile.sample.rows[i], [rows[p]![1], rows[p]![2]]));
  // It is a background the explainer takes as is: base value = mean log-odds over the sample.
  const explainer = await loadExplainer(join(root, "models", "delay", "version-1", "model.onnx"), { background: backgroundRows(profile) });
  const explanation = await explainer.explain([20, 10]);
  const logit = (r: (number | string | boolean | null)[]) => MODEL.intercept + 0.9 * (((r[0] as number) - 8) / 10) - 0.3 * (((r[1] as number) - 15) / 8);
  const base = profile.sample.rows.reduce((s, r) => s + logit(r), 0) / 500;
  assert.ok(Math.abs(explanation.base_value - base) < 1e-4, `base value ${explanation.base_value} vs ${base}`);

  // The predictions: the model run on every training row (float32 inside ONNX).
  const expected = rows.map((r) => predict(r[1] as number, r[2] as number)).sort((a, b) => a - b);
  assert.equal(profile.prediction!.count, 3000);
  const q = profile.prediction!.kind === "numerical" ? profile.prediction!.quantiles : undefined;
  assert.ok(Math.abs(q!.values[0]! - expected[0]!) < 1e-6 && Math.abs(q!.values.at(-1)! - expected.at(-1)!) < 1e-6);
});

test("model drift reads the training file exactly while it has its digest, then falls back to the profile", async (t) => {
  const { dir, root, train, runId } = await setUp(t);
  await registerMonitoredModel(root, "delay", { runId, artifactPath: "model.onnx", features: REFS, cwd: dir });
  // Served by version 1: delays 4 minutes later, the same traffic; predictions logged.
  const served = trainingRows(2000, 4, 2);
  const file = logFilePath(logFolder(join(dir, "data", "logs"), "models", "delay"), Date.UTC(2026, 5, 1, 12), 1);
  mkdirSync(dirname(file), { recursive: true });
  await writeParquet(
    file,
    { timestamp: "TIMESTAMPTZ", model: "VARCHAR", model_version: "INTEGER", [REFS[0]!]: "DOUBLE", [REFS[1]!]: "BIGINT", prediction: "DOUBLE" },
    served.map((r, i) => [new Date(Date.UTC(2026, 5, 1, 12) + i).toISOString(), "delay", 1, r[1]!, r[2]!, predict(r[1] as number, r[2] as number)]),
  );

  const exact = await monitorDrift({ model: "delay/1", trackingDir: root, repoRoot: dir });
  assert.deepEqual(exact.model, { name: "delay", version: 1 });
  assert.equal(exact.reference.kind, "file");
  assert.deepEqual(exact.features.map((f) => [f.name, f.test, f.approximate]), [
    [REFS[0], "wasserstein", false],
    [REFS[1], "wasserstein", false],
  ]);
  assert.equal(exact.features[0]!.drifted, true, `a 0.4 sd shift: ${exact.features[0]!.score}`);
  assert.equal(exact.features[1]!.drifted, false);
  assert.equal(exact.prediction!.drifted, true, "later delays, higher predicted risk");
  // The same numbers as comparing the two files directly.
  const engine = await OfflineEngine.open({ type: "duckdb" });
  const direct = await computeDrift(await openTableSide(engine, { kind: "file", path: train }), await openTableSide(engine, { kind: "file", path: file }), { features: REFS });
  engine.close();
  assert.deepEqual(exact.features.map((f) => f.score), direct.features.map((f) => f.score));

  // The training file is moved away: the profile answers, exactly for few values, closely for many.
  renameSync(train, `${train}.moved`);
  const profiled = await monitorDrift({ model: "delay/1", trackingDir: root, repoRoot: dir });
  assert.equal(profiled.reference.kind, "profile");
  const [delay, departures] = profiled.features;
  assert.equal(delay!.approximate, true);
  assert.ok(Math.abs(delay!.score! - exact.features[0]!.score!) < 0.005, `sketch ${delay!.score} vs exact ${exact.features[0]!.score}`);
  assert.equal(departures!.approximate, false);
  assert.ok(Math.abs(departures!.score! - exact.features[1]!.score!) < 1e-12);
  assert.equal(profiled.dataset.drift, exact.dataset.drift);
});

test("a --reference without the model's columns is refused and writes nothing; a run with two inputs records none", async (t) => {
  const { dir, root, runId } = await setUp(t);
  await writeParquet(join(dir, "other.parquet"), { something: "DOUBLE" }, [[1], [2]]);
  await assert.rejects(
    registerMonitoredModel(root, "delay", { runId, artifactPath: "model.onnx", features: REFS, cwd: dir, reference: "other.parquet" }),
    mlfErrorWith("invalid_data", /has no column for origin_last_hour:avg_delay_1h/),
  );
  assert.equal(existsSync(join(root, "models", "delay")), false);

  writeFileSync(join(dir, "b.csv"), "x\n1\n");
  const two = await runTracked(root, { command: [process.execPath, "-e", ""], inputs: ["data/training_set.parquet", "b.csv"], artifacts: ["model.onnx"], cwd: dir });
  const warnings: string[] = [];
  const version = await registerMonitoredModel(root, "delay", { runId: two.run.runId, artifactPath: "model.onnx", features: REFS, cwd: dir, warn: (m) => warnings.push(m) });
  assert.match(warnings.join("\n"), /has 2 inputs, so none is taken as the reference; pass --reference FILE/);
  assert.equal(readReference(root, version), undefined);
  await assert.rejects(monitorDrift({ model: "delay/1", trackingDir: root, repoRoot: dir }), mlfErrorWith("usage", /has no reference data; pass the training set with --reference/));
  assert.equal(listVersions(root, "delay").length, 1);
});
