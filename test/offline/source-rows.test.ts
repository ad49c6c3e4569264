import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OfflineEngine } from "../../src/offline/engine.js";
import { csvRows, csvSourceRows } from "../../src/offline/source-rows.js";
import { tempDir } from "../helpers.js";
import { random } from "./fixtures.js";

/** A CSV file's rows as the join plan sizes it up (see csvRows): counted when small, else estimated from samples. */

test("a small CSV file's rows are counted, with or without a final line break", async (t) => {
  const dir = tempDir(t, "mlf-csv-rows-");
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  assert.equal(await csvRows(file("three.csv", "id,ts\n1,a\n2,b\n3,c\n")), 3);
  assert.equal(await csvRows(file("unterminated.csv", "id,ts\r\n1,a\r\n2,b")), 2);
  assert.equal(await csvRows(file("header.csv", "id,ts\n")), 0);
  assert.equal(await csvRows(file("empty.csv", "")), 0);
  assert.equal(await csvRows(join(dir, "missing.csv")), undefined);
});

test("a large CSV file's rows are estimated from samples spread over it, within 10% when line lengths drift through the file", async (t) => {
  const dir = tempDir(t, "mlf-csv-rows-");
  const next = random(5);
  // 60,000 rows (3.8 MiB) whose text column grows from 1 to 60 characters: the 4 samples
  // overestimate the rows by 7%, the first 256 KiB alone would by 71%.
  const rows = 60_000;
  const lines = Array.from({ length: rows }, (_, i) => `${i},2024-03-01 00:00:00,${next().toFixed(6)},${"x".repeat(1 + Math.floor(i / 1000))}`);
  const path = join(dir, "drift.csv");
  writeFileSync(path, `user_id,ts,score,note\n${lines.join("\n")}\n`);
  const estimate = (await csvRows(path))!;
  assert.ok(Math.abs(estimate - rows) / rows < 0.1, `${estimate} rows estimated for ${rows}`);

  // Line breaks inside quoted values count as rows: never an underestimate.
  const quoted = join(dir, "quoted.csv");
  writeFileSync(quoted, `id,note\n${Array.from({ length: rows }, (_, i) => `${i},"two\nlines ${"y".repeat(20)}"`).join("\n")}\n`);
  assert.ok((await csvRows(quoted))! >= rows);
});

test("a CSV glob's rows are its files' added up, as read_csv matches them, stopping past the bound", async (t) => {
  const dir = tempDir(t, "mlf-csv-rows-");
  mkdirSync(join(dir, "parts"));
  const rows = (n: number, from: number) => `id,ts\n${Array.from({ length: n }, (_, i) => `${from + i},2024-03-01`).join("\n")}\n`;
  writeFileSync(join(dir, "parts", "a.csv"), rows(3, 0));
  writeFileSync(join(dir, "parts", "b.csv"), rows(5, 3));
  writeFileSync(join(dir, "parts", "c.csv"), rows(1, 8));
  writeFileSync(join(dir, "parts", "notes.txt"), "not,a\nsource,file\n");
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  t.after(() => engine.close());
  const pattern = join(dir, "parts", "*.csv");
  const [{ n }] = (await engine.rows(`SELECT count(*) AS n FROM read_csv('${pattern}', header = true)`)) as [{ n: bigint }];
  assert.equal(await csvSourceRows(engine, pattern, 100), Number(n), "the rows read_csv reads");
  assert.equal(await csvSourceRows(engine, pattern, 9), 9);
  assert.equal(await csvSourceRows(engine, pattern, 8), undefined, "past the bound: more rows than asked about");
  assert.equal(await csvSourceRows(engine, join(dir, "parts", "b.csv"), 1), 5, "one file: counted whatever the bound");
  assert.equal(await csvSourceRows(engine, join(dir, "parts", "[ab].csv"), 100), 8);
  assert.equal(await csvSourceRows(engine, join(dir, "none", "*.csv"), 100), 0);
});
