import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { mlf, tempDir } from "../helpers.js";

/**
 * Invalid repositories, one per kind of mistake. Each is the applied sample repository plus
 * one bad file (or a bad feature_store.yaml); plan and apply must both exit 2, name the file
 * and line, and leave the registry byte for byte as it was.
 */
interface Case {
  name: string;
  file?: string;
  yaml: string;
  /** `file:line: message` that must appear on stderr. */
  expect: RegExp;
}

const view = (extra: string, schema = "      - {name: conv_rate, dtype: float64}") =>
  `feature_views:\n  - name: extra_view\n    entities: [driver]\n    source: driver_stats\n${extra}    schema:\n${schema}\n`;

const cases: Case[] = [
  { name: "YAML syntax error", yaml: "entities:\n  - name: a\n   bad: [\n", expect: /extra.yaml:\d+: is not valid YAML/ },
  { name: "unknown top-level key", yaml: "entitees:\n  - name: a\n", expect: /extra.yaml:1: unknown key entitees/ },
  { name: "unknown key in a view", yaml: view("    colour: red\n"), expect: /extra.yaml:5: unknown key feature_views\[0\] \(extra_view\).colour/ },
  { name: "bad dtype", yaml: view("", "      - {name: conv_rate, dtype: decimal}"), expect: /extra.yaml:6: feature "extra_view:conv_rate" has dtype "decimal"/ },
  { name: "bad ttl", yaml: view("    ttl: soon\n"), expect: /extra.yaml:5: feature view "extra_view" has ttl "soon"/ },
  { name: "bad name", yaml: "entities:\n  - name: a;b\n", expect: /extra.yaml:2: entities\[0\] \(a;b\).name is "a;b", expected a name/ },
  { name: "bad value type", yaml: "entities:\n  - name: rider\n    value_type: float\n", expect: /extra.yaml:2: entity "rider" has value_type "float"/ },
  { name: "duplicate name across files", yaml: "entities:\n  - name: driver\n", expect: /features.yaml:4: entity "driver" is defined twice \(first at extra.yaml:2\)/ },
  { name: "unknown entity", yaml: view("").replace("[driver]", "[rider]"), expect: /extra.yaml:2: feature view "extra_view" uses unknown entity "rider"/ },
  { name: "unknown source", yaml: view("").replace("source: driver_stats", "source: nowhere"), expect: /extra.yaml:2: feature view "extra_view" reads unknown source "nowhere"/ },
  { name: "unknown feature in a service", yaml: "feature_services:\n  - name: svc\n    features:\n      - driver_hourly_stats: [speed]\n", expect: /extra.yaml:2: feature service "svc" uses unknown feature "driver_hourly_stats:speed"/ },
  { name: "feature listed twice in a service", yaml: "feature_services:\n  - name: svc\n    features:\n      - driver_hourly_stats: [trips]\n      - driver_hourly_stats\n", expect: /extra.yaml:2: feature service "svc" lists feature "driver_hourly_stats:trips" twice/ },
  { name: "unknown view in a service", yaml: "feature_services:\n  - name: svc\n    features:\n      - nope\n", expect: /extra.yaml:2: feature service "svc" uses unknown feature view "nope"/ },
  { name: "duplicate feature in a view", yaml: view("", "      - {name: conv_rate, dtype: float64}\n      - {name: conv_rate, dtype: float64}"), expect: /extra.yaml:2: feature view "extra_view" declares feature "conv_rate" twice/ },
  { name: "join key declared as a feature", yaml: view("", "      - {name: driver_id, dtype: int64}"), expect: /extra.yaml:2: feature view "extra_view" declares join key "driver_id" as a feature/ },
  { name: "missing source file", yaml: "sources:\n  - name: gone\n    type: file\n    path: data/gone.parquet\n    timestamp_field: ts\n", expect: /extra.yaml:2: source "gone" reads data\/gone.parquet, which does not exist/ },
  { name: "file that is neither parquet nor csv", yaml: "sources:\n  - name: notes\n    type: file\n    path: features.yaml\n    timestamp_field: ts\n", expect: /extra.yaml:2: source "notes" reads features.yaml, which is neither .parquet nor .csv/ },
  { name: "unknown source type", yaml: "sources:\n  - name: s\n    type: kafka\n", expect: /extra.yaml:3: sources\[0\] \(s\).type is "kafka"/ },
  { name: "missing timestamp column", yaml: "sources:\n  - name: s\n    type: file\n    path: data/driver_stats.csv\n    timestamp_field: when\n", expect: /extra.yaml:2: source "s" has no column "when"/ },
  { name: "missing feature column", yaml: view("", "      - {name: speed, dtype: float64}"), expect: /extra.yaml:2: feature view "extra_view" needs column "speed", which source "driver_stats" does not have/ },
  { name: "uncastable dtype", yaml: "sources:\n  - name: s\n    type: query\n    sql: select driver_id, event_timestamp, 'n/a' as score from driver_stats\n    timestamp_field: event_timestamp\n" + view("").replace("source: driver_stats", "source: s").replace("conv_rate, dtype: float64", "score, dtype: float64"), expect: /extra.yaml:7: feature "extra_view:score" is declared float64 but \d+ values of source column \(VARCHAR\) cannot be cast to it/ },
  { name: "SQL that DuckDB rejects", yaml: "sources:\n  - name: s\n    type: query\n    sql: selec * frm driver_stats\n    timestamp_field: ts\n", expect: /extra.yaml:2: source "s" has SQL that DuckDB rejects/ },
  { name: "SQL over an unknown source", yaml: "sources:\n  - name: s\n    type: query\n    sql: select * from no_such_source\n    timestamp_field: ts\n", expect: /extra.yaml:2: source "s" has SQL that DuckDB rejects: .*no_such_source/ },
  { name: "bad project name", file: "feature_store.yaml", yaml: "project: my project\n", expect: /feature_store.yaml:1: project is "my project"/ },
  { name: "unknown key in a store block", file: "feature_store.yaml", yaml: "project: p\noffline_store:\n  type: duckdb\n  engine: fast\n", expect: /feature_store.yaml:4: unknown key offline_store.engine/ },
  { name: "unknown store type", file: "feature_store.yaml", yaml: "project: p\nonline_store:\n  type: redis2\n", expect: /feature_store.yaml:3: online_store.type is "redis2"/ },
  { name: "unknown key in the logging block", file: "feature_store.yaml", yaml: "project: p\nlogging:\n  path: data/logs\n  rotate: hourly\n", expect: /feature_store.yaml:4: unknown key logging.rotate/ },
  { name: "sample rate above 1", file: "feature_store.yaml", yaml: "project: p\nlogging:\n  sample_rate: 2\n", expect: /feature_store.yaml:3: logging.sample_rate is 2, expected a share of requests from 0 to 1/ },
  { name: "flush interval of 0", file: "feature_store.yaml", yaml: "project: p\nlogging:\n  flush_seconds: 0\n", expect: /feature_store.yaml:3: logging.flush_seconds is 0, expected a number of seconds > 0/ },
  { name: "unknown key in a service's logging", yaml: "feature_services:\n  - name: svc\n    features:\n      - driver_hourly_stats\n    logging:\n      destination: s3\n", expect: /extra.yaml:6: unknown key feature_services\[0\] \(svc\).logging.destination/ },
];

test(`${cases.length} kinds of invalid repository: exit 2, file:line, registry unchanged`, (t) => {
  const dir = join(tempDir(t), "repo");
  assert.equal(mlf(["init", dir]).status, 0);
  assert.equal(mlf(["-C", dir, "apply"]).status, 0);
  const registryPath = join(dir, "data", "registry.json");
  const registry = readFileSync(registryPath, "utf8");
  const config = readFileSync(join(dir, "feature_store.yaml"), "utf8");
  for (const c of cases) {
    const file = join(dir, c.file ?? "extra.yaml");
    writeFileSync(file, c.yaml);
    try {
      for (const command of ["plan", "apply"]) {
        const r = mlf(["-C", dir, command]);
        assert.equal(r.status, 2, `${c.name}: ${command} exits 2\n${r.stderr}`);
        assert.match(r.stderr, c.expect, `${c.name}: ${command}`);
        assert.doesNotMatch(r.stderr, /^\s+at /m, `${c.name}: no stack trace`);
        assert.equal(readFileSync(registryPath, "utf8"), registry, `${c.name}: registry unchanged`);
      }
    } finally {
      if (c.file) writeFileSync(file, config);
      else rmSync(file);
    }
  }
});
