import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startMlflowServer, type MlflowServer } from "../../src/mlflow/server.js";
import { readEvents } from "../../src/models/events.js";
import { modelDir } from "../../src/models/store.js";
import { openRepo } from "../../src/repo/repo.js";
import { registerUi, startUiServer } from "../../src/ui/server.js";
import type { ModelDriftReport } from "../../src/monitor/model-drift.js";
import type { DriftVersion, FeatureCatalogue, UiInfo, VersionView } from "../../src/ui/types.js";
import { MLF, mlfErrorWith, tempDir } from "../helpers.js";
import { buildUiStore, type UiStore } from "./fixture.js";

/** The UI's server side over HTTP: the write guard, the UI API, artifact downloads, assets and the token. */

const cleanups: (() => void)[] = [];
const t = { after: (fn: () => void) => cleanups.push(fn) };
let store: UiStore;
const servers: MlflowServer[] = [];

before(async () => {
  store = await buildUiStore(t);
});
after(async () => {
  for (const s of servers) await s.close();
  for (const fn of cleanups.reverse()) fn();
});

async function ui(options: { allowWrites?: boolean; authToken?: string } = {}): Promise<MlflowServer> {
  const server = await startUiServer({ root: store.tracking, repo: await openRepo(store.repo), port: 0, cacheDir: tempDir(t, "mlf-cache-"), ...options });
  servers.push(server);
  return server;
}

async function call(server: MlflowServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    json = { text };
  }
  return { status: response.status, body: json, headers: response.headers };
}

const api = "/ajax-api/2.0/mlflow";
const aliasFile = (alias: string) => join(modelDir(store.tracking, "driver_model"), "aliases", alias);

describe("the UI's server", () => {
  test("read-only by default: MLflow's reads answer (POST searches included), every write is refused with 403 and changes nothing", async () => {
    const s = await ui();
    const events = readEvents(store.tracking, "driver_model").length;
    assert.equal((await call(s, "GET", `${api}/runs/get?run_id=${store.runs.forest}`)).status, 200);
    const search = await call(s, "POST", `${api}/runs/search`, { experiment_ids: [store.experimentId], filter: "metrics.auc > 0.8" });
    assert.deepEqual([search.status, (search.body.runs as unknown[]).length], [200, 2]);
    assert.equal((await call(s, "POST", `${api}/registered-models/search`, {})).status, 200);
    for (const [method, path, body] of [
      ["POST", `${api}/runs/create`, { experiment_id: "0" }],
      ["POST", `${api}/registered-models/alias`, { name: "driver_model", alias: "x", version: "2" }],
      ["DELETE", `${api}/registered-models/alias`, { name: "driver_model", alias: "champion" }],
      ["POST", `${api}/model-versions/transition-stage`, { name: "driver_model", version: "2", stage: "Production" }],
      ["PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/f.txt", "data"],
    ] as const) {
      const r = await call(s, method, path, body);
      assert.deepEqual([r.status, r.body.error_code], [403, "PERMISSION_DENIED"], `${method} ${path}`);
      assert.match(String(r.body.message), /read-only; start it with --allow-writes/);
    }
    assert.equal(readFileSync(aliasFile("champion"), "utf8"), "1");
    assert.equal(readEvents(store.tracking, "driver_model").length, events);
  });

  test("--allow-writes: alias and stage changes go through the registry's own calls into the audit log; nothing else is writable, nor writable cross-site", async () => {
    const s = await ui({ allowWrites: true });
    assert.equal((await call(s, "GET", "/ui-api/info")).body.allowWrites, true);
    assert.equal((await call(s, "POST", `${api}/registered-models/alias`, { name: "driver_model", alias: "shadow", version: "2" })).status, 200);
    assert.equal(readFileSync(aliasFile("shadow"), "utf8"), "2");
    const moved = await call(s, "POST", `${api}/model-versions/transition-stage`, { name: "driver_model", version: "2", stage: "Production", archive_existing_versions: true });
    assert.equal(moved.status, 200);
    const tail = readEvents(store.tracking, "driver_model").slice(-3).map((e) => [e.action, e.version, e.alias ?? null, e.after]);
    assert.deepEqual(tail, [
      ["set_alias", 2, "shadow", { version: 2 }],
      ["transition_stage", 2, null, { stage: "Production" }],
      ["transition_stage", 1, null, { stage: "Archived" }],
    ]);
    assert.equal((await call(s, "DELETE", `${api}/registered-models/alias`, { name: "driver_model", alias: "shadow" })).status, 200);
    assert.equal(existsSync(aliasFile("shadow")), false);
    const create = await call(s, "POST", `${api}/runs/create`, { experiment_id: "0" });
    assert.equal(create.status, 403);
    assert.match(String(create.body.message), /changes only aliases and stages .*mlf server/);
    const host = new URL(s.url).host;
    const evil = await call(s, "POST", `${api}/registered-models/alias`, { name: "driver_model", alias: "evil", version: "2" }, { origin: "http://attacker.example" });
    assert.deepEqual([evil.status, evil.body.error_code], [403, "PERMISSION_DENIED"]);
    assert.equal(existsSync(aliasFile("evil")), false);
    const same = await call(s, "POST", `${api}/registered-models/alias`, { name: "driver_model", alias: "champion", version: "1" }, { origin: `http://${host}` });
    assert.equal(same.status, 200);
    // Put the fixture back as the other tests expect it.
    await call(s, "POST", `${api}/model-versions/transition-stage`, { name: "driver_model", version: "1", stage: "Production", archive_existing_versions: false });
    await call(s, "POST", `${api}/model-versions/transition-stage`, { name: "driver_model", version: "2", stage: "Staging", archive_existing_versions: false });
  });

  test("the feature catalogue: every lineage edge of the sample repository, intervals, and freshness against each view's ttl", async () => {
    const s = await ui();
    const { body } = await call(s, "GET", "/ui-api/features");
    const c = body as unknown as FeatureCatalogue;
    assert.equal(c.project, "repo");
    // The sample repository (mlf init) written out by hand: a query source over the file source,
    // two views, one service over both, and the two registered versions fed by that service.
    assert.deepEqual(c.graph.edges.map((e) => `${e.from} -> ${e.to}`).sort(), [
      "source:driver_daily -> view:driver_daily_stats",
      "source:driver_stats -> source:driver_daily",
      "source:driver_stats -> view:driver_hourly_stats",
      "service:driver_activity -> model:driver_model/1",
      "service:driver_activity -> model:driver_model/2",
      "view:driver_daily_stats -> service:driver_activity",
      "view:driver_hourly_stats -> service:driver_activity",
    ].sort());
    assert.deepEqual(c.graph.nodes.map((n) => [n.id, n.column]).sort(), [
      ["model:driver_model/1", 4], ["model:driver_model/2", 4], ["service:driver_activity", 3],
      ["source:driver_daily", 1], ["source:driver_stats", 0], ["view:driver_daily_stats", 2], ["view:driver_hourly_stats", 2],
    ]);
    const view = (name: string) => c.views.find((v) => v.name === name)!;
    const hourly = view("driver_hourly_stats");
    const daily = view("driver_daily_stats");
    assert.deepEqual([hourly.freshness, hourly.intervals.length, daily.freshness, daily.intervals.length], ["stale", 1, "fresh", 2]);
    // Ages from the server's clock: 30 hours against a 1-day ttl, 2 hours against 7 days.
    assert.ok(Math.abs(hourly.ageSeconds! - 30 * 3600) < 120, String(hourly.ageSeconds));
    assert.ok(Math.abs(daily.ageSeconds! - 2 * 3600) < 120, String(daily.ageSeconds));
    assert.equal(daily.materializedUntil, daily.intervals.at(-1)!.end.replace(/\.000Z$/, "Z"));
    assert.deepEqual(c.models.map((m) => [m.model, m.version, m.featureService, m.views.sort()]), [
      ["driver_model", 1, "driver_activity", ["driver_daily_stats", "driver_hourly_stats"]],
      ["driver_model", 2, "driver_activity", ["driver_daily_stats", "driver_hourly_stats"]],
    ]);
    assert.deepEqual(c.services[0]!.features, [
      { view: "driver_hourly_stats", features: ["conv_rate", "trips"], all: false },
      { view: "driver_daily_stats", features: ["conv_rate_1d", "trips_1d"], all: true },
    ]);
  });

  test("compare, the audit log and a version's lineage: what mlf track compare and mlf registry history|show report", async () => {
    const s = await ui();
    const { body } = await call(s, "GET", `/ui-api/compare?run_id=${store.runs.baseline}&run_id=${store.runs.strongReg}`);
    const params = body.params as { key: string; values: string[]; differs: boolean }[];
    assert.deepEqual(params.map((p) => [p.key, p.values, p.differs]), [
      ["C", ["1.0", "0.1"], true],
      ["features", ["driver_activity", "driver_activity"], false],
      ["model", ["logistic_regression", "logistic_regression"], false],
    ]);
    const one = await call(s, "GET", `/ui-api/compare?run_id=${store.runs.baseline}`);
    assert.deepEqual([one.status, one.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
    const events = (await call(s, "GET", "/ui-api/models/driver_model/events")).body.events as { action: string }[];
    assert.deepEqual(events.slice(0, 6).map((e) => e.action), ["create_model", "register", "register", "set_alias", "transition_stage", "transition_stage"]);
    const detail = (await call(s, "GET", "/ui-api/models/driver_model/versions/1")).body as unknown as VersionView;
    const lineage = detail.lineage as { runId: string; gitCommit: string };
    assert.deepEqual([detail.featureService, detail.digest.verified, lineage.runId, lineage.gitCommit.slice(0, 7), detail.reference?.rows], ["driver_activity", true, store.runs.baseline, "3f2c9d1", 300]);
    assert.equal(((await call(s, "GET", "/ui-api/models/driver_model/versions/2")).body as unknown as VersionView).reference, null);
    assert.equal((await call(s, "GET", "/ui-api/models/nope/events")).status, 404);
    assert.equal((await call(s, "GET", "/ui-api/models/..%2Fx/events")).status, 400);
  });

  test("drift: the versions with a reference, and version 1's feature logs against it, as mlf monitor drift --model reports", async () => {
    const s = await ui();
    const { body } = await call(s, "GET", "/ui-api/drift");
    const versions = body.versions as DriftVersion[];
    assert.deepEqual(versions.map((v) => [v.model, v.version, v.reference.rows, v.reference.present, v.reference.features.length, v.logs.files]), [["driver_model", 1, 300, true, 4, 1]]);
    const report = (await call(s, "GET", "/ui-api/drift/report?model=driver_model/1&since=24h")).body as unknown as ModelDriftReport;
    // The fixture moved conv_rate and trips_1d, and served a quarter of trips too old.
    assert.deepEqual(report.features.map((f) => [f.name, f.test, f.drifted]), [
      ["driver_hourly_stats:conv_rate", "ks", true],
      ["driver_hourly_stats:trips", "ks", false],
      ["driver_daily_stats:conv_rate_1d", "ks", false],
      ["driver_daily_stats:trips_1d", "ks", true],
    ]);
    assert.deepEqual([report.dataset.drifted, report.dataset.features, report.dataset.drift, report.reference.rows, report.current.rows], [2, 4, true, 300, 200]);
    assert.equal(report.features[1]!.current.statusShares!.OUTSIDE_MAX_AGE, 0.25);
    assert.deepEqual(report.model, { name: "driver_model", version: 1 });
    const none = await call(s, "GET", "/ui-api/drift/report?model=driver_model/2");
    assert.deepEqual([none.status, none.body.error_code], [400, "INVALID_PARAMETER_VALUE"]);
    assert.match(String(none.body.message), /Version 2 of model "driver_model" has no reference data/);
  });

  test("artifact downloads: the exact bytes, runs MLflow wrote in a copied store too, nothing outside the run's folder", async () => {
    const s = await ui();
    const model = await fetch(`${s.url}/get-artifact?run_uuid=${store.runs.forest}&path=model/model.onnx`);
    assert.equal(model.status, 200);
    assert.match(model.headers.get("content-disposition")!, /attachment; filename="model.onnx"/);
    const bytes = Buffer.from(await model.arrayBuffer());
    assert.deepEqual(bytes, readFileSync(join(modelDir(store.tracking, "driver_model"), "version-2", "model.onnx")));
    // mlruns-iris records artifact URIs of its author's machine: listing and download use the run's own folder.
    const iris = "1c00447556424067ae62fe39e167bb34";
    const listed = await call(s, "GET", `${api}/artifacts/list?run_id=${iris}&path=model`);
    assert.ok((listed.body.files as { path: string }[]).some((f) => f.path === "model/MLmodel"));
    const mlmodel = await fetch(`${s.url}/get-artifact?run_uuid=${iris}&path=model/MLmodel`);
    assert.equal(await mlmodel.text(), readFileSync(join(store.tracking, "853099972095872099", iris, "artifacts", "model", "MLmodel"), "utf8"));
    for (const [path, status] of [["../meta.yaml", 400], ["/etc/passwd", 400], ["model", 404], ["nope.txt", 404]] as const) {
      const r = await call(s, "GET", `/get-artifact?run_uuid=${store.runs.forest}&path=${encodeURIComponent(path)}`);
      assert.equal(r.status, status, path);
    }
  });

  test("assets: the page is public and revalidated, hashed files cached for a year, every answer with data needs the token", async () => {
    const s = await ui({ authToken: "s3cret" });
    const page = await fetch(`${s.url}/`);
    const html = await page.text();
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("cache-control"), "no-cache");
    assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
    assert.equal((await fetch(`${s.url}/`, { headers: { "if-none-match": page.headers.get("etag")! } })).status, 304);
    const script = /src="(assets\/main-[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${s.url}/${script}`);
    assert.deepEqual([js.status, js.headers.get("cache-control"), js.headers.get("content-type")], [200, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"]);
    // No address outside this server in the page or its code: everything was bundled.
    assert.doesNotMatch(html + (await js.text()), /https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
    assert.equal((await call(s, "GET", "/ui-api/info")).status, 401);
    assert.equal((await call(s, "GET", `${api}/runs/get?run_id=${store.runs.forest}`)).status, 401);
    assert.equal((await call(s, "POST", "/ui-api/session", { token: "guess" })).status, 401);
    const signed = await call(s, "POST", "/ui-api/session", { token: "s3cret" });
    const cookie = signed.headers.get("set-cookie")!;
    assert.match(cookie, /^mlf_token=s3cret; HttpOnly; SameSite=Strict; Path=\/$/);
    const info = await call(s, "GET", "/ui-api/info", undefined, { cookie: cookie.split(";")[0]! });
    assert.deepEqual([info.status, (info.body as unknown as UiInfo).allowWrites, (info.body as unknown as UiInfo).repo?.project], [200, false, "repo"]);
    assert.equal((await call(s, "GET", "/ui-api/info", undefined, { authorization: "Bearer s3cret" })).status, 200);
    await assert.rejects(startUiServer({ root: store.tracking, port: 0, assetsDir: tempDir(t) }), mlfErrorWith("unavailable", /web UI is not built .*npm run build/));
  });

  test("mlf server serves the same page, with MLflow's writes open as its REST API has them", async () => {
    const repo = await openRepo(store.repo);
    const s = await startMlflowServer({ root: store.tracking, port: 0, cacheDir: tempDir(t, "mlf-cache-"), extend: (app, ctx) => registerUi(app, ctx, { writes: "all", repo }) });
    servers.push(s);
    assert.match(await (await fetch(`${s.url}/`)).text(), /<div id="app">/);
    assert.equal((await call(s, "GET", "/ui-api/info")).body.allowWrites, true);
    assert.equal((await call(s, "POST", `${api}/experiments/create`, { name: "from-server" })).status, 200);
  });

  test("mlf ui on the command line: a free port, its URL as JSON, and not one file written into the store it shows", async () => {
    const empty = tempDir(t, "mlf-ui-empty-");
    const child = spawn(process.execPath, [MLF, "ui", "--port", "0", "--json", "--tracking-dir", empty], { cwd: empty, env: { ...process.env, MLF_CACHE_DIR: tempDir(t) }, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    try {
      const line = await new Promise<string>((done, fail) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) done(out.split("\n")[0]!);
        });
        child.once("exit", (code) => fail(new Error(`mlf ui exited with ${code}`)));
      });
      const started = JSON.parse(line) as { url: string; allow_writes: boolean; repo: string | null };
      assert.deepEqual([started.allow_writes, started.repo], [false, null]);
      assert.equal((await fetch(`${started.url}/`)).status, 200);
      const info = (await (await fetch(`${started.url}/ui-api/info`)).json()) as UiInfo;
      assert.deepEqual([info.repo, info.allowWrites], [null, false]);
      const experiments = await (await fetch(`${started.url}${api}/experiments/search`)).json();
      assert.deepEqual(experiments, {});
      assert.deepEqual(readdirSync(empty), []);
    } finally {
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    }
  });
});
