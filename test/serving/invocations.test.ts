import { test } from "node:test";
import assert from "node:assert/strict";
import { fileModelSource } from "../../src/serving/sources.js";
import { MODEL, assertClose, expected, post, serve } from "./helpers.js";

const names = expected.feature_names;
const records = expected.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));

test("MLflow's four JSON input forms and CSV reproduce scikit-learn's P(class 1) within 1e-5", async (t) => {
  const server = await serve(t, { models: [fileModelSource(MODEL)] });
  const forms: Record<string, unknown> = {
    dataframe_split: { dataframe_split: { columns: names, data: expected.rows } },
    dataframe_records: { dataframe_records: records },
    instances: { instances: expected.rows },
    "inputs as a list": { inputs: expected.rows },
    "inputs by name": { inputs: { input: expected.rows } },
  };
  for (const [form, body] of Object.entries(forms)) {
    const res = await post(server, "/invocations", body);
    assert.equal(res.status, 200, `${form}: ${res.text}`);
    assertClose(res.body.predictions, expected.proba_1);
  }
  const csv = [names.join(","), ...expected.rows.map((r) => r.join(","))].join("\n");
  const res = await post(server, "/invocations", csv, "text/csv");
  assert.equal(res.status, 200, res.text);
  assertClose(res.body.predictions, expected.proba_1);
});

test("bad requests get a JSON error with the right status and never echo the body", async (t) => {
  const server = await serve(t, { models: [fileModelSource(MODEL)], bodyLimitBytes: 64 * 1024 });
  const secret = "s".repeat(500);
  const cases: [string, unknown, number, string, string?][] = [
    ["two keys", { instances: expected.rows, inputs: expected.rows }, 400, "invalid_argument"],
    ["no key", {}, 400, "invalid_argument"],
    ["unknown key", { dataframe: [] }, 400, "invalid_argument"],
    ["malformed JSON", "{\"instances\": [", 400, "invalid_argument"],
    ["string in a float column", { instances: [[secret, ...expected.rows[0]!.slice(1)]] }, 400, "invalid_argument"],
    ["boolean in a float column", { instances: [[true, ...expected.rows[0]!.slice(1)]] }, 400, "invalid_argument"],
    ["wrong width", { instances: [[1, 2, 3]] }, 400, "invalid_argument"],
    ["ragged rows", { instances: [expected.rows[0], [1, 2]] }, 400, "invalid_argument"],
    ["no rows", { dataframe_split: { columns: names, data: [] } }, 400, "invalid_argument"],
    ["body over the limit", { instances: Array.from({ length: 400 }, () => expected.rows[0]) }, 413, "payload_too_large"],
    ["plain text", "hello", 415, "unsupported_media_type", "text/plain"],
    ["CSV with a short row", `${names.join(",")}\n1,2`, 400, "invalid_argument", "text/csv"],
  ];
  for (const [what, body, status, code, type] of cases) {
    const res = await post(server, "/invocations", body, type);
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assert.equal(res.body.error_code, code, what);
    assert.equal(typeof res.body.message, "string");
    assert.ok(!res.text.includes(secret), `${what}: the error echoes the request`);
    assert.ok(res.text.length < 600, `${what}: error is ${res.text.length} characters`);
  }
  const unknownModel = await post(server, "/invocations?model=nope", { instances: expected.rows });
  assert.equal(unknownModel.status, 404);
  assert.equal(unknownModel.body.error_code, "not_found");
});
