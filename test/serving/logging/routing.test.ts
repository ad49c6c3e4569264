import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { expected } from "../helpers.js";
import { aliases, answersOf, lab, predict, route, routedServer } from "../routing/setup.js";
import { logDirOf, readLog } from "./helpers.js";

/** Routed /predict answers in the feature log: each row under the variant and version that answered it, shadows as a second record. */

const users = Array.from({ length: 60 }, (_, i) => 20_000 + i);

interface Row {
  request_id: string;
  request_row: number;
  variant: string | null;
  model_version: number;
  prediction: number;
  "key.patient_id": bigint;
  "cancer:mean_radius": number;
  "status.cancer:mean_radius": string;
}
const columns = `request_id, request_row, variant, model_version, prediction, "key.patient_id", "cancer:mean_radius", "status.cancer:mean_radius"`;

const close = (a: number, b: number) => Math.abs(a - b) < 1e-5;

/** Versions 1 and 2 as champion and challenger, served under `flag` with every request logged, and the answer to one request for all `users`. */
async function servedAndLogged(t: TestContext, flag: string) {
  const l = await lab(t);
  aliases(l, 1, 2);
  const dir = logDirOf(l.repo);
  const server = await routedServer(t, l, route(flag), { featureLog: { dir, sampleRate: 1, flushSeconds: 3600, queueSize: 10_000 } });
  return { l, dir, server, answer: await predict(server, users) };
}

test("canary: a batch split between variants is logged row by row as answered: variant, version, prediction and inputs at the row's place in the request", async (t) => {
  const { dir, server, answer } = await servedAndLogged(t, "cancer:canary=cancer@challenger:50%");
  assert.equal(answer.status, 200, answer.text);
  const { predictions, variants, model_versions, request_id } = answer.body as { predictions: number[]; variants: string[]; model_versions: string[]; request_id: string };
  assert.ok(new Set(variants).size === 2, "both variants answered some rows");
  await server.featureLog!.flush();

  const rows = (await readLog(dir, "models", "cancer", columns)) as unknown as Row[];
  assert.equal(rows.length, users.length);
  const byPlace = new Map(rows.map((r) => [r.request_row, r]));
  assert.equal(byPlace.size, users.length, "every row of the request once");
  users.forEach((u, i) => {
    const row = byPlace.get(i)!;
    assert.equal(row.request_id, request_id);
    assert.equal(row["key.patient_id"], BigInt(u));
    assert.equal(row.variant, variants[i]);
    assert.equal(String(row.model_version), model_versions[i]);
    assert.ok(close(row.prediction, predictions[i]!), `row ${i}`);
    assert.equal(row["cancer:mean_radius"], expected.rows[u % 30]![0]);
    assert.equal(row["status.cancer:mean_radius"], "PRESENT");
  });
});

test("shadow: the answer is logged under champion, the shadow's predictions as a second record of the request under shadow, each on its own rows", async (t) => {
  // The shadow scores half the rows: their places in the request are logged, not 0..k-1.
  const { l, dir, server, answer } = await servedAndLogged(t, "cancer:shadow=cancer@challenger:50%");
  assert.equal(answer.status, 200, answer.text);
  const { predictions, request_id } = answer.body as { predictions: number[]; request_id: string };
  await server.routing!.settled();
  await server.featureLog!.flush();

  const rows = (await readLog(dir, "models", "cancer", columns)) as unknown as Row[];
  const answered = rows.filter((r) => r.variant === "champion");
  const shadowed = rows.filter((r) => r.variant === "shadow");
  assert.equal(answered.length + shadowed.length, rows.length);
  assert.equal(answered.length, users.length);
  answered.forEach((r) => {
    assert.equal(r.request_id, request_id);
    assert.equal(r.model_version, 1);
    assert.ok(close(r.prediction, predictions[r.request_row]!));
  });
  assert.ok(shadowed.length > 0 && shadowed.length < users.length, `${shadowed.length} rows shadowed`);
  const places = shadowed.map((r) => r.request_row);
  assert.ok(places.some((p, i) => p !== i), "positions are the request's, not the shadow's own");
  const own = (await answersOf(l.shifted, places.map((p) => users[p]!))) as number[];
  shadowed.forEach((r, i) => {
    assert.equal(r.request_id, request_id);
    assert.equal(r.model_version, 2);
    assert.equal(r["key.patient_id"], BigInt(users[r.request_row]!));
    assert.equal(r["cancer:mean_radius"], expected.rows[users[r.request_row]! % 30]![0]);
    assert.ok(close(r.prediction, own[i]!), `shadow row ${r.request_row}`);
  });
});
