import { test } from "node:test";
import assert from "node:assert/strict";
import { Value } from "@sinclair/typebox/value";
import { staleChecks } from "../../scripts/gen-checks.js";
import { RegistrySchema } from "../../src/repo/registry-schema.js";
import { isRegistry } from "../../src/repo/registry-check.js";

test("the generated validators are those TypeBox compiles from the schemas today", () => {
  assert.deepEqual(staleChecks(), [], 'run "npm run gen:checks"');
});

test("a generated validator agrees with TypeBox's own checker", () => {
  const valid = {
    format: 2, project: "p", version: 1, hash: "h", updatedAt: "2024-01-01T00:00:00.000Z",
    definitions: { entities: [{ name: "user", joinKey: "user_id", valueType: "int64" }], sources: [], featureViews: [], featureServices: [] },
    online: { v: { tableVersion: 1, until: "2024-01-01T00:00:00Z", intervals: [{ start: "0001-01-01T00:00:00Z", end: "2024-01-01T00:00:00Z", at: "2024-01-01T00:00:01Z" }] } },
  };
  const variants: unknown[] = [
    valid,
    { ...valid, online: { v: { tableVersion: 1, intervals: [] } } },
    { ...valid, online: { v: { tableVersion: 1.5, intervals: [] } } },
    { ...valid, online: { v: { tableVersion: 1, until: "yesterday", intervals: [] } } },
    { ...valid, definitions: { ...valid.definitions, entities: [{ name: "user", joinKey: "user_id", valueType: "float" }] } },
    { ...valid, definitions: { ...valid.definitions, sources: [{ type: "file", name: "s", path: "a.csv", timestampField: "ts", fieldMapping: {} }] } },
    { ...valid, definitions: { ...valid.definitions, sources: [{ type: "file", name: "s", sql: "select 1", timestampField: "ts", fieldMapping: {} }] } },
    { ...valid, format: 1 },
    null,
    [],
  ];
  for (const v of variants) assert.equal(isRegistry(v), Value.Check(RegistrySchema, v), JSON.stringify(v));
  assert.deepEqual(variants.map((v) => isRegistry(v)), [true, true, false, false, false, true, false, false, false, false]);
});
