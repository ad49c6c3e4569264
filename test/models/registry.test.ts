import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readEvents } from "../../src/models/events.js";
import { deleteAlias, deleteVersion, setAlias, transitionStage } from "../../src/models/lifecycle.js";
import { registerModel } from "../../src/models/register.js";
import { listVersions, readAliases, readModel } from "../../src/models/store.js";
import { copyToTemp, mlfErrorWith, MLRUNS_IRIS, REFERENCE_MODEL, tempDir } from "../helpers.js";

const MODEL = REFERENCE_MODEL;
const rejects = mlfErrorWith;

/** Everything under the folder with its content, to prove bad input changes nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return out;
}

test("a registered version copies the model, records its digest and ONNX signature, and never reuses a number", async (t) => {
  const root = tempDir(t);
  const v1 = await registerModel(root, "cancer", { file: MODEL, description: "baseline" });
  const v2 = await registerModel(root, "cancer", { file: MODEL });
  assert.deepEqual([v1.version, v2.version], [1, 2]);
  assert.equal(v1.status, "READY");
  assert.equal(v1.currentStage, "None");
  const dir = join(root, "models", "cancer", "version-1");
  assert.deepEqual(readFileSync(join(dir, "model.onnx")), readFileSync(MODEL));
  const mlmodel = readFileSync(join(dir, "MLmodel"), "utf8");
  assert.match(mlmodel, /onnx:\n\s+data: model.onnx/);
  assert.match(mlmodel, /"dtype":"float32","shape":\[-1,30\]\},"name":"input"/);
  assert.match(mlmodel, /"name":"probabilities"/);
  assert.match(mlmodel, /model_sha256: daa1826553f8044e/);
  deleteVersion(root, "cancer", 2);
  const v3 = await registerModel(root, "cancer", { file: MODEL });
  assert.equal(v3.version, 3, "a deleted version's number stays taken");
  assert.deepEqual(listVersions(root, "cancer").map((v) => v.version), [1, 3]);
  // A registration killed after taking its number leaves an empty folder: not listed, number not reused.
  mkdirSync(join(root, "models", "cancer", "version-4"));
  assert.deepEqual(listVersions(root, "cancer").map((v) => v.version), [1, 3]);
  assert.equal((await registerModel(root, "cancer", { file: MODEL })).version, 5);
});

test("feature references are checked against the applied definitions and against the model's input width", async (t) => {
  const root = tempDir(t);
  const schema = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, dtype: "float32" as const }));
  const definitions = {
    entities: [{ name: "patient", joinKey: "patient_id", valueType: "int64" as const }],
    sources: [{ name: "s", type: "file" as const, path: "scans.parquet", timestampField: "ts", fieldMapping: {} }],
    featureViews: [{ name: "scans", entities: ["patient"], source: "s", ttlSeconds: 0, online: true, schema, tags: {} }],
    featureServices: [{ name: "all_scans", features: [{ view: "scans" }] }],
  };
  const refs = schema.map((f) => `scans:${f.name}`);
  const v = await registerModel(root, "cancer", { file: MODEL, features: refs, definitions });
  const mlmodel = readFileSync(join(root, "models", "cancer", `version-${v.version}`, "MLmodel"), "utf8");
  assert.match(mlmodel, /features:\n\s+- scans:f0\n\s+- scans:f1\n/);
  assert.match(mlmodel, /entity_keys:\n\s+- patient_id/);
  await registerModel(root, "cancer", { file: MODEL, service: "all_scans", definitions });

  const before = snapshot(root);
  await assert.rejects(registerModel(root, "cancer", { file: MODEL, features: [...refs.slice(0, 29), "scans:nope"], definitions }), rejects("not_found", /Feature view "scans" has no feature "nope"/));
  await assert.rejects(registerModel(root, "cancer", { file: MODEL, features: refs.slice(0, 3), definitions }), rejects("invalid_argument", /takes 30 input columns but 3 features/));
  await assert.rejects(registerModel(root, "cancer", { file: MODEL, service: "missing", definitions }), rejects("not_found", /all_scans/));
  await assert.rejects(registerModel(root, "cancer", { file: MODEL, features: ["no-colon"] }), rejects("invalid_argument", /"no-colon" is malformed; write it as view:feature/));
  await assert.rejects(registerModel(root, "cancer", { file: MODEL, features: ["scans:f0", "scans:f0"] }), rejects("invalid_argument", /"scans:f0" is listed twice/));
  assert.deepEqual(snapshot(root), before);
});

test("aliases: reserved names refused, target must exist, deleting a version removes its aliases", async (t) => {
  const root = tempDir(t);
  await registerModel(root, "m", { file: MODEL });
  await registerModel(root, "m", { file: MODEL });
  for (const reserved of ["latest", "LATEST", "v1", "V12"]) assert.throws(() => setAlias(root, "m", reserved, 1), rejects("invalid_argument", /reserved/));
  assert.throws(() => setAlias(root, "m", "champion", 9), rejects("not_found", /live versions: 1, 2/));
  assert.throws(() => setAlias(root, "m", "bad/alias", 1), rejects("invalid_argument"));
  assert.throws(() => setAlias(root, "nope", "champion", 1), rejects("not_found", /known: m/));
  assert.equal(existsSync(join(root, "models", "nope")), false, "a failed change on an unknown model creates nothing");
  assert.deepEqual(setAlias(root, "m", "champion", 1), { alias: "champion", version: 1, previous: null });
  assert.deepEqual(setAlias(root, "m", "champion", 2), { alias: "champion", version: 2, previous: 1 });
  setAlias(root, "m", "challenger", 2);
  assert.equal(readFileSync(join(root, "models", "m", "aliases", "champion"), "utf8"), "2");
  assert.deepEqual(deleteVersion(root, "m", 2), { version: 2, removedAliases: ["challenger", "champion"] });
  assert.deepEqual(readAliases(root, "m"), {});
  assert.throws(() => setAlias(root, "m", "champion", 2), rejects("not_found", /was deleted/));
  assert.throws(() => deleteAlias(root, "m", "champion"), rejects("not_found", /no alias "champion"/));
});

test("stages: promoting to production archives the previous production version", async (t) => {
  const root = tempDir(t);
  for (let i = 0; i < 3; i++) await registerModel(root, "m", { file: MODEL });
  assert.deepEqual(transitionStage(root, "m", 1, "production"), [{ version: 1, from: "None", to: "Production" }]);
  transitionStage(root, "m", 2, "Staging");
  assert.deepEqual(transitionStage(root, "m", 2, "PRODUCTION"), [
    { version: 2, from: "Staging", to: "Production" },
    { version: 1, from: "Production", to: "Archived" },
  ]);
  assert.deepEqual(transitionStage(root, "m", 2, "production"), [], "no change, no event");
  assert.deepEqual(listVersions(root, "m").map((v) => v.currentStage), ["Archived", "Production", "None"]);
  assert.throws(() => transitionStage(root, "m", 3, "shipped"), rejects("invalid_argument", /staging, production, archived/));
  assert.throws(() => transitionStage(root, "m", "0", "staging"), rejects("invalid_argument", /positive integers/));
  const meta = readFileSync(join(root, "models", "m", "version-1", "meta.yaml"), "utf8");
  assert.match(meta, /current_stage: Archived/);
});

test("the audit log records who changed what, before and after, in order", async (t) => {
  const root = tempDir(t);
  process.env.MLF_USER = "alice";
  t.after(() => delete process.env.MLF_USER);
  await registerModel(root, "m", { file: MODEL });
  await registerModel(root, "m", { file: MODEL });
  setAlias(root, "m", "champion", 1);
  setAlias(root, "m", "champion", 2);
  transitionStage(root, "m", 1, "production");
  transitionStage(root, "m", 2, "production");
  deleteAlias(root, "m", "champion");
  deleteVersion(root, "m", 1);
  const events = readEvents(root, "m");
  assert.ok(events.every((e) => e.user === "alice" && e.model === "m" && /^\d{4}-\d\d-\d\dT.*Z$/.test(e.at)));
  assert.deepEqual(
    events.map(({ action, version, alias, before, after }) => ({ action, version, alias, before, after })).map((e) => JSON.parse(JSON.stringify(e))),
    [
      { action: "create_model", before: null, after: { name: "m" } },
      { action: "register", version: 1, before: null, after: { version: 1, source: MODEL, sha256: events[1]!.after!.sha256, run_id: null } },
      { action: "register", version: 2, before: null, after: { version: 2, source: MODEL, sha256: events[1]!.after!.sha256, run_id: null } },
      { action: "set_alias", version: 1, alias: "champion", before: null, after: { version: 1 } },
      { action: "set_alias", version: 2, alias: "champion", before: { version: 1 }, after: { version: 2 } },
      { action: "transition_stage", version: 1, before: { stage: "None" }, after: { stage: "Production" } },
      { action: "transition_stage", version: 2, before: { stage: "None" }, after: { stage: "Production" } },
      { action: "transition_stage", version: 1, before: { stage: "Production" }, after: { stage: "Archived" } },
      { action: "delete_alias", version: 2, alias: "champion", before: { version: 2 }, after: null },
      { action: "delete_version", version: 1, before: { stage: "Archived", aliases: [] }, after: { stage: "Deleted_Internal", aliases: [] } },
    ],
  );
  writeFileSync(join(root, "models", "m", "events.jsonl"), `${readFileSync(join(root, "models", "m", "events.jsonl"), "utf8")}{"at":"torn`);
  assert.equal(readEvents(root, "m").length, events.length, "a torn last line is skipped");
});

test("bad input to register changes nothing: non-ONNX files, names that escape, unknown runs", async (t) => {
  const root = tempDir(t);
  await registerModel(root, "m", { file: MODEL });
  const junk = join(tempDir(t), "model.onnx");
  writeFileSync(junk, "this is not a model");
  const before = snapshot(root);
  await assert.rejects(registerModel(root, "m", { file: junk }), rejects("invalid_argument", /not a valid ONNX model/));
  await assert.rejects(registerModel(root, "m", { file: join(root, "missing.onnx") }), rejects("file_not_found"));
  for (const name of ["a/b", "..", "../evil", "x..y", ".hidden", "a@b", "models:x", ""]) {
    await assert.rejects(registerModel(root, name, { file: MODEL }), rejects("invalid_argument", /not a valid model name/), name);
  }
  await assert.rejects(registerModel(root, "m", {}), rejects("usage"));
  await assert.rejects(registerModel(root, "m", { runId: "0123abc" }), rejects("not_found", /No run/));
  assert.deepEqual(snapshot(root), before);
  assert.throws(() => readModel(root, "../m"), rejects("invalid_argument"));
});

test("registering from a run artifact records the run as lineage", async (t) => {
  const root = copyToTemp(t, MLRUNS_IRIS);
  const runId = "8595f7931d3943f4a7ee038c1728c2c3";
  const artifacts = join(root, "853099972095872099", runId, "artifacts");
  cpSync(MODEL, join(artifacts, "onnx", "model.onnx"), { recursive: true });
  const v = await registerModel(root, "iris_onnx", { runId, artifactPath: "onnx" });
  assert.equal(v.source, `runs:/${runId}/onnx`);
  assert.equal(v.runId, runId);
  await assert.rejects(registerModel(root, "iris_onnx", { runId, artifactPath: "../../x" }), rejects("invalid_argument", /escape/));
  await assert.rejects(registerModel(root, "iris_onnx", { runId, artifactPath: "model" }), rejects("invalid_argument", /no \.onnx files/));
});
