import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OnlineReader, onlineRecords } from "../../src/online/get-online.js";
import { materialize } from "../../src/online/materialize.js";
import { applyRepo } from "../../src/apply/apply.js";
import { appliedRegistry, openRepo } from "../../src/repo/repo.js";
import { mlf, tempDir } from "../helpers.js";

test("bytes features and join keys come out as base64 text, in the library's records and the CLI's JSON", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "feature_store.yaml"), "project: b\nregistry: data/registry.json\nonline_store:\n  type: sqlite\n  path: data/online.db\n");
  writeFileSync(
    join(dir, "features.yaml"),
    "entities:\n  - name: device\n    join_keys: [device]\n    value_type: bytes\nsources:\n  - name: frames\n    type: file\n    path: data/frames.csv\n    timestamp_field: ts\n" +
      "feature_views:\n  - name: frames\n    entities: [device]\n    source: frames\n    ttl: 0\n    schema:\n      - {name: payload, dtype: bytes}\n      - {name: n, dtype: int64}\n",
  );
  // DuckDB reads the escape \xFF\x00 as two bytes that are not UTF-8: base64 "/wA=".
  writeFileSync(join(dir, "data", "frames.csv"), "device,ts,payload,n\nabc,2024-01-01T00:00:00Z,\\xFF\\x00,1\nxyz,2024-01-01T00:00:00Z,hi,2\nnul,2024-01-01T00:00:00Z,,3\n");
  const repo = await openRepo(dir);
  await applyRepo(repo);
  await materialize(repo, Date.UTC(2023, 0, 1), Date.UTC(2024, 5, 1));

  const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
  t.after(() => void reader.close());
  const result = await reader.get({ entities: { device: ["abc", "xyz", "nul", "none"] }, features: ["frames:payload", "frames:n"] });
  assert.deepEqual(onlineRecords(result), [
    { device: "YWJj", payload: "/wA=", n: 1 },
    { device: "eHl6", payload: "aGk=", n: 2 },
    { device: "bnVs", payload: null, n: 3 },
    { device: "bm9uZQ==", payload: null, n: null },
  ]);
  assert.deepEqual(result.results[1]!.statuses, ["PRESENT", "PRESENT", "NULL_VALUE", "NOT_FOUND"]);

  const cli = mlf(["-C", dir, "get-online", "-e", "device=abc", "-f", "frames:payload", "--with-metadata"]);
  assert.equal(cli.status, 0, cli.stderr);
  assert.deepEqual(cli.json(), { device: "YWJj", payload: { value: "/wA=", status: "PRESENT", event_timestamp: "2024-01-01T00:00:00Z" } });
});
