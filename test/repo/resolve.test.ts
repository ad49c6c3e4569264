import { test } from "node:test";
import assert from "node:assert/strict";
import { planRead } from "../../src/online/read-plan.js";
import { tableSpec } from "../../src/online/table-spec.js";
import { resolveFeatureInputs } from "../../src/models/features.js";
import { parseFeatureRef, parseSelection, resolveSelection, serviceRefs, type FeatureSelection } from "../../src/repo/resolve.js";
import type { Definitions } from "../../src/repo/types.js";
import { mlfErrorWith } from "../helpers.js";

/**
 * Every rule of the one feature resolver (src/repo/resolve.ts), once. Online reads, history,
 * model registration and the server use it as it is; the tests of those only check that
 * they answer its errors.
 */
const defs: Definitions = {
  entities: [
    { name: "driver", joinKey: "driver_id", valueType: "int64" },
    { name: "rider", joinKey: "rider_id", valueType: "string" },
    { name: "driver_text", joinKey: "driver_id", valueType: "string" },
  ],
  sources: [{ name: "trips", type: "file", path: "trips.parquet", timestampField: "ts", fieldMapping: {} }],
  featureViews: [
    { name: "hourly", entities: ["driver"], source: "trips", ttlSeconds: 3600, online: true, schema: [{ name: "conv", dtype: "float64" }, { name: "trips", dtype: "int64" }], tags: {} },
    { name: "daily", entities: ["driver", "rider"], source: "trips", ttlSeconds: 0, online: true, schema: [{ name: "trips", dtype: "int64" }, { name: "rating", dtype: "float32" }], tags: {} },
    { name: "archive", entities: ["rider"], source: "trips", ttlSeconds: 0, online: false, schema: [{ name: "spend", dtype: "float64" }], tags: {} },
    { name: "global", entities: [], source: "trips", ttlSeconds: 0, online: true, schema: [{ name: "total", dtype: "int64" }], tags: {} },
    { name: "texty", entities: ["driver_text"], source: "trips", ttlSeconds: 0, online: true, schema: [{ name: "label", dtype: "string" }], tags: {} },
  ],
  featureServices: [
    { name: "model_v1", features: [{ view: "daily", features: ["rating"] }, { view: "hourly" }] },
    { name: "clash", features: [{ view: "hourly", features: ["trips"] }, { view: "daily", features: ["trips"] }] },
  ],
};

const resolve = (selection: FeatureSelection, options?: { online?: boolean }) => resolveSelection(defs, selection, options);
const shape = (selection: FeatureSelection) => {
  const r = resolve(selection);
  return { columns: r.columns, views: r.views.map((v) => [v.view.name, v.features.map((f) => `${f.name}->${f.output}`)]), keys: [...r.joinKeys].map(([k, v]) => `${k}:${v.valueType}:${v.views.join("+")}`) };
};

test("rule 1: exactly one of feature refs and a feature service", () => {
  assert.throws(() => resolve({ features: ["hourly:conv"], service: "model_v1" }), mlfErrorWith("invalid_argument", /either feature references \(view:feature\) or a feature service, not both/));
  assert.throws(() => resolve({}), mlfErrorWith("invalid_argument", /No features requested/));
  assert.throws(() => resolve({ features: [] }), mlfErrorWith("invalid_argument", /No features requested/));
  assert.equal(resolve({ features: [], service: "model_v1" }).columns.length, 3, "an empty list beside a service is no list");
});

test("rule 2: a ref is view:feature, spaces around it ignored", () => {
  assert.deepEqual(parseFeatureRef(" hourly:conv "), { view: "hourly", feature: "conv" });
  for (const bad of ["hourly", "hourly.conv", "hourly:conv:x", ":conv", "hourly:", "1view:conv", "hour ly:conv", ""]) {
    assert.throws(() => resolve({ features: [bad] }), mlfErrorWith("invalid_argument", /is malformed; write it as view:feature/), bad);
  }
});

test("rule 3: a ref listed twice is refused, also when written differently", () => {
  assert.throws(() => resolve({ features: ["hourly:conv", "daily:rating", " hourly:conv"] }), mlfErrorWith("invalid_argument", /"hourly:conv" is listed twice/));
  assert.throws(() => parseSelection({ features: ["a:b", "a:b"] }), mlfErrorWith("invalid_argument", /listed twice/), "checked without definitions too");
});

test("rule 4: unknown services, views and features are not_found", () => {
  assert.throws(() => resolve({ service: "nope" }), mlfErrorWith("not_found", /Feature service "nope" is not in the feature registry; known: model_v1, clash/));
  assert.throws(() => resolve({ features: ["nope:conv"] }), mlfErrorWith("not_found", /Feature view "nope" is not in the feature registry/));
  assert.throws(() => resolve({ features: ["hourly:nope"] }), mlfErrorWith("not_found", /Feature view "hourly" has no feature "nope"; it has: conv, trips/));
});

test("rule 5: online reads refuse views that are not online; history takes them", () => {
  assert.throws(() => resolve({ features: ["archive:spend"] }, { online: true }), mlfErrorWith("invalid_argument", /Feature view "archive" is not online/));
  assert.throws(() => planRead(defs, { features: ["archive:spend"] }), mlfErrorWith("invalid_argument", /not online/));
  assert.deepEqual(resolve({ features: ["archive:spend"] }).columns, ["spend"]);
});

test("rule 6: two outputs of one name are refused, naming both, unless full feature names are asked for", () => {
  const both = /Features hourly:trips and daily:trips are both named "trips"; request full feature names/;
  assert.throws(() => resolve({ features: ["hourly:trips", "daily:trips"] }), mlfErrorWith("invalid_argument", both));
  assert.throws(() => resolve({ service: "clash" }), mlfErrorWith("invalid_argument", both));
  assert.deepEqual(resolve({ service: "clash", fullFeatureNames: true }).columns, ["hourly__trips", "daily__trips"]);
});

test("rule 7: one join key column typed differently by two entities is invalid_definition", () => {
  assert.throws(() => resolve({ features: ["hourly:conv", "texty:label"] }), mlfErrorWith("invalid_definition", /Join key "driver_id" is int64 for entity "driver" but string for entity "driver_text"/));
});

test("order: views by first mention, features and columns in the order asked; services in declared order", () => {
  assert.deepEqual(shape({ features: ["daily:rating", "hourly:conv", "daily:trips", "global:total"] }), {
    columns: ["rating", "conv", "trips", "total"],
    views: [["daily", ["rating->0", "trips->2"]], ["hourly", ["conv->1"]], ["global", ["total->3"]]],
    keys: ["driver_id:int64:daily+hourly", "rider_id:string:daily"],
  });
  assert.deepEqual(serviceRefs(defs, "model_v1"), [{ view: "daily", feature: "rating" }, { view: "hourly", feature: "conv" }, { view: "hourly", feature: "trips" }]);
  assert.deepEqual(shape({ service: "model_v1", fullFeatureNames: true }).columns, ["daily__rating", "hourly__conv", "hourly__trips"]);
});

test("the online read plan and table layout are built from the resolution", () => {
  const plan = planRead(defs, { features: ["daily:rating", "hourly:conv", "daily:trips"] });
  assert.deepEqual(plan.featureNames, ["rating", "conv", "trips"]);
  assert.deepEqual(plan.views.map((v) => [v.view.name, v.features, v.outputs, v.keys, v.ttlMs]), [["daily", ["rating", "trips"], [0, 2], ["driver_id", "rider_id"], 0], ["hourly", ["conv"], [1], ["driver_id"], 3_600_000]]);
  assert.deepEqual([...plan.keyTypes], [["driver_id", "int64"], ["rider_id", "string"]]);
  assert.deepEqual(tableSpec(defs, defs.featureViews[1]!), { view: "daily", keys: [{ name: "driver_id", type: "int64" }, { name: "rider_id", type: "string" }], features: defs.featureViews[1]!.schema });
  assert.deepEqual(tableSpec(defs, defs.featureViews[3]!).keys, [], "an entity-less view has no key columns");
});

test("model inputs resolve by the same rules; without definitions only the form is checked", () => {
  assert.deepEqual(resolveFeatureInputs(defs, ["daily:trips", "hourly:trips"], undefined), { features: ["daily:trips", "hourly:trips"], featureService: null, entityKeys: ["driver_id", "rider_id"], columns: 2 });
  assert.deepEqual(resolveFeatureInputs(defs, undefined, "model_v1"), { features: null, featureService: "model_v1", entityKeys: ["driver_id", "rider_id"], columns: 3 });
  assert.deepEqual(resolveFeatureInputs(undefined, [" x:y "], undefined), { features: ["x:y"], featureService: null, entityKeys: [], columns: 1 });
  assert.deepEqual(resolveFeatureInputs(undefined, undefined, undefined), { features: null, featureService: null, entityKeys: [] });
  assert.throws(() => resolveFeatureInputs(undefined, ["x:y"], "s"), mlfErrorWith("invalid_argument", /not both/));
  assert.throws(() => resolveFeatureInputs(defs, ["hourly:nope"], undefined), mlfErrorWith("not_found", /has no feature "nope"/));
});
