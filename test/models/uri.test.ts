import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deleteVersion, setAlias, transitionStage } from "../../src/models/lifecycle.js";
import { loadModel } from "../../src/models/load.js";
import { registerModel } from "../../src/models/register.js";
import { parseModelUri, resolveModelUri } from "../../src/models/uri.js";
import { copyToTemp, mlfErrorWith, MLRUNS_IRIS, REFERENCE_EXPECTED, REFERENCE_MODEL, tempDir } from "../helpers.js";

const MODEL = REFERENCE_MODEL;
const rejects = mlfErrorWith;

test("model URIs of every form resolve to the right version", async (t) => {
  const root = tempDir(t);
  for (let i = 0; i < 4; i++) await registerModel(root, "cancer", { file: MODEL });
  setAlias(root, "cancer", "champion", 2);
  transitionStage(root, "cancer", 3, "production");
  transitionStage(root, "cancer", 1, "staging");
  deleteVersion(root, "cancer", 4);
  const cases: [string, number][] = [
    ["models:/cancer/1", 1],
    ["models:/cancer@champion", 2],
    ["models:/cancer/Production", 3],
    ["models:/cancer/production", 3],
    ["models:/cancer/Staging", 1],
    ["models:/cancer/latest", 3],
    ["cancer@champion", 2],
    ["cancer/2", 2],
    ["cancer@latest", 3],
    ["cancer@v1", 1],
  ];
  for (const [uri, version] of cases) {
    const resolved = resolveModelUri(root, uri);
    assert.equal(resolved.version?.version, version, uri);
    assert.equal(resolved.modelFile, join(root, "models", "cancer", `version-${version}`, "model.onnx"), uri);
  }
  assert.deepEqual(parseModelUri("cancer/2", { cwd: root }), { kind: "registry", name: "cancer", selector: { type: "version", version: 2 } });
  assert.equal(resolveModelUri(root, MODEL).modelFile, MODEL);
  assert.equal(resolveModelUri(root, join(root, "models", "cancer", "version-2")).mlmodel?.mlf?.sha256.length, 64);

  assert.throws(() => resolveModelUri(root, "models:/cancer/4"), rejects("not_found", /was deleted/));
  assert.throws(() => resolveModelUri(root, "models:/cancer/9"), rejects("not_found", /live versions: 1, 2, 3/));
  assert.throws(() => resolveModelUri(root, "models:/cancer/Archived"), rejects("not_found", /no version in stage Archived/));
  assert.throws(() => resolveModelUri(root, "cancer@nobody"), rejects("not_found", /aliases: champion/));
  assert.throws(() => resolveModelUri(root, "ghost/1"), rejects("not_found", /No registered model named "ghost"/));
  assert.throws(() => resolveModelUri(root, "models:/cancer"), rejects("invalid_argument", /not a model URI/));
  assert.throws(() => resolveModelUri(root, "models:/../x/1"), rejects("invalid_argument"));
  assert.throws(() => resolveModelUri(root, "models:/cancer/shipping"), rejects("invalid_argument", /not a stage/));
  assert.throws(() => resolveModelUri(root, "missing.onnx", { cwd: root }), rejects("file_not_found"));
});

test("loading runs the reference model and refuses a model file changed after registration", async (t) => {
  const root = tempDir(t);
  await registerModel(root, "cancer", { file: MODEL });
  const expected = JSON.parse(readFileSync(REFERENCE_EXPECTED, "utf8")) as { rows: number[][]; proba_1: number[]; label: number[] };
  const loaded = await loadModel(root, "cancer@latest");
  t.after(() => loaded.session.release());
  assert.deepEqual(loaded.signature.inputs, [{ name: "input", dtype: "float32", shape: [-1, 30] }]);
  const { Tensor } = await import("onnxruntime-node");
  const out = await loaded.session.run({ input: new Tensor("float32", Float32Array.from(expected.rows.flat()), [expected.rows.length, 30]) });
  const proba = out.probabilities!.data as Float32Array;
  expected.proba_1.forEach((p, i) => assert.ok(Math.abs(proba[i * 2 + 1]! - p) < 1e-5, `row ${i}`));
  assert.deepEqual(Array.from(out.label!.data as BigInt64Array, Number), expected.label);

  appendFileSync(join(root, "models", "cancer", "version-1", "model.onnx"), Buffer.from([0]));
  await assert.rejects(loadModel(root, "models:/cancer/1"), rejects("invalid_data", /does not match the sha256 recorded at registration/));
});

test("MLflow-registered versions resolve through their run, and a non-ONNX flavor is refused clearly", (t) => {
  const root = copyToTemp(t, MLRUNS_IRIS);
  assert.throws(() => resolveModelUri(root, "models:/SVMClassifier/1"), rejects("invalid_data", /no onnx flavor \(flavors: python_function, sklearn\)/));
  const folder = join(tempDir(t), "plain");
  mkdirSync(folder);
  writeFileSync(join(folder, "MLmodel"), "flavors:\n  onnx:\n    data: m.onnx\n");
  assert.equal(resolveModelUri(root, folder).modelFile, join(folder, "m.onnx"));
});
