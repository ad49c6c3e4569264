import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadExplainer } from "../../src/explain/explainer.js";
import { setAlias } from "../../src/models/lifecycle.js";
import { logFilePath, logFolder } from "../../src/repo/feature-logs.js";
import { backgroundRows } from "../../src/models/reference.js";
import { readReference } from "../../src/monitor/read-reference.js";
import { openFeatureBackend } from "../../src/serving/features.js";
import { modelSource } from "../../src/serving/model-registry-source.js";
import { fixture } from "../explain/helpers.js";
import { mlf } from "../helpers.js";
import { writeParquet, type Cell } from "../monitor/fixtures.js";
import { diabetesIds, diabetesNames, diabetesRefs, diabetesRepo, diabetesRows } from "./diabetes-repo.js";
import { post, serve } from "./helpers.js";

/** `mlf explain` is /explain without a server, printed as a chart; `--global` averages |attribution|. */

async function setUp(t: TestContext) {
  const setup = await diabetesRepo(t);
  setAlias(setup.trackingDir, "diabetes", "champion", 1);
  const forest = await loadExplainer(fixture("diabetes_forest").bytes, { background: backgroundRows(readReference(setup.trackingDir, "diabetes/1")!.profile), featureNames: diabetesRefs });
  t.after(() => forest.close());
  const explain = (args: string[]) => mlf(["-C", setup.dir, "explain", ...args]);
  return { ...setup, forest, explain };
}

test("mlf explain prints /explain's answer with --json, and a signed bar chart sorted by |attribution|", async (t) => {
  const { repo, trackingDir, explain } = await setUp(t);
  const run = explain(["--model", "diabetes@champion", "-e", `patient_id=${diabetesIds[3]}`, "--json"]);
  assert.equal(run.status, 0, run.stderr);
  const server = await serve(t, { features: await openFeatureBackend(repo), models: [modelSource(trackingDir, "diabetes@champion")] });
  const served = await post(server, "/explain", { model: "diabetes", entities: { patient_id: diabetesIds[3] } });
  assert.deepEqual(run.json(), served.body);

  const batch = explain(["--model", "diabetes@champion", "-e", `patient_id=${diabetesIds[3]},${diabetesIds[4]}`, "--value", "diabetes:bmi=0.05", "--json"]);
  assert.equal(batch.status, 0, batch.stderr);
  const servedBatch = await post(server, "/explain", { model: "diabetes", entities: { patient_id: [diabetesIds[3], diabetesIds[4]] }, features: { "diabetes:bmi": [0.05, 0.05] } });
  assert.deepEqual(batch.json(), servedBatch.body);

  const text = explain(["--model", "diabetes@champion", "-e", `patient_id=${diabetesIds[3]}`]);
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.trimEnd().split("\n");
  const answer = served.body;
  assert.match(lines[0]!, /^diabetes version 1: prediction [\d.]+; tree, exact$/);
  assert.match(lines[1]!, /base value [\d.]+ = mean over 120 reference rows/);
  const bars = lines.slice(2, 2 + diabetesRefs.length);
  const byMagnitude = [...answer.attributions].sort((a: any, b: any) => Math.abs(b.attribution) - Math.abs(a.attribution));
  bars.forEach((line, i) => {
    const a = byMagnitude[i];
    const [left, right] = line.split("│") as [string, string];
    assert.ok(left.trimStart().startsWith(a.feature), `line ${i} is ${a.feature}: ${line}`);
    assert.ok(left.includes(String(Number(a.value.toPrecision(4)))), `its value: ${line}`);
    assert.equal(left.includes("█") || left.includes("▏") || /[▎▍▌▋▊▉]/.test(left), a.attribution < 0, `a negative attribution's bar is left of the axis: ${line}`);
    assert.match(right.trim(), a.attribution < 0 ? /^-[\d.e-]+$/ : /^[█▏▎▍▌▋▊▉]*\s*\+[\d.e-]+$/);
  });
  assert.equal((bars[0]!.match(/█/g) ?? []).length, 24, "the largest attribution has the full bar");
  assert.match(lines.at(-1)!, /^ {2}base [\d.]+ [+-][\d.]+ \(sum of attributions\) = [\d.]+$/);
});

test("mlf explain --global without logs averages |attribution| over the reference sample", async (t) => {
  const { forest, explain } = await setUp(t);
  const run = explain(["--model", "diabetes@champion", "--global", "--json"]);
  assert.equal(run.status, 0, run.stderr);
  const report = run.json<any>();
  const expected = await forest.globalImportance(diabetesRows);
  assert.equal(report.source.kind, "reference");
  assert.equal(report.source.note, "no feature logs");
  assert.match(report.source.logs, /data\/logs\/models\/diabetes$/);
  assert.deepEqual([report.rows, report.available, report.background_rows, report.method, report.space], [120, 120, 120, "tree", "output"]);
  assert.deepEqual(report.features, expected.features);

  const text = explain(["--model", "diabetes@champion", "--global"]);
  const lines = text.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^diabetes version 1: mean \|attribution\| \(tree, output space\) over 120 reference rows/);
  lines.slice(1).forEach((line, i) => assert.ok(line.trimStart().startsWith(expected.features[i]!.feature), line));
  assert.equal((lines[1]!.match(/█/g) ?? []).length, 48);
});

/** Feature log rows of `version` in the layout src/repo/feature-logs.ts defines. */
function logRows(at: number, version: number, rows: number[], nullAt?: [number, number]): Cell[][] {
  return rows.map((r, k) => {
    const values: Cell[] = diabetesRows[r]!.map((v, i) => (nullAt?.[0] === r && nullAt[1] === i ? null : v));
    const statuses = values.map((v) => (v === null ? "NULL_VALUE" : "PRESENT"));
    return [new Date(at + k).toISOString(), "diabetes", version, "/predict", `req-${version}-${r}`, 0, diabetesIds[r]!, ...values, ...statuses, 100];
  });
}

async function writeLog(dir: string, at: number, rows: Cell[][]): Promise<void> {
  const file = logFilePath(logFolder(join(dir, "data", "logs"), "models", "diabetes"), at, 1);
  mkdirSync(dirname(file), { recursive: true });
  const columns = {
    timestamp: "TIMESTAMPTZ", model: "VARCHAR", model_version: "INTEGER", route: "VARCHAR", request_id: "VARCHAR", request_row: "INTEGER", "key.patient_id": "BIGINT",
    ...Object.fromEntries(diabetesRefs.map((f) => [f, "DOUBLE"])),
    ...Object.fromEntries(diabetesRefs.map((f) => [`status.${f}`, "VARCHAR"])),
    prediction: "DOUBLE",
  };
  await writeParquet(file, columns, rows);
}

test("mlf explain --global over feature logs: the version's logged rows, --since, --rows and --current", async (t) => {
  const { dir, forest, explain } = await setUp(t);
  const hour = 3_600_000;
  const now = Math.floor(Date.now() / hour) * hour;
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  // Three hours ago: 20 rows of version 1. This hour: 15 more (one with a null value), and 5 of version 2.
  await writeLog(dir, now - 3 * hour, logRows(now - 3 * hour, 1, range(0, 20)));
  await writeLog(dir, now, [...logRows(now, 1, range(20, 35), [22, 4]), ...logRows(now, 2, range(40, 45))]);
  const logged = (rows: number[]) => rows.map((r) => diabetesRows[r]!.map((v, i) => (r === 22 && i === 4 ? Number.NaN : v)));

  const all = explain(["--model", "diabetes@champion", "--global", "--json"]);
  assert.equal(all.status, 0, all.stderr);
  const report = all.json<any>();
  assert.deepEqual([report.source.kind, report.source.files, report.rows, report.available], ["logs", 2, 35, 35]);
  const expected = await forest.globalImportance(logged(range(0, 35)));
  report.features.forEach((f: { feature: string; importance: number }, i: number) => {
    assert.equal(f.feature, expected.features[i]!.feature);
    assert.ok(Math.abs(f.importance - expected.features[i]!.importance) < 1e-9, `${f.feature}: ${f.importance} vs ${expected.features[i]!.importance}`);
  });

  const recent = explain(["--model", "diabetes@champion", "--global", "--since", "1h", "--json"]).json<any>();
  assert.deepEqual([recent.rows, recent.available], [15, 15]);
  const recentExpected = await forest.globalImportance(logged(range(20, 35)));
  recent.features.forEach((f: { importance: number }, i: number) => assert.ok(Math.abs(f.importance - recentExpected.features[i]!.importance) < 1e-9));

  const sampled = explain(["--model", "diabetes@champion", "--global", "--rows", "10", "--json"]);
  assert.deepEqual([sampled.json<any>().rows, sampled.json<any>().available], [10, 35]);
  assert.deepEqual(explain(["--model", "diabetes@champion", "--global", "--rows", "10", "--json"]).json(), sampled.json(), "the same sample every time");

  // A training-set file as --current: columns found by feature name.
  const current = explain(["--model", "diabetes/1", "--global", "--current", join(dir, "data", "diabetes.csv"), "--rows", "120", "--json"]).json<any>();
  assert.deepEqual([current.source.kind, current.rows], ["file", 120]);
  const fromFile = await forest.globalImportance(diabetesRows);
  current.features.forEach((f: { importance: number }, i: number) => assert.ok(Math.abs(f.importance - fromFile.features[i]!.importance) < 1e-9));

  const v2 = explain(["--model", "diabetes/2", "--global", "--json"]).json<any>();
  assert.deepEqual([v2.model.version, v2.method, v2.source.kind, v2.rows], [2, "linear", "logs", 5]);
});

test("mlf explain errors: no reference data, flags that do not go together, data without the model's columns", async (t) => {
  const { dir, explain } = await setUp(t);
  const cases: [string[], number, RegExp][] = [
    [["--model", "bare/1", "-e", "patient_id=2000"], 1, /Version 1 of model "bare" has no reference data to explain against; register the model again with --reference FILE/],
    [["--model", "bare/1", "--global"], 1, /no reference data/],
    [["--model", "diabetes/1"], 2, /Pass the entity to explain with -e key=value/],
    [["--model", "diabetes/1", "--global", "-e", "patient_id=2000"], 2, /drop -e/],
    [["--model", "diabetes/1", "-e", "patient_id=2000", "--since", "1h"], 2, /go with --global/],
    [["--model", "diabetes/1", "-e", "patient_id=2000", "-f", "diabetes:age"], 2, /records its inputs/],
    [["--model", "diabetes/1", "--global", "--since", "1h"], 1, /No feature log folder/],
    [["--model", "diabetes/1", "--global", "--current", join(dir, "features.yaml")], 2, /neither \.parquet nor \.csv/],
    [["--model", "nope/1", "--global"], 2, /nope/],
  ];
  for (const [args, status, message] of cases) {
    const run = explain(args);
    assert.equal(run.status, status, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message, args.join(" "));
    assert.equal(run.stderr.split("\n").filter(Boolean).length, 1, "one sentence, no stack trace");
  }
  assert.equal(diabetesNames.length, 10);
});
