import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { mlf, ROOT, tempDir } from "../helpers.js";
import { busiestRoute } from "../../scripts/demo/entity.js";
import { runLoop } from "../../scripts/demo/loop.js";
import { postJson, startServe } from "../../scripts/demo/mlf.js";
import { prepareData } from "../../scripts/demo/prepare.js";
import { repoCopy } from "../../scripts/demo/repo-copy.js";

test("raw departures -> training set -> tracked run -> champion -> online store -> /predict equals the champion on get-online's features", async (t) => {
  // The bundled repository's definitions (never its data, stores or runs) in a temp folder.
  const repo = repoCopy(join(ROOT, "feature_repo"), tempDir(t, "mlf-e2e-"));
  // Five busy airports over the last six weeks of the data: the same loop, a tenth of the rows.
  const prepared = await prepareData({ root: repo, origins: ["ATL", "ORD", "DFW", "LAX", "DEN"], since: "2001-05-20", labelEvery: 4 });
  assert.ok(prepared.flights > 10_000 && prepared.labels > 2_000, JSON.stringify(prepared));
  const entity = await busiestRoute(repo);
  const steps: string[] = [];
  const result = await runLoop({ repo, entity, holdoutDays: 10, onStep: (name) => steps.push(name) });
  assert.deepEqual(steps, ["apply", "get-historical", "train", "register", "alias", "materialize", "serve", "predict", "check"]);

  // The registry's champion is the version that answered.
  const champion = mlf(["-C", repo, "registry", "show", "delay_model@champion", "--json"]);
  assert.equal(champion.status, 0, champion.stderr);
  const version = champion.json<{ version: string; run_id: string; mlf: { artifact_dir: string; feature_service: string; entity_keys: string[] } }>();
  assert.equal(version.version, String(result.served.model_version));
  assert.equal(result.served.model, "delay_model");
  assert.equal(version.run_id, result.runId);
  assert.equal(version.mlf.feature_service, "delay_model");
  assert.deepEqual(version.mlf.entity_keys, ["origin", "route"]);

  // The champion's registered ONNX file, run by onnxruntime on what get-online returns now,
  // gives the served prediction (and the TypeScript model in the run's artifacts agrees).
  const online = mlf(["-C", repo, "get-online", "-e", `origin=${entity.origin}`, "-e", `route=${entity.route}`, "--service", "delay_model", "--json"]);
  assert.equal(online.status, 0, online.stderr);
  const features = online.json<Record<string, number | null>>();
  const names = Object.keys(result.features);
  assert.equal(names.length, 10);
  assert.deepEqual(names.map((n) => features[n]), Object.values(result.features));
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(join(version.mlf.artifact_dir, "model.onnx"));
  const input = Float32Array.from(names.map((n) => features[n] ?? Number.NaN));
  const out = await session.run({ input: new ort.Tensor("float32", input, [1, names.length]) });
  const probability = (out.probabilities!.data as Float32Array)[1]!;
  assert.ok(Math.abs(result.served.prediction - probability) < 1e-5, `served ${result.served.prediction}, champion onnx ${probability}`);
  assert.ok(Math.abs(result.expected - probability) < 1e-5, `typescript ${result.expected}, champion onnx ${probability}`);

  // A route the store has never seen: /predict refuses to guess (404 naming the feature) until
  // the caller sends the route's values as request-time features; then the champion answers on
  // the airport's online values plus those.
  const server = await startServe(repo, ["--model", "delay_model@champion"]);
  try {
    const entities = { origin: entity.origin, route: `${entity.origin}-XXX` };
    const refused = await postJson<{ error_code: string; message: string }>(`${server.url}/predict`, { model: "delay_model", entities });
    assert.equal(refused.status, 404);
    assert.match(refused.body.message, /route_week:route_flights_7d/);
    const given = { route_flights_7d: 40, route_delayed_share_7d: 0.5, route_avg_delay_7d: 25, distance: 600 };
    const answered = await postJson<{ prediction: number }>(`${server.url}/predict`, { model: "delay_model", entities, features: given });
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    const mixed = names.map((n) => (n in given ? given[n as keyof typeof given] : features[n] ?? Number.NaN));
    const out2 = await session.run({ input: new ort.Tensor("float32", Float32Array.from(mixed), [1, names.length]) });
    assert.ok(Math.abs(answered.body.prediction - (out2.probabilities!.data as Float32Array)[1]!) < 1e-5);
  } finally {
    await server.stop();
  }

  // The run recorded its metrics and the digest of the exact training set it read.
  const run = mlf(["-C", repo, "track", "show", result.runId, "--json"]);
  assert.equal(run.status, 0, run.stderr);
  const shown = run.json<{ data: { params: { key: string; value: string }[]; metrics: { key: string; value: number }[] }; info: { status: string } }>();
  assert.equal(shown.info.status, "FINISHED");
  const metric = (key: string) => shown.data.metrics.find((m) => m.key === key)!.value;
  const auc = metric("auc");
  assert.ok(auc > 0.55 && auc <= 1, `held-out AUC ${auc}`);
  assert.ok(metric("log_loss") > 0 && metric("log_loss") < 0.69, `log loss ${metric("log_loss")}`);
  const digest = createHash("sha256").update(readFileSync(join(repo, "data", "training_set.parquet"))).digest("hex");
  assert.equal(shown.data.params.find((p) => p.key === "training_set_sha256")?.value, digest);

  // Registration took the run's one --input as the champion's reference: read back exactly (its
  // digest holds), its own training set shows no drift on any of the service's features.
  const drift = mlf(["-C", repo, "--json", "monitor", "drift", "--model", "delay_model@champion", "--current", join(repo, "data", "training_set.parquet")]);
  assert.equal(drift.status, 0, drift.stderr);
  const report = drift.json<{ reference: { kind: string; sha256: string }; features: { name: string; score: number; drifted: boolean }[] }>();
  assert.deepEqual([report.reference.kind, report.reference.sha256], ["file", digest]);
  assert.deepEqual(report.features.map((f) => f.name.split(":")[1]), names);
  assert.ok(report.features.every((f) => !f.drifted && f.score === 0), JSON.stringify(report.features));
});
