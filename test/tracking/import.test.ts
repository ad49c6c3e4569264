import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { ROOT, mlf, mlfErrorWith, tempDir } from "../helpers.js";
import { importMlflowDb } from "../../src/mlflow/import-db.js";
import { listVersions, readModel } from "../../src/models/store.js";
import { getExperiment, getMetricHistory, getRun } from "../../src/tracking/read.js";

/** An mlflow.db built from MLflow's published schema (test/fixtures/mlflow-db), filled with rows. */
function mlflowDb(dir: string, extra: (db: Database.Database) => void = () => {}): string {
  const file = join(dir, "mlflow.db");
  const db = new Database(file);
  const schema = readFileSync(join(ROOT, "test", "fixtures", "mlflow-db", "latest_schema.sql"), "utf8");
  for (const statement of schema.split(/\n\s*\n\s*\n/).map((s) => s.trim()).filter(Boolean)) db.exec(statement);
  const run = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
  const other = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  db.exec(`
    insert into experiments values (0, 'Default', 'mlflow-artifacts:/0', 'active', 1700000000000, 1700000000000);
    insert into experiments values (1, 'iris', 'mlflow-artifacts:/1', 'active', 1700000000001, 1700000000002);
    insert into experiment_tags values ('team', 'ops', 1);
    insert into runs values ('${run}', 'rf', 'LOCAL', 'train.py', '', 'ana', 'FINISHED', 1700000001000, 1700000002000, 'abc', 'active', 'mlflow-artifacts:/1/${run}/artifacts', 1, NULL);
    insert into runs values ('${other}', 'old', 'LOCAL', '', '', 'bob', 'KILLED', 1700000000500, NULL, '', 'deleted', 'mlflow-artifacts:/0/${other}/artifacts', 0, 1700000003000);
    insert into params values ('n_estimators', '100', '${run}');
    insert into params values ('criterion', 'gini', '${run}');
    insert into tags values ('mlflow.runName', 'rf', '${run}');
    insert into tags values ('mlflow.user', 'ana', '${run}');
    insert into metrics values ('loss', 0.9, 1700000001100, '${run}', 0, 0);
    insert into metrics values ('loss', 0.1 + 0.2, 1700000001200, '${run}', 1, 0);
    insert into metrics values ('loss', 0, 1700000001300, '${run}', 2, 1);
    insert into metrics values ('acc', 0.975, 1700000001300, '${run}', 2, 0);
    insert into latest_metrics values ('loss', 0, 1700000001300, 2, 1, '${run}');
    insert into registered_models values ('iris_rf', 1700000004000, 1700000005000, 'random forest');
    insert into registered_model_tags values ('owner', 'ana', 'iris_rf');
    insert into model_versions values ('iris_rf', 1, 1700000004000, 1700000005000, 'first', 'ana', 'Production', 'mlflow-artifacts:/1/${run}/artifacts/model', '${run}', 'READY', NULL, '', 'mlflow-artifacts:/1/${run}/artifacts/model');
    insert into model_versions values ('iris_rf', 2, 1700000004500, 1700000004500, '', 'ana', 'None', 'models:/m-123', '${run}', 'READY', NULL, '', NULL);
    insert into model_version_tags values ('validated', 'true', 'iris_rf', 1);
    insert into registered_model_aliases values ('champion', 1, 'iris_rf');
  `);
  extra(db);
  db.close();
  return file;
}

function digestTree(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (name === "events.jsonl") continue; // the audit log gains a line only the first time
      hash.update(p.slice(dir.length));
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

test("an mlflow.db comes over losslessly: experiments, runs, metric history, registry", (t) => {
  const dir = tempDir(t);
  const root = join(dir, "mlruns");
  const summary = importMlflowDb(root, mlflowDb(dir));
  assert.deepEqual(summary, { experiments: 2, runs: 2, params: 2, tags: 2, metricPoints: 4, models: 1, versions: 2, aliases: 1 });
  const exp = getExperiment(root, "iris");
  assert.deepEqual([exp.experimentId, exp.tags, exp.creationTime], ["1", { team: "ops" }, 1700000000001]);
  const run = getRun(root, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
  assert.deepEqual([run.info.runName, run.info.userId, run.info.status, run.info.startTime, run.info.endTime], ["rf", "ana", "FINISHED", 1700000001000, 1700000002000]);
  assert.deepEqual(run.params, { n_estimators: "100", criterion: "gini" });
  const loss = getMetricHistory(root, run.info.runId, "loss").metrics;
  assert.deepEqual(loss.map((m) => [m.timestamp, m.step]), [[1700000001100, 0], [1700000001200, 1], [1700000001300, 2]]);
  assert.equal(loss[1]!.value, 0.1 + 0.2, "doubles round-trip exactly");
  assert.ok(Number.isNaN(loss[2]!.value), "is_nan rows stay NaN");
  assert.equal(run.metrics.acc?.value, 0.975);
  const old = getRun(root, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  assert.deepEqual([old.info.lifecycleStage, old.info.status, old.info.endTime], ["deleted", "KILLED", null]);
  const model = readModel(root, "iris_rf");
  assert.deepEqual([model.description, model.tags, model.aliases], ["random forest", { owner: "ana" }, { champion: 1 }]);
  const versions = listVersions(root, "iris_rf");
  assert.deepEqual(versions.map((v) => [v.version, v.currentStage, v.source, v.tags, v.aliases]), [
    [1, "Production", "mlflow-artifacts:/1/a1b2c3d4e5f60718293a4b5c6d7e8f90/artifacts/model", { validated: "true" }, ["champion"]],
    [2, "None", "models:/m-123", {}, []],
  ]);

  const before = digestTree(root);
  importMlflowDb(root, join(dir, "mlflow.db"));
  assert.equal(digestTree(root), before, "a second import changes nothing");
  const cli = mlf(["track", "import", join(dir, "mlflow.db"), "--json", "--tracking-dir", root]);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(cli.json<{ runs: number }>().runs, 2);
  assert.equal(digestTree(root), before);
});

test("a database with a name that would escape its folder, or no database at all, changes nothing", (t) => {
  const dir = tempDir(t);
  const root = join(dir, "mlruns");
  const file = mlflowDb(dir, (db) => db.exec("insert into params values ('../../evil', 'x', 'a1b2c3d4e5f60718293a4b5c6d7e8f90')"));
  assert.throws(() => importMlflowDb(root, file), mlfErrorWith("invalid_argument", /evil/));
  assert.throws(() => readdirSync(root), /ENOENT/);
  const notDb = join(dir, "notes.db");
  writeFileSync(notDb, "hello");
  assert.throws(() => importMlflowDb(root, notDb), mlfErrorWith("invalid_data", /not a readable SQLite database/));
  assert.throws(() => importMlflowDb(root, join(dir, "missing.db")), mlfErrorWith("file_not_found"));
});
