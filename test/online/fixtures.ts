import { spawn } from "node:child_process";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FeatureStore } from "../../src/feature-store.js";
import { applyRepo } from "../../src/apply/apply.js";
import type { ViewMaterialization } from "../../src/online/materialize.js";
import { openRepo, type Repo } from "../../src/repo/repo.js";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/**
 * A repository with one int64 entity and a wide view `wide` (10 float64 features f0..f9,
 * ttl as given) over `data/events.csv`, written from `rows` (see wideRow). With
 * `created: false` the source declares no created timestamp column (the CSV still has one);
 * `online` replaces the SQLite `online_store:` block (e.g. RedisServer.yaml()).
 * Applied, ready to materialize.
 */
export async function wideRepo(dir: string, rows: Iterable<string>, options: { ttl?: string; created?: boolean; online?: string } = {}): Promise<Repo> {
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "feature_store.yaml"), `project: wide\nregistry: data/registry.json\n${options.online ?? "online_store:\n  type: sqlite\n  path: data/online.db\n"}`);
  const features = Array.from({ length: 10 }, (_, i) => `      - {name: f${i}, dtype: float64}`).join("\n");
  writeFileSync(
    join(dir, "features.yaml"),
    `entities:\n  - name: user\n    join_keys: [user_id]\n    value_type: int64\nsources:\n  - name: events\n    type: file\n    path: data/events.csv\n    timestamp_field: ts\n${options.created === false ? "" : "    created_timestamp_column: created\n"}feature_views:\n  - name: wide\n    entities: [user]\n    source: events\n    ttl: ${options.ttl ?? "0"}\n    schema:\n${features}\n`,
  );
  const lines = ["user_id,ts,created,f0,f1,f2,f3,f4,f5,f6,f7,f8,f9"];
  for (const r of rows) lines.push(r);
  writeFileSync(join(dir, "data", "events.csv"), `${lines.join("\n")}\n`);
  const repo = await openRepo(dir);
  await applyRepo(repo);
  return repo;
}

/** One CSV row of the wide source: every feature = `value`. */
export function wideRow(user: number, tsMs: number, value: number, createdMs = tsMs): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  return [user, iso(tsMs), iso(createdMs), ...Array.from({ length: 10 }, () => value)].join(",");
}

/** `count` users, each with one row at `tsMs` holding `value`. */
export function* wideRows(count: number, tsMs: number, value: number): Generator<string> {
  for (let u = 0; u < count; u++) yield wideRow(u, tsMs, value);
}

/**
 * A FeatureStore over a fresh wide repository in `dir` with user 1's row at `t0` (value 1),
 * materialized up to `t0`; closed when the test ends.
 */
export async function materializedWideStore(t: { after(fn: () => void): void }, dir: string, t0: number): Promise<FeatureStore> {
  await wideRepo(dir, [wideRow(1, t0, 1)]);
  const fs = await FeatureStore.open(dir);
  t.after(() => void fs.close());
  await fs.materialize(t0 - 1, t0);
  return fs;
}

/** 2^53 + 1: the smallest positive integer a double cannot hold. */
export const BIG = 9007199254740993n;

/**
 * A repository whose view `typed` has a feature of every dtype (i32, i64, f32, f64, s, b,
 * flag, at) over `data/typed.csv` (int64 entity `user_id`, `ts`, `created`), and a second
 * view `typed_i64` reading the same source (so a push to the source feeds both). User 1's row
 * holds i64 = 2^53 + 1. Applied, not materialized.
 */
export async function typedRepo(dir: string): Promise<Repo> {
  mkdirSync(join(dir, "data"), { recursive: true });
  writeFileSync(join(dir, "feature_store.yaml"), "project: typed\nregistry: data/registry.json\nonline_store:\n  type: sqlite\n  path: data/online.db\n");
  const schema = [["i32", "int32"], ["i64", "int64"], ["f32", "float32"], ["f64", "float64"], ["s", "string"], ["b", "bytes"], ["flag", "bool"], ["at", "unix_timestamp"]];
  writeFileSync(
    join(dir, "features.yaml"),
    "entities:\n  - name: user\n    join_keys: [user_id]\n    value_type: int64\n" +
      "sources:\n  - name: events\n    type: file\n    path: data/typed.csv\n    timestamp_field: ts\n    created_timestamp_column: created\n" +
      `feature_views:\n  - name: typed\n    entities: [user]\n    source: events\n    schema:\n${schema.map(([n, d]) => `      - {name: ${n}, dtype: ${d}}`).join("\n")}\n` +
      "  - name: typed_i64\n    entities: [user]\n    source: events\n    schema:\n      - {name: i64, dtype: int64}\n",
  );
  writeFileSync(
    join(dir, "data", "typed.csv"),
    `user_id,ts,created,i32,i64,f32,f64,s,b,flag,at\n1,2024-01-01T00:00:00Z,2024-01-01T00:00:00Z,-5,${BIG},0.5,2.25,one,hi,true,2023-12-31T00:00:00Z\n`,
  );
  const repo = await openRepo(dir);
  await applyRepo(repo);
  return repo;
}

/**
 * `mlf materialize` of every online view in a child process that stops mid-write (see
 * materialize-child.ts): `mid` resolves once the first batch is written inside the open
 * transaction, `resume()` lets it commit, `results` holds what it reports.
 */
export function pausedMaterialize(dir: string, startMs: number, endMs: number) {
  const child = spawn(process.execPath, [fileURLToPath(new URL("./materialize-child.js", import.meta.url)), dir, String(startMs), String(endMs)], {
    stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, TZ: "UTC" },
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let out = "";
  const mid = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith("mid\n")) resolve();
    });
    void exited.then((code) => reject(new Error(`the materialization exited with ${code} before it was mid-write`)));
  });
  mid.catch(() => undefined);
  const results = exited.then((code) => {
    if (code !== 0) throw new Error(`the materialization exited with ${code}`);
    return JSON.parse(out.slice("mid\n".length)) as ViewMaterialization[];
  });
  results.catch(() => undefined);
  return { child, mid, exited, results, resume: () => child.stdin.end("go\n") };
}
