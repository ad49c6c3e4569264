import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyRepo } from "../../src/apply/apply.js";
import { registerModel } from "../../src/models/register.js";
import { registerMonitoredModel } from "../../src/monitor/register.js";
import { materialize } from "../../src/online/materialize.js";
import { openRepo, type Repo } from "../../src/repo/repo.js";
import { fixture } from "../explain/helpers.js";
import { tempDir } from "../helpers.js";

/** The 120 diabetes rows of the explain fixtures (their background, then their other rows). */
const forest = fixture("diabetes_forest");
export const diabetesNames = forest.expected.feature_names;
export const diabetesRows = [...forest.expected.background, ...forest.expected.rows];
export const diabetesRefs = diabetesNames.map((f) => `diabetes:${f}`);
/** Patient ids of the rows: 2000 + row index. */
export const diabetesIds = diabetesRows.map((_, i) => 2000 + i);

const EVENT_TIME = "2024-01-01T00:00:00Z";

/**
 * A feature repository whose online store holds the 120 diabetes rows (one patient each,
 * unlimited ttl) and a registry where, all trained on those features with that file as
 * reference data:
 * - "diabetes" version 1 is the 25-tree reference forest, version 2 the scaler + ridge;
 * - "mlp" version 1 is the MLP (KernelSHAP);
 * - "bare" version 1 is the forest registered without reference data.
 */
export function diabetesRepo(t: { after(fn: () => void): void }): Promise<DiabetesRepo> {
  return writeDiabetesRepo(tempDir(t, "mlf-explain-"));
}

export interface DiabetesRepo {
  repo: Repo;
  dir: string;
  trackingDir: string;
  /** The reference data file (also the feature view's source). */
  reference: string;
}

/** diabetesRepo in a given empty folder (the bench uses it too). */
export async function writeDiabetesRepo(dir: string): Promise<DiabetesRepo> {
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "feature_store.yaml"), ["project: why", "registry: data/registry.json", "provider: local", "offline_store:", "  type: duckdb", "online_store:", "  type: sqlite", "  path: data/online.db", "tracking:", "  path: mlruns", ""].join("\n"));
  const schema = diabetesNames.map((f) => `      - {name: ${f}, dtype: float64}`).join("\n");
  writeFileSync(
    join(dir, "features.yaml"),
    `entities:
  - name: patient
    join_keys: [patient_id]
    value_type: int64
sources:
  - name: diabetes_rows
    type: file
    path: data/diabetes.csv
    timestamp_field: event_timestamp
    created_timestamp_column: created
feature_views:
  - name: diabetes
    entities: [patient]
    source: diabetes_rows
    ttl: 0
    schema:
${schema}
`,
  );
  const reference = join(dir, "data", "diabetes.csv");
  const header = ["patient_id", "event_timestamp", "created", ...diabetesNames].join(",");
  writeFileSync(reference, [header, ...diabetesRows.map((r, i) => [diabetesIds[i], EVENT_TIME, EVENT_TIME, ...r.map(String)].join(","))].join("\n") + "\n");
  const repo = await openRepo(dir);
  await applyRepo(repo);
  await materialize(repo, Date.parse("2023-01-01T00:00:00Z"), Date.parse("2024-06-01T00:00:00Z"));
  const trackingDir = repo.config.trackingPath;
  const register = (name: string, model: string, withReference = true) =>
    (withReference ? registerMonitoredModel : registerModel)(trackingDir, name, { file: fixture(model).path, features: diabetesRefs, ...(withReference && { reference }) });
  await register("diabetes", "diabetes_forest");
  await register("diabetes", "diabetes_ridge");
  await register("mlp", "diabetes_mlp");
  await register("bare", "diabetes_forest", false);
  return { repo, dir, trackingDir, reference };
}
