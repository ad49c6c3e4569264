import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { FeatureStore } from "../../src/feature-store.js";
import { MlfError } from "../../src/errors.js";
import { onlineRecords } from "../../src/online/get-online.js";
import { openFeatureBackend } from "../../src/serving/features.js";
import { startServer } from "../../src/serving/server.js";
import { mlf, tempDir } from "../helpers.js";
import { BIG, materializedWideStore, typedRepo } from "./fixtures.js";

const T0 = Date.UTC(2024, 0, 10);

test("FeatureStore.getOnlineFeatures reads with a long-lived handle; pushes are newer-wins and visible at once", async (t) => {
  const dir = tempDir(t);
  const fs = await materializedWideStore(t, dir, T0);
  const read = async () => (await fs.getOnlineFeatures({ entities: { user_id: ["1", 2] }, features: ["wide:f0", "wide:f1"], now: T0 })).results;
  assert.deepEqual((await read())[1]!.values, [1, null]);

  const all = (f0: unknown[]) => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, i === 0 ? f0 : f0.map(() => null)]));
  const pushed = await fs.push("wide", { user_id: [1, "2", 1], ts: [new Date(T0 - 5).toISOString(), T0, new Date(T0 + 1)], ...all([9, 7, 3]) });
  assert.deepEqual(pushed, { rows: 3, views: [{ view: "wide", written: 2 }] }, "the older row for user 1 is skipped");
  const [keys, f0, f1] = await read();
  assert.deepEqual(keys!.values, [1, 2]);
  assert.deepEqual(f0!.values, [3, 7]);
  assert.deepEqual(f1!.statuses, ["NULL_VALUE", "NULL_VALUE"], "null features are stored as null");

  await assert.rejects(fs.push("nope", { user_id: [1] }), { code: "not_found" });
  assert.deepEqual((await read())[1]!.values, [3, 7], "rejected pushes changed nothing");
});

/** A push of one row of every dtype for `user`, as JSON can carry it. */
const typedRow = (user: unknown, changes: Record<string, unknown> = {}): Record<string, unknown[]> => ({
  user_id: [user],
  ts: [Date.UTC(2024, 0, 2)],
  created: [null],
  i32: [2147483647],
  i64: ["9007199254740993"],
  f32: [1.5],
  f64: [-0.25],
  s: ["x"],
  b: ["hi"],
  flag: [false],
  at: ["2024-01-02T03:04:05Z"],
  ...Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, [v]])),
});

async function typedServer(t: TestContext) {
  const dir = tempDir(t);
  const repo = await typedRepo(dir);
  const fs = await FeatureStore.open(dir);
  const server = await startServer({ port: 0, pollSeconds: 0, features: await openFeatureBackend(repo) });
  t.after(async () => {
    await server.close();
    await fs.close();
  });
  const push = async (body: unknown) => {
    const res = await fetch(`${server.url}/push`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const read = async (users: unknown[]) =>
    onlineRecords(await fs.getOnlineFeatures({ entities: { user_id: users }, features: ["typed:i32", "typed:i64", "typed:f32", "typed:f64", "typed:s", "typed:b", "typed:flag", "typed:at"] }));
  return { dir, fs, server, push, read };
}

test("pushRows and /push are one path: the same rows store the same values, the same mistakes get the same errors", async (t) => {
  const { fs, push, read } = await typedServer(t);
  assert.deepEqual(await fs.push("typed", typedRow(10)), { rows: 1, views: [{ view: "typed", written: 1 }] });
  const http = await push({ feature_view: "typed", df: typedRow(11), to: "online" });
  assert.equal(http.status, 200, JSON.stringify(http.body));
  assert.deepEqual(http.body, { status: "ok", feature_views: ["typed"], rows: 1 });
  const stored = { i32: 2147483647, i64: BIG, f32: 1.5, f64: -0.25, s: "x", b: "aGk=", flag: false, at: "2024-01-02T03:04:05Z" };
  assert.deepEqual(await read([10, 11]), [{ user_id: 10, ...stored }, { user_id: 11, ...stored }]);

  const refused: [string, Record<string, unknown[]>, RegExp][] = [
    ["int32 above 2^31 - 1", typedRow(12, { i32: 2147483648 }), /2147483648 of feature "i32" in row 0 is not a valid int32/],
    ["int64 number beyond 2^53", typedRow(12, { i64: 2 ** 53 + 2 }), /of feature "i64" in row 0 is not a valid int64; pass an integer \(a number up to 2\^53, or a string of digits\)/],
    ["float as text", typedRow(12, { f64: "1.5" }), /"1\.5" of feature "f64" in row 0 is not a valid float64/],
    ["bool as a number", typedRow(12, { flag: 1 }), /feature "flag" in row 0 is not a valid bool; pass true or false/],
    ["string as a number", typedRow(12, { s: 5 }), /feature "s" in row 0 is not a valid string/],
    ["a time that is not one", typedRow(12, { ts: "yesterday" }), /"yesterday" of "ts" in row 0 is not a time/],
    ["fractional epoch ms", typedRow(12, { ts: 1.5 }), /1\.5 of "ts" in row 0 is not a time/],
    ["a null key", typedRow(null), /null of join key "user_id" in row 0 is not a valid int64/],
    ["a missing feature column", (({ f32: _f32, ...rest }) => rest)(typedRow(12)), /The column "f32" is missing; feature view "typed" needs user_id, ts, i32/],
    ["an unknown column", { ...typedRow(12), f64x: [1] }, /The column "f64x" is not a join key, timestamp or feature of feature view "typed"/],
    ["columns of unequal length", { ...typedRow(12), s: ["x", "y"] }, /The column "s" has 2 values but "user_id" has 1/],
    ["no rows", Object.fromEntries(Object.keys(typedRow(12)).map((k) => [k, []])), /The push has no rows/],
  ];
  for (const [what, df, message] of refused) {
    const library = await fs.push("typed", df).then(
      () => assert.fail(`${what}: the library accepted it`),
      (error: unknown) => error as MlfError,
    );
    assert.ok(library instanceof MlfError && library.code === "invalid_argument", `${what}: ${String(library)}`);
    assert.match(library.message, message, what);
    const answer = await push({ feature_view: "typed", df });
    assert.equal(answer.status, 400, what);
    assert.deepEqual(answer.body, { error_code: "invalid_argument", message: library.message }, `${what}: /push says the same`);
  }
  // Values JSON can not carry are refused by the library the same way.
  for (const [what, value] of [["Infinity", Infinity], ["-Infinity", -Infinity], ["NaN", Number.NaN]] as const) {
    await assert.rejects(fs.push("typed", typedRow(12, { f64: value })), { code: "invalid_argument", message: /feature "f64" in row 0 is not a valid float64; pass a finite number/ }, what);
  }
  assert.deepEqual(await read([10, 11, 12]), [{ user_id: 10, ...stored }, { user_id: 11, ...stored }, { user_id: 12, i32: null, i64: null, f32: null, f64: null, s: null, b: null, flag: null, at: null }], "refused pushes wrote nothing");
});

test("a push to a source writes every online view reading it, through the library and /push alike", async (t) => {
  const { fs, push } = await typedServer(t);
  assert.deepEqual(await fs.push({ pushSource: "events" }, typedRow(20, { i64: 5n })), { rows: 1, views: [{ view: "typed", written: 1 }, { view: "typed_i64", written: 1 }] });
  const http = await push({ push_source_name: "events", df: typedRow(21, { i64: "6" }) });
  assert.deepEqual(http.body, { status: "ok", feature_views: ["typed", "typed_i64"], rows: 1 });
  const online = await fs.getOnlineFeatures({ entities: { user_id: [20, 21] }, features: ["typed_i64:i64"] });
  assert.deepEqual(online.results[1]!.values, [5, 6]);
  assert.equal((await push({ push_source_name: "nope", df: typedRow(22) })).status, 404);
});

test("int64 values beyond 2^53 come back exact: library bigints, exact JSON numbers from get-online --json and /get-online-features", async (t) => {
  const { dir, fs, server } = await typedServer(t);
  await fs.materialize(Date.UTC(2023, 0, 1), Date.UTC(2024, 0, 1));
  // A key beyond 2^53 too, pushed as text and read back by its digits.
  await fs.push("typed", typedRow(String(BIG), { i64: String(-BIG) }));
  const online = await fs.getOnlineFeatures({ entities: { user_id: [1, String(BIG)] }, features: ["typed:i64", "typed:i32", "typed:flag", "typed:at"] });
  assert.deepEqual(onlineRecords(online), [
    { user_id: 1, i64: BIG, i32: -5, flag: true, at: "2023-12-31T00:00:00Z" },
    { user_id: BIG, i64: -BIG, i32: 2147483647, flag: false, at: "2024-01-02T03:04:05Z" },
  ]);

  const cli = mlf(["-C", dir, "get-online", "-e", `user_id=1,${BIG}`, "-f", "typed:i64", "--json"]);
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(cli.stdout.trim(), `[{"user_id":1,"i64":${BIG}},{"user_id":${BIG},"i64":${-BIG}}]`);
  const table = mlf(["-C", dir, "get-online", "-e", `user_id=1`, "-f", "typed:i64", "--format", "table"]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`1\\s+${BIG}`));

  const res = await fetch(`${server.url}/get-online-features`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ features: ["typed:i64"], entities: { user_id: [1, String(BIG)] } }) });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(text.includes(`"values":[1,${BIG}]`) && text.includes(`"values":[${BIG},${-BIG}]`), text);
});
