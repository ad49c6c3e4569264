import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { mlf, tempDir } from "../helpers.js";

function sampleRepo(t: Parameters<typeof tempDir>[0]): string {
  const dir = join(tempDir(t), "repo");
  const init = mlf(["init", dir]);
  assert.equal(init.status, 0, init.stderr);
  return dir;
}

const onlineTables = (dir: string) => {
  const db = new Database(join(dir, "data", "online.db"), { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name").all().map((r) => (r as { name: string }).name);
  } finally {
    db.close();
  }
};

test("init, apply and plan --exit-code: a fresh sample repository applies cleanly", (t) => {
  const dir = sampleRepo(t);
  const pending = mlf(["-C", dir, "plan", "--exit-code"]);
  assert.equal(pending.status, 3, "changes are pending before the first apply");
  assert.match(pending.stdout, /^Created entity driver$/m);
  assert.ok(!existsSync(join(dir, "data", "registry.json")), "plan writes nothing");

  const apply = mlf(["-C", dir, "--json", "apply"]);
  assert.equal(apply.status, 0, apply.stderr);
  const result = apply.json<{ changes: { action: string; kind: string; name: string }[]; registry_version: number }>();
  assert.equal(result.registry_version, 1);
  assert.deepEqual(
    result.changes.map((c) => `${c.action} ${c.kind} ${c.name}`).sort(),
    ["create entity driver", "create feature service driver_activity", "create feature view driver_daily_stats", "create feature view driver_hourly_stats", "create source driver_daily", "create source driver_stats"],
  );
  assert.deepEqual(onlineTables(dir), ["repo__driver_daily_stats", "repo__driver_hourly_stats"]);

  const clean = mlf(["-C", dir, "plan", "--exit-code"]);
  assert.equal(clean.status, 0, clean.stderr);
  const again = mlf(["-C", dir, "--json", "apply"]);
  assert.equal(again.json<{ registry_version: number }>().registry_version, 1, "an apply without changes keeps the version");
});

test("apply updates changed objects, deletes removed ones and drops their online tables", (t) => {
  const dir = sampleRepo(t);
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  const file = join(dir, "features.yaml");
  const text = readFileSync(file, "utf8");
  const withoutDaily = text
    .replace(/  - name: driver_daily_stats[\s\S]*?(?=\nfeature_services:)/, "")
    .replace("      - driver_daily_stats\n", "")
    .replace("ttl: 1d", "ttl: 2d");
  writeFileSync(file, withoutDaily);
  const plan = mlf(["-C", dir, "plan"]);
  assert.equal(plan.status, 0, plan.stderr);
  assert.match(plan.stdout, /^Updated feature view driver_hourly_stats$/m);
  assert.match(plan.stdout, /^Deleted feature view driver_daily_stats$/m);
  assert.match(plan.stdout, /^Updated feature service driver_activity$/m);
  assert.match(plan.stdout, /^Dropped online table for driver_daily_stats$/m);
  const apply = mlf(["-C", dir, "--json", "apply"]);
  assert.equal(apply.json<{ registry_version: number }>().registry_version, 2);
  assert.deepEqual(onlineTables(dir), ["repo__driver_hourly_stats"]);
  const views = mlf(["-C", dir, "--json", "feature-views", "list"]).json<{ name: string; ttl: string }[]>();
  assert.deepEqual(views.map((v) => [v.name, v.ttl]), [["driver_hourly_stats", "2d"]]);
});

test("a changed schema recreates the view's online table with a warning", (t) => {
  const dir = sampleRepo(t);
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  const file = join(dir, "features.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("      - {name: acc_rate, dtype: float64}\n", ""));
  const apply = mlf(["-C", dir, "apply"]);
  assert.equal(apply.status, 0, apply.stderr);
  assert.match(apply.stdout, /Recreated online table for driver_hourly_stats/);
  assert.match(apply.stderr, /warning: the online table of driver_hourly_stats was recreated/);
});

test("every definition problem is reported at once with file, line and hint; nothing changes", (t) => {
  const dir = sampleRepo(t);
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  const registryBefore = readFileSync(join(dir, "data", "registry.json"), "utf8");
  mkdirSync(join(dir, "more"));
  writeFileSync(
    join(dir, "more", "bad.yaml"),
    [
      "entities:",
      "  - name: driver", // duplicate
      "    join_keys: [driver_id]",
      "  - name: rider",
      "    value_type: float", // bad value type
      "feature_views:",
      "  - name: broken",
      "    entities: [nobody]", // unknown entity
      "    source: nowhere", // unknown source
      "    ttl: soon", // bad ttl
      "    colour: red", // unknown key
      "    schema:",
      "      - {name: x, dtype: float64}",
      "feature_services:",
      "  - name: svc",
      "    features:",
      "      - driver_hourly_stats: [no_such_feature]",
      "",
    ].join("\n"),
  );
  const plan = mlf(["-C", dir, "--json", "plan"]);
  assert.equal(plan.status, 2);
  const body = plan.json<{ status: string; error: { code: string; problems: { file: string; line: number; message: string; hint: string }[] } }>();
  assert.equal(body.status, "error");
  assert.equal(body.error.code, "invalid_definition");
  const messages = body.error.problems.map((p) => `${p.file}:${p.line} ${p.message}`);
  assert.ok(messages.some((m) => m.startsWith("more/bad.yaml:11 unknown key feature_views[0] (broken).colour")), messages.join("\n"));
  assert.ok(messages.some((m) => /more\/bad.yaml:4 entity "rider" has value_type "float"/.test(m)), messages.join("\n"));
  assert.ok(messages.some((m) => /more\/bad.yaml:2 entity "driver" is defined twice \(first at features.yaml:\d+\)/.test(m)), messages.join("\n"));
  assert.ok(body.error.problems.every((p) => p.hint), "every problem has a hint");
  assert.doesNotMatch(plan.stderr, /    at /, "no stack trace without --verbose");
  assert.equal(readFileSync(join(dir, "data", "registry.json"), "utf8"), registryBefore);

  // Once the schema problems are fixed, the cross-reference rules report theirs, all together.
  writeFileSync(
    join(dir, "more", "bad.yaml"),
    "feature_views:\n  - name: broken\n    entities: [nobody]\n    source: nowhere\n    schema:\n      - {name: x, dtype: float64}\nfeature_services:\n  - name: svc\n    features:\n      - driver_hourly_stats: [no_such_feature]\n",
  );
  const rules = mlf(["-C", dir, "plan"]);
  assert.equal(rules.status, 2);
  assert.match(rules.stderr, /more\/bad.yaml:2: feature view "broken" uses unknown entity "nobody"/);
  assert.match(rules.stderr, /more\/bad.yaml:2: feature view "broken" reads unknown source "nowhere"/);
  assert.match(rules.stderr, /more\/bad.yaml:8: feature service "svc" uses unknown feature "driver_hourly_stats:no_such_feature"/);
});

test("definitions are checked against the data: missing files and columns, uncastable dtypes, bad SQL", (t) => {
  const dir = sampleRepo(t);
  const file = join(dir, "features.yaml");
  writeFileSync(
    file,
    readFileSync(file, "utf8")
      .replace("- {name: acc_rate, dtype: float64}", "- {name: acc_rate, dtype: float64}\n      - {name: rating, dtype: float64}")
      .replace("avg(conv_rate) as conv_rate_1d", "avg(conv_rate) as conv_rate_1d, 'x' || driver_id as label")
      .replace("- {name: trips_1d, dtype: int64}", "- {name: trips_1d, dtype: int64}\n      - {name: label, dtype: int64}"),
  );
  writeFileSync(
    join(dir, "sources2.yaml"),
    "sources:\n  - name: gone\n    type: file\n    path: data/gone.parquet\n    timestamp_field: ts\n  - name: bad_sql\n    type: query\n    sql: selec nothing\n    timestamp_field: ts\n  - name: no_ts\n    type: file\n    path: data/driver_stats.csv\n    timestamp_field: when\n",
  );
  const plan = mlf(["-C", dir, "plan"]);
  assert.equal(plan.status, 2, plan.stderr);
  assert.match(plan.stderr, /source "gone" reads data\/gone.parquet, which does not exist/);
  // The file problem is found before DuckDB runs; fix it to see the data problems.
  writeFileSync(join(dir, "sources2.yaml"), readFileSync(join(dir, "sources2.yaml"), "utf8").replace("data/gone.parquet", "data/driver_stats.csv"));
  const data = mlf(["-C", dir, "plan"]);
  assert.equal(data.status, 2, data.stderr);
  assert.match(data.stderr, /source "gone" has no column "ts"/);
  assert.match(data.stderr, /source "bad_sql" has SQL that DuckDB rejects/);
  assert.match(data.stderr, /source "no_ts" has no column "when"/);
  assert.match(data.stderr, /feature view "driver_hourly_stats" needs column "rating", which source "driver_stats" does not have/);
  assert.match(data.stderr, /feature "driver_daily_stats:label" is declared int64 but \d+ values of source column \(VARCHAR\) cannot be cast to it/);
});

test("teardown drops the online tables and the registry", (t) => {
  const dir = sampleRepo(t);
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  const down = mlf(["-C", dir, "teardown"]);
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(onlineTables(dir), []);
  assert.ok(!existsSync(join(dir, "data", "registry.json")));
  const list = mlf(["-C", dir, "entities", "list"]);
  assert.equal(list.status, 2);
  assert.match(list.stderr, /run "mlf apply" first/);
});
