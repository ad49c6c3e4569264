import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setAlias } from "../../src/models/lifecycle.js";
import { registerModel } from "../../src/models/register.js";
import { MLF, tempDir } from "../helpers.js";
import { assertClose, expected, MODEL } from "./helpers.js";
import { cancerRepo } from "./repo.js";

type Started = { url: string; models: { name: string; version: string | null; last_error: { message: string } | null }[]; stop(): Promise<number | null> };
type Failed = { status: number | null; stderr: string };

/** Spawns `mlf [-C REPO] serve --port 0 --json ARGS` and waits for its first line (started) or its exit (failed). */
function serve(t: TestContext, args: string[], options: { cwd: string; repo?: string; trackingEnv?: string }): Promise<Started | Failed> {
  const { MLF_TRACKING_DIR: _ignored, MLF_REPO: _repo, ...env } = process.env;
  if (options.trackingEnv !== undefined) env.MLF_TRACKING_DIR = options.trackingEnv;
  const repo = options.repo === undefined ? [] : ["-C", options.repo];
  const child = spawn(process.execPath, [MLF, ...repo, "serve", "--port", "0", "--poll-interval", "0", "--json", ...args], { cwd: options.cwd, env: { ...env, TZ: "UTC", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  t.after(() => void (child.exitCode === null && child.signalCode === null && child.kill("SIGKILL")));
  return new Promise((resolve) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (!out.includes("\n")) return;
      const started = JSON.parse(out.split("\n")[0]!) as Omit<Started, "stop">;
      resolve({ ...started, stop: () => (child.kill("SIGTERM"), exited) });
    });
    void exited.then((status) => resolve({ status, stderr }));
  });
}

/** The server answers /invocations with the reference model's predictions, then stops cleanly. */
async function servesReference(started: Started | Failed, name: string): Promise<void> {
  assert.ok("url" in started, `serve failed: ${"stderr" in started ? started.stderr : ""}`);
  try {
    assert.deepEqual(started.models.map((m) => [m.name, m.version]), [[name, "1"]]);
    const res = await fetch(`${started.url}/invocations`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ instances: expected.rows }) });
    assert.equal(res.status, 200);
    assertClose(((await res.json()) as { predictions: number[] }).predictions, expected.proba_1);
  } finally {
    assert.equal(await started.stop(), 0);
  }
}

/** The server started without its model and names the store it looked in. */
async function servesNothing(started: Started | Failed, store: string): Promise<void> {
  assert.ok("url" in started, `serve failed: ${"stderr" in started ? started.stderr : ""}`);
  try {
    assert.equal(started.models[0]!.version, null);
    assert.ok(started.models[0]!.last_error?.message.includes(`in ${join(store, "models")};`), started.models[0]!.last_error?.message);
  } finally {
    assert.equal(await started.stop(), 0);
  }
}

test("mlf serve finds models in --tracking-dir, else MLF_TRACKING_DIR, else ./mlruns, like track and registry", async (t) => {
  const cwd = tempDir(t); // no feature repository here
  const store = join(cwd, "store");
  await registerModel(store, "cancer", { file: MODEL });
  setAlias(store, "cancer", "champion", 1);
  const empty = join(cwd, "empty");
  mkdirSync(empty);

  // A relative flag is read from the working folder, and it wins over the environment.
  await servesReference(await serve(t, ["--model", "cancer@champion", "--tracking-dir", "store"], { cwd, trackingEnv: empty }), "cancer");
  await servesReference(await serve(t, ["--model", "cancer@champion"], { cwd, trackingEnv: store }), "cancer");
  // Neither: ./mlruns, which has no such model; the server waits for it and says where it looked.
  await servesNothing(await serve(t, ["--model", "cancer@champion"], { cwd }), join(cwd, "mlruns"));
});

test("mlf serve --tracking-dir wins over the repository's tracking.path, and the repository's features are still served", async (t) => {
  const { repo } = await cancerRepo(t);
  const other = tempDir(t);
  await registerModel(other, "plain", { file: MODEL });
  await servesNothing(await serve(t, ["--model", "plain/1"], { cwd: repo.root, repo: repo.root }), join(repo.root, "mlruns"));
  const started = await serve(t, ["--model", "plain/1", "--tracking-dir", other], { cwd: repo.root, repo: repo.root });
  assert.ok("url" in started, "stderr" in started ? started.stderr : "");
  const features = await fetch(`${started.url}/get-online-features`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ features: [`cancer:${expected.feature_names[0]}`], entities: { patient_id: [1000] } }) });
  assert.equal(features.status, 200, await features.clone().text());
  await servesReference(started, "plain");
});
