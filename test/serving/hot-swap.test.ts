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

/** A log that resolves `swapped` with the pool's record of a new version replacing a served one. */
function swapLog() {
  let swapped = false;
  let resolve: (record: Record<string, unknown>) => void = () => undefined;
  const done = new Promise<Record<string, unknown>>((r) => (resolve = r));
  const log = (record: Record<string, unknown>) => {
    if (record.msg === "model loaded" && record.previous_version !== undefined) {
      swapped = true;
      resolve(record);
    }
  };
  return { log, done, isSwapped: () => swapped };
}

test("a new version swaps in under concurrent load with zero failed requests", { timeout: 60_000 }, async (t) => {
  const file = join(tempDir(t), "model.onnx");
  copyFileSync(MODEL, file);
  const swap = swapLog();
  const server = await serve(t, { models: [fileModelSource(file, "cancer")], log: swap.log });
  const before = (await get(server, "/models")).body.models[0];
  const oldAnswer = round((await post(server, "/invocations", body)).body.predictions);

  // Each answer with whether its request was sent, and answered, after the swap. The pool logs
  // the swap in the same step that makes the new version current, so these flags are exact.
  const answers: { status: number; answer?: string; sentAfter: boolean; answeredAfter: boolean }[] = [];
  const waiters: { until: () => boolean; resolve: () => void }[] = [];
  const when = (until: () => boolean) => new Promise<void>((resolve) => waiters.push({ until, resolve }));
  const count = (answer: string) => answers.filter((a) => a.answer === answer).length;
  let stop = false;
  const client = async () => {
    while (!stop) {
      const sentAfter = swap.isSwapped();
      const res = await post(server, "/invocations", body);
      answers.push({ status: res.status, ...(res.status === 200 && { answer: round(res.body.predictions) }), sentAfter, answeredAfter: swap.isSwapped() });
      for (const w of waiters.filter((w) => w.until())) w.resolve();
    }
  };
  const clients = Array.from({ length: 8 }, client);
  await when(() => count(oldAnswer) >= 40); // the load runs before the swap...
  replaceFile(file, variantBytes({ interceptShift: 3 }));
  assert.equal((await post(server, "/admin/reload", {})).status, 200);
  assert.ok(swap.isSwapped(), "the reload swapped the new version in");
  const newAnswer = round((await post(server, "/invocations", body)).body.predictions);
  assert.notEqual(newAnswer, oldAnswer);
  await when(() => count(newAnswer) >= 40); // ...and after it
  stop = true;
  await Promise.all(clients);

  assert.deepEqual(answers.filter((a) => a.status !== 200), []);
  assert.ok(answers.some((a) => !a.sentAfter && a.answeredAfter), "some requests were in flight across the swap");
  // Every answer came wholly from one version: the old one until the swap, the new one for every request sent after it.
  assert.deepEqual(answers.filter((a) => !a.answeredAfter && a.answer !== oldAnswer), []);
  assert.deepEqual(answers.filter((a) => a.sentAfter && a.answer !== newAnswer), []);
  assert.deepEqual(new Set(answers.map((a) => a.answer)), new Set([oldAnswer, newAnswer]));
  const after = (await get(server, "/models")).body.models[0];
  assert.notEqual(after.version, before.version);
  assert.equal(after.last_error, null);
  assert.equal((await swap.done).previous_version, before.version);
});

test("polling picks up a replaced model without a reload", { timeout: 60_000 }, async (t) => {
  const file = join(tempDir(t), "model.onnx");
  copyFileSync(MODEL, file);
  const swap = swapLog();
  const server = await serve(t, { models: [fileModelSource(file)], pollSeconds: 0.1, log: swap.log });
  const first = (await get(server, "/models")).body.models[0].version;
  replaceFile(file, variantBytes({ interceptShift: 1 }));
  const loaded = await swap.done;
  assert.equal(loaded.previous_version, first);
  const version = (await get(server, "/models")).body.models[0].version;
  assert.notEqual(version, first);
  assert.equal(version, loaded.version);
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
