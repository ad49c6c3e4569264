import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { numericalSample } from "../../src/monitor/sample.js";
import { ksTest } from "../../src/monitor/stattests/ks.js";
import { normedWasserstein } from "../../src/monitor/stattests/distances.js";
import { tempDir } from "../helpers.js";
import { column, fileDrift, writeParquet, type Cell } from "./fixtures.js";
import { lcg, normal } from "./oracle.js";

/**
 * Evidently's default test per branch (`_get_default_stattest`), through real Parquet files:
 * n = reference rows left after dropping NULL/NaN/inf, u = distinct values in both sides.
 */

const draws = (n: number, seed: number, f: (next: () => number) => Cell): Cell[] => {
  const next = lcg(seed);
  return Array.from({ length: n }, () => f(next));
};

async function testChosen(t: { after(fn: () => void): void }, type: string, reference: Cell[], current: Cell[]): Promise<{ test: string | null; score: number | null; drifted: boolean; n: number; missing: number }> {
  const dir = tempDir(t);
  await writeParquet(join(dir, "r.parquet"), { x: type }, column(reference));
  await writeParquet(join(dir, "c.parquet"), { x: type }, column(current));
  const report = await fileDrift(join(dir, "r.parquet"), join(dir, "c.parquet"));
  const [f] = report.features;
  return { test: f!.test, score: f!.score, drifted: f!.drifted, n: f!.reference.values, missing: f!.reference.missingShare };
}

test("numbers, n <= 1000, more than 5 distinct values: KS p-value, drift when p <= 0.05", async (t) => {
  const ref = draws(1000, 1, (next) => normal(next));
  const cur = draws(400, 2, (next) => normal(next) + 0.3);
  const got = await testChosen(t, "DOUBLE", ref, cur);
  assert.equal(got.test, "ks");
  const expected = ksTest(numericalSample(Float64Array.from(ref as number[])), numericalSample(Float64Array.from(cur as number[]))).pValue;
  assert.equal(got.score, expected);
  assert.equal(got.drifted, expected <= 0.05);
  assert.ok(got.drifted, `a 0.3 sd shift in 400 rows is found (p ${got.score})`);
});

test("numbers, n > 1000: Wasserstein distance over the reference's std, drift when >= 0.1", async (t) => {
  const ref = draws(1001, 3, (next) => normal(next) * 2);
  const cur = draws(500, 4, (next) => normal(next) * 2 + 0.1);
  const got = await testChosen(t, "DOUBLE", ref, cur);
  assert.equal(got.test, "wasserstein");
  assert.equal(got.score, normedWasserstein(numericalSample(Float64Array.from(ref as number[])), numericalSample(Float64Array.from(cur as number[]))));
  assert.equal(got.drifted, got.score! >= 0.1);
});

test("NULL, NaN and infinities are dropped before n is counted: 1002 rows with 3 of them is n = 999, KS", async (t) => {
  const ref = [...draws(999, 5, (next) => normal(next)), null, Number.NaN, Infinity];
  const got = await testChosen(t, "DOUBLE", ref, [...draws(300, 6, (next) => normal(next)), -Infinity, null]);
  assert.equal(got.test, "ks");
  assert.equal(got.n, 999);
  assert.equal(got.missing, 2 / 1002, "missing counts NULL and NaN, not infinities");
});

test("numbers with at most 5 distinct values in both sides: chi-square (u > 2) or Z (u <= 2) up to 1000 rows, Jensen-Shannon above", async (t) => {
  const five = (next: () => number) => 1 + Math.floor(next() * 5);
  assert.equal((await testChosen(t, "INTEGER", draws(1000, 7, five), draws(200, 8, five))).test, "chisquare");
  assert.equal((await testChosen(t, "INTEGER", draws(1001, 7, five), draws(200, 8, five))).test, "jensenshannon");
  const two = (next: () => number) => (next() < 0.3 ? 0 : 1);
  assert.equal((await testChosen(t, "INTEGER", draws(1000, 9, two), draws(200, 10, two))).test, "z");
  // u counts both sides: 5 values in the reference and a 6th in the current make numbers "continuous".
  assert.equal((await testChosen(t, "INTEGER", draws(1000, 7, five), [...draws(200, 8, five), 6])).test, "ks");
});

test("categories: chi-square (u > 2) or Z (u <= 2) up to 1000 rows, Jensen-Shannon above", async (t) => {
  const abc = (next: () => number) => "abc"[Math.floor(next() * 3)]!;
  assert.equal((await testChosen(t, "VARCHAR", draws(1000, 11, abc), draws(100, 12, abc))).test, "chisquare");
  assert.equal((await testChosen(t, "VARCHAR", draws(1001, 11, abc), draws(100, 12, abc))).test, "jensenshannon");
  const yesNo = (next: () => number) => (next() < 0.5 ? "yes" : "no");
  const z = await testChosen(t, "VARCHAR", draws(500, 13, yesNo), draws(500, 14, yesNo));
  assert.equal(z.test, "z");
  assert.equal(z.drifted, z.score! < 0.05);
  // Booleans are categories too.
  assert.equal((await testChosen(t, "BOOLEAN", draws(50, 15, (n) => n() < 0.5), draws(50, 16, (n) => n() < 0.5))).test, "z");
});

test("a feature with no values in the current data counts as drifted, with the reason", async (t) => {
  const got = await testChosen(t, "DOUBLE", draws(100, 17, (next) => next()), [null, null, Number.NaN]);
  assert.equal(got.test, null);
  assert.equal(got.drifted, true);
});
