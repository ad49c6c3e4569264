import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { materialize, materializeIncremental } from "../../src/online/materialize.js";
import { MAX_INTERVALS, readRegistry } from "../../src/repo/registry.js";
import { mlf, mlfErrorWith, tempDir } from "../helpers.js";
import { HOUR, wideRepo, wideRow } from "../online/fixtures.js";

const T0 = Date.UTC(2024, 0, 10);
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

test("a registry that is not JSON, not mlf's, of another shape or of a newer format is one clear sentence (exit 1), and nothing changes", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, [wideRow(1, T0, 1)]);
  const path = repo.config.registry;
  const good = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const cases: [string, string, RegExp][] = [
    ["torn", '{"format": 2, "proj', /is not valid JSON \(.+\); delete it and run "mlf apply" to write it again, then materialize again\.$/],
    ["foreign", JSON.stringify({ nodes: [], edges: [] }), /is not an mlf feature registry; delete it and run "mlf apply"/],
    ["wrong shape", JSON.stringify({ ...good, online: { wide: { tableVersion: "1", intervals: [] } } }), /does not have the shape of format 2; delete it/],
    ["unknown key", JSON.stringify({ ...good, extra: true }), /does not have the shape of format 2/],
    ["newer", JSON.stringify({ ...good, format: 3 }), /was written by a newer mlf \(format 3\); upgrade mlf to use it\.$/],
  ];
  for (const [name, text, message] of cases) {
    writeFileSync(path, text);
    assert.throws(() => readRegistry(path), mlfErrorWith("invalid_data", message), name);
    const cli = mlf(["-C", dir, "--json", "feature-views", "list"]);
    assert.equal(cli.status, 1, name);
    const error = cli.json<{ status: string; error: { code: string; message: string } }>();
    assert.equal(error.status, "error");
    assert.equal(error.error.code, "invalid_data");
    assert.ok(error.error.message.startsWith(`The feature registry ${path} `), name);
    assert.equal(readFileSync(path, "utf8"), text, `${name}: the file is left as it was`);
  }
});

test("a format-1 registry (mlf 0.1) is read as the greatest end and the last intervals, and written back in format 2", async (t) => {
  const dir = tempDir(t);
  const repo = await wideRepo(dir, [wideRow(1, T0, 1), wideRow(1, T0 + 5 * HOUR, 5)]);
  const path = repo.config.registry;
  const v2 = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  // Format 1 differed only in its materializations: every run of every view, in run order.
  const old = Array.from({ length: 14 }, (_, i) => ({ start: iso(T0 - 100 * HOUR), end: iso(T0 + (i === 3 ? 4 : -i) * HOUR), at: iso(T0 + i) }));
  const { online: _online, ...header } = v2;
  writeFileSync(path, JSON.stringify({ ...header, format: 1, materializations: { wide: old } }));

  const state = readRegistry(path)!.online.wide!;
  assert.equal(state.until, iso(T0 + 4 * HOUR), "the greatest end, not the last one");
  assert.deepEqual(state.intervals, old.slice(-MAX_INTERVALS));
  const list = mlf(["-C", dir, "--json", "feature-views", "list"]).json<{ materialized_until: string }[]>();
  assert.equal(list[0]!.materialized_until, iso(T0 + 4 * HOUR));
  assert.equal(JSON.parse(readFileSync(path, "utf8")).format, 1, "reading writes nothing");

  const [run] = await materializeIncremental(repo, T0 + 5 * HOUR, { now: T0 + 5 * HOUR });
  assert.equal(run!.start, iso(T0 + 4 * HOUR));
  const written = JSON.parse(readFileSync(path, "utf8"));
  assert.equal(written.format, 2);
  assert.equal(written.online.wide.until, iso(T0 + 5 * HOUR));
  assert.equal(written.online.wide.intervals.length, MAX_INTERVALS);
  assert.equal(written.materializations, undefined);
});

test(`the registry keeps the greatest end and the last ${MAX_INTERVALS} intervals, however many runs there were`, async (t) => {
  const repo = await wideRepo(tempDir(t), [wideRow(1, T0, 1)]);
  for (let i = 0; i < MAX_INTERVALS + 3; i++) await materialize(repo, T0 - HOUR, T0 + (i === 0 ? 50 : i) * HOUR, { now: T0 + 60 * HOUR });
  const state = readRegistry(repo.config.registry)!.online.wide!;
  assert.equal(state.until, iso(T0 + 50 * HOUR));
  assert.deepEqual(state.intervals.map((i) => i.end), Array.from({ length: MAX_INTERVALS }, (_, k) => iso(T0 + (k + 3) * HOUR)));
});
