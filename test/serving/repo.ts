import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { registerModel } from "../../src/models/register.js";
import { materialize } from "../../src/online/materialize.js";
import { applyRepo } from "../../src/apply/apply.js";
import { openRepo, type Repo } from "../../src/repo/repo.js";
import { tempDir } from "../helpers.js";
import { MODEL, expected } from "./helpers.js";

export const EVENT_TIME = "2024-01-01T00:00:00Z";
/** Patient ids of the 30 reference rows: 1000 + row index. */
export const patientIds = expected.rows.map((_, i) => 1000 + i);
export const featureRefs = expected.feature_names.map((f) => `cancer:${f}`);

/** A float64 value as CSV text that DuckDB's type sniffing reads as a double (1001 -> 1001.0). */
const float = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/**
 * A feature repository whose online store holds the 30 reference rows of the breast-cancer
 * model, one patient each (unlimited ttl), and a registry where model "cancer" version 1 was
 * trained on those features in order.
 */
export async function cancerRepo(t: { after(fn: () => void): void }): Promise<{ repo: Repo; trackingDir: string }> {
  return writeCancerRepo(tempDir(t, "mlf-serving-"));
}

/** cancerRepo in a given empty folder (the bench uses it too). */
export async function writeCancerRepo(dir: string): Promise<{ repo: Repo; trackingDir: string }> {
  const services = `feature_services:
  - name: cancer_all
    features:
      - cancer
`;
  const { repo } = await writeViewRepo(dir, { project: "srv", view: "cancer", names: expected.feature_names, rows: expected.rows.map((r) => r.map(float)), ids: patientIds, extra: services });
  const trackingDir = repo.config.trackingPath;
  await registerModel(trackingDir, "cancer", { file: MODEL, features: featureRefs });
  return { repo, trackingDir };
}

/**
 * A repository in the empty folder `dir` (DuckDB offline, SQLite online, tracking in mlruns)
 * with one feature view `view` of the float64 features `names` over patients: `rows[i]` (CSV
 * text) for patient `ids[i]` at EVENT_TIME, read from data/<view>.csv, applied and
 * materialized. `extra` is appended to features.yaml. Returns the repository and that file.
 */
export async function writeViewRepo(
  dir: string,
  options: { project: string; view: string; names: string[]; rows: string[][]; ids: number[]; extra?: string },
): Promise<{ repo: Repo; csv: string }> {
  const { project, view, names } = options;
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "feature_store.yaml"), [`project: ${project}`, "registry: data/registry.json", "provider: local", "offline_store:", "  type: duckdb", "online_store:", "  type: sqlite", "  path: data/online.db", "tracking:", "  path: mlruns", ""].join("\n"));
  const schema = names.map((f) => `      - {name: ${f}, dtype: float64}`).join("\n");
  writeFileSync(
    join(dir, "features.yaml"),
    `entities:
  - name: patient
    join_keys: [patient_id]
    value_type: int64
sources:
  - name: ${view}_rows
    type: file
    path: data/${view}.csv
    timestamp_field: event_timestamp
    created_timestamp_column: created
feature_views:
  - name: ${view}
    entities: [patient]
    source: ${view}_rows
    ttl: 0
    schema:
${schema}
${options.extra ?? ""}`,
  );
  const csv = join(dir, "data", `${view}.csv`);
  writePatientCsv(csv, names, options.rows, options.ids);
  const repo = await openRepo(dir);
  await applyRepo(repo);
  await materializeAll(repo);
  return { repo, csv };
}

/** A view's source file: `rows[i]` (CSV text) for patient `ids[i]` at EVENT_TIME. */
export function writePatientCsv(path: string, names: readonly string[], rows: string[][], ids: readonly number[]): void {
  const header = ["patient_id", "event_timestamp", "created", ...names].join(",");
  writeFileSync(path, [header, ...rows.map((r, i) => [ids[i], EVENT_TIME, EVENT_TIME, ...r].join(","))].join("\n") + "\n");
}

/** Materializes a window holding EVENT_TIME. */
export function materializeAll(repo: Repo): Promise<unknown> {
  return materialize(repo, Date.parse("2023-01-01T00:00:00Z"), Date.parse("2024-06-01T00:00:00Z"));
}
