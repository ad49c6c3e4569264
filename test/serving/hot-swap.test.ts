import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { fileModelSource } from "../../src/serving/sources.js";
import { tempDir } from "../helpers.js";
import { MODEL, expected, get, post, serve } from "./helpers.js";
import { replaceFile, variantBytes } from "./models.js";

const body = { instances: expected.rows.slice(0, 5) };
const round = (ps: number[]) => ps.map((p) => p.toFixed(5)).join(",");

test("a new version swaps in under concurrent load with zero failed requests", async (t) => {
  const file = join(tempDir(t), "model.onnx");
  copyFileSync(MODEL, file);
  const server = await serve(t, { models: [fileModelSource(file, "cancer")] });
  const before = (await get(server, "/models")).body.models[0];
  const oldAnswer = round((await post(server, "/invocations", body)).body.predictions);

  let stop = false;
  const statuses: number[] = [];
  const answers = new Set<string>();
  const client = async () => {
    while (!stop) {
      const res = await post(server, "/invocations", body);
      statuses.push(res.status);
      if (res.status === 200) answers.add(round(res.body.predictions));
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await new Promise((r) => setTimeout(r, 150));
  replaceFile(file, variantBytes({ interceptShift: 3 }));
  const reload = await post(server, "/admin/reload", {});
  assert.equal(reload.status, 200);
  await new Promise((r) => setTimeout(r, 150));
  stop = true;
  await Promise.all(clients);

  assert.ok(statuses.length > 50, `only ${statuses.length} requests ran`);
  assert.deepEqual(statuses.filter((s) => s !== 200), []);
  const newAnswer = round((await post(server, "/invocations", body)).body.predictions);
  assert.notEqual(newAnswer, oldAnswer);
  // Every answer came wholly from one version, and both versions answered during the run.
  assert.deepEqual([...answers].sort(), [oldAnswer, newAnswer].sort());
  const after = (await get(server, "/models")).body.models[0];
  assert.notEqual(after.version, before.version);
  assert.equal(after.last_error, null);
  assert.ok(server.logs.some((l) => l.msg === "model loaded" && l.previous_version === before.version));
});

test("polling picks up a replaced model without a reload", async (t) => {
  const file = join(tempDir(t), "model.onnx");
  copyFileSync(MODEL, file);
  const server = await serve(t, { models: [fileModelSource(file)], pollSeconds: 0.1 });
  const first = (await get(server, "/models")).body.models[0].version;
  replaceFile(file, variantBytes({ interceptShift: 1 }));
  const deadline = Date.now() + 5000;
  let version = first;
  while (version === first && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    version = (await get(server, "/models")).body.models[0].version;
  }
  assert.notEqual(version, first);
});

test("a broken new version leaves the old one serving and is reported", async (t) => {
  const file = join(tempDir(t), "model.onnx");
  copyFileSync(MODEL, file);
  const server = await serve(t, { models: [fileModelSource(file)] });
  const good = (await get(server, "/models")).body.models[0];
  const answer = round((await post(server, "/invocations", body)).body.predictions);

  for (const [what, bytes] of [["not ONNX", new TextEncoder().encode("not a model")], ["NaN predictions", variantBytes({ nanCoefficients: true })]] as const) {
    replaceFile(file, bytes);
    assert.equal((await post(server, "/admin/reload", {})).status, 200);
    const res = await post(server, "/invocations", body);
    assert.equal(res.status, 200, what);
    assert.equal(round(res.body.predictions), answer, what);
    const status = (await get(server, "/models")).body.models[0];
    assert.equal(status.version, good.version, what);
    assert.notEqual(status.last_error, null, what);
    assert.notEqual(status.last_error.version, good.version, what);
    assert.ok(server.logs.some((l) => l.msg === "model load failed" && l.version === status.last_error.version), what);
    assert.equal((await get(server, "/ready")).status, 200, what);
  }
  const metrics = (await get(server, "/metrics")).text;
  assert.match(metrics, /mlf_model_load_failed\{model="model"\} 1/);
});
