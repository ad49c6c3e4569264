import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MLF, mlf, tempDir } from "../helpers.js";

test("--help lists every command of the contract", () => {
  const help = mlf(["--help"]);
  assert.equal(help.status, 0);
  for (const name of ["init", "plan", "apply", "teardown", "entities", "feature-views", "feature-services", "sources", "materialize", "materialize-incremental", "get-historical", "get-online", "serve", "server", "track", "registry"]) {
    assert.match(help.stdout, new RegExp(`^  ${name}\\b`, "m"), name);
  }
});

test("unknown commands and options are usage errors (exit 2)", () => {
  assert.equal(mlf(["frobnicate"]).status, 2);
  assert.equal(mlf(["plan", "--no-such-flag"]).status, 2);
});

test("the repository is found with -C, MLF_REPO or the nearest ancestor", (t) => {
  const base = tempDir(t);
  const dir = join(base, "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  assert.equal(mlf(["apply"], { cwd: dir }).status, 0);
  const nested = join(dir, "notebooks", "deep");
  mkdirSync(nested, { recursive: true });
  assert.deepEqual(mlf(["--json", "entities", "list"], { cwd: nested }).json<{ name: string }[]>().map((e) => e.name), ["driver"]);
  assert.equal(mlf(["--json", "entities", "list"], { cwd: base, env: { MLF_REPO: dir } }).status, 0);
  const missing = mlf(["entities", "list"], { cwd: base, env: { MLF_REPO: "" } });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /No feature_store.yaml found/);
  const wrong = mlf(["-C", base, "entities", "list"]);
  assert.match(wrong.stderr, /No feature_store.yaml in/);
});

test("init refuses a folder that already holds a repository", (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  assert.match(readFileSync(join(dir, ".gitignore"), "utf8"), /^\.mlf\/$/m, "the config cache is not committed");
  const again = mlf(["init", dir]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already holds a feature repository/);
});

test("catalogue: list and describe as JSON, unknown names are clear errors", (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  const view = mlf(["-C", dir, "--json", "feature-views", "describe", "driver_daily_stats"]).json<Record<string, unknown>>();
  assert.equal(view.ttl, "1w");
  assert.deepEqual(view.entities, ["driver"]);
  const service = mlf(["-C", dir, "--json", "feature-services", "describe", "driver_activity"]).json<{ features: unknown[] }>();
  assert.deepEqual(service.features, [{ driver_hourly_stats: ["conv_rate", "trips"] }, "driver_daily_stats"]);
  const sources = mlf(["-C", dir, "--json", "sources", "list"]).json<{ name: string; type: string }[]>();
  assert.deepEqual(sources.map((s) => `${s.name}:${s.type}`), ["driver_stats:file", "driver_daily:query"]);
  const unknown = mlf(["-C", dir, "--json", "entities", "describe", "nope"]);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.json<{ error: { code: string } }>().error.code, "not_found");
});

test("feature_store.yaml: unknown keys in a store block and a bad project name are errors", (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  writeFileSync(join(dir, "feature_store.yaml"), "project: my-project\nonline_store:\n  type: sqlite\n  pth: x.db\n");
  const plan = mlf(["-C", dir, "plan"]);
  assert.equal(plan.status, 2);
  assert.match(plan.stderr, /feature_store.yaml:1: project is "my-project"/);
  assert.match(plan.stderr, /feature_store.yaml:4: unknown key online_store.pth/);
});

test("a reader that closes the pipe early (| head) is not an error", async (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  const { spawnSync } = await import("node:child_process");
  // `true` exits without reading, so every write of mlf meets a closed pipe.
  const command = `set -o pipefail; "${process.execPath}" "${MLF}" -C "${dir}" --json feature-views list | true`;
  const r = spawnSync("bash", ["-c", command], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
});
