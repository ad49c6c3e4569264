import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { copyToTemp, MLF, MLRUNS_IRIS, mlf, REFERENCE_MODEL, tempDir } from "../helpers.js";

const MODEL = REFERENCE_MODEL;

function mlfAsync(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MLF, ...args], { cwd, env: { ...process.env, TZ: "UTC", NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

test("8 parallel registrations get versions 1..8, each exactly once", async (t) => {
  const dir = tempDir(t);
  const runs = await Promise.all(Array.from({ length: 8 }, () => mlfAsync(["registry", "register", "par", "--file", MODEL, "--json"], dir)));
  for (const r of runs) assert.equal(r.status, 0, r.stderr);
  const versions = runs.map((r) => Number((JSON.parse(r.stdout) as { version: string }).version)).sort((a, b) => a - b);
  assert.deepEqual(versions, [1, 2, 3, 4, 5, 6, 7, 8]);
  const listed = mlf(["registry", "versions", "par", "--json"], { cwd: dir }).json<{ version: string }[]>();
  assert.deepEqual(listed.map((v) => v.version), ["1", "2", "3", "4", "5", "6", "7", "8"]);
  const events = readFileSync(join(dir, "mlruns", "models", "par", "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { action: string; version?: number });
  assert.equal(events[0]!.action, "create_model");
  assert.equal(events.filter((e) => e.action === "create_model").length, 1);
  assert.deepEqual(events.filter((e) => e.action === "register").map((e) => e.version).sort((a, b) => a! - b!), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(readdirSync(join(dir, "mlruns", "models")), ["par"], "no temp folders left behind");
});

test("the CLI reads MLflow's registry as it is, with lineage from the run", (t) => {
  const root = copyToTemp(t, MLRUNS_IRIS);
  const ls = mlf(["registry", "--tracking-dir", root, "ls", "--json"]);
  assert.equal(ls.status, 0, ls.stderr);
  assert.deepEqual(ls.json<{ name: string; latest_versions: { version: string }[] }[]>().map((m) => [m.name, m.latest_versions.map((v) => v.version)]), [["SVMClassifier", ["1"]]]);
  const show = mlf(["registry", "show", "SVMClassifier/1", "--json"], { env: { MLF_TRACKING_DIR: root } });
  assert.equal(show.status, 0, show.stderr);
  const detail = show.json<{ run_id: string; mlf: { lineage: { run_name: string; git_commit: string; metrics: Record<string, number> }; flavors: string[] } }>();
  assert.equal(detail.run_id, "8595f7931d3943f4a7ee038c1728c2c3");
  assert.equal(detail.mlf.lineage.run_name, "SVM_kernel");
  assert.equal(detail.mlf.lineage.git_commit, "4ef3874fc02b1fbd4acf5315fb491172b904d53c");
  assert.ok(Math.abs(detail.mlf.lineage.metrics.metric_0! - 0.9666666666666667) < 1e-12);
  assert.deepEqual(detail.mlf.flavors, ["python_function", "sklearn"]);
});

test("a registration inside a repository checks --features against the applied registry", (t) => {
  const repo = tempDir(t);
  assert.equal(mlf(["init", repo]).status, 0);
  assert.equal(mlf(["apply", "-C", repo]).status, 0);
  const bad = mlf(["registry", "register", "m", "--file", MODEL, "--features", "driver_hourly_stats:nope", "--json"], { cwd: repo });
  assert.equal(bad.status, 2);
  const error = bad.json<{ status: string; error: { code: string; message: string } }>();
  assert.equal(error.error.code, "not_found");
  assert.match(error.error.message, /Feature view "driver_hourly_stats" has no feature "nope"/);
  // The sample service projects 4 features; the reference model takes 30 columns.
  const width = mlf(["registry", "register", "m", "--file", MODEL, "--service", "driver_activity"], { cwd: repo });
  assert.equal(width.status, 2);
  assert.match(width.stderr, /takes 30 input columns but 4 features were given/);
  assert.equal(mlf(["registry", "register", "m", "--file", MODEL], { cwd: repo }).status, 0);
  assert.ok(readdirSync(join(repo, "mlruns", "models", "m")).includes("version-1"), "the repository's tracking.path holds the registry");
  const reserved = mlf(["registry", "alias", "m", "latest", "1"], { cwd: repo });
  assert.equal(reserved.status, 2);
  assert.match(reserved.stderr, /reserved/);
  assert.equal(mlf(["registry", "alias", "m", "champion", "1"], { cwd: repo }).status, 0);
  const missing = mlf(["registry", "show", "m/7", "--json"], { cwd: repo });
  assert.equal(missing.status, 2);
  assert.equal(missing.json<{ error: { code: string } }>().error.code, "not_found");
  const shown = mlf(["registry", "show", "models:/m@champion", "--json"], { cwd: repo }).json<{ version: string; aliases: string[]; mlf: { digest: { verified: boolean } } }>();
  assert.deepEqual([shown.version, shown.aliases, shown.mlf.digest.verified], ["1", ["champion"], true]);
  const deleted = mlf(["registry", "delete-version", "m", "1", "--json"], { cwd: repo }).json();
  assert.deepEqual(deleted, { version: 1, removedAliases: ["champion"] });
  const history = mlf(["registry", "history", "m", "--json"], { cwd: repo }).json<{ action: string }[]>();
  assert.deepEqual(history.map((e) => e.action), ["create_model", "register", "set_alias", "delete_version"]);
});
