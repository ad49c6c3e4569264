import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyRepo } from "../../src/apply/apply.js";
import { openRepo, type Repo } from "../../src/repo/repo.js";
import { random } from "../../src/util/random.js";
import { ROOT, tempDir } from "../helpers.js";

/** The compiled test trainer (see trainer.ts). */
export const TRAINER = join(ROOT, "dist", "test", "pipeline", "trainer.js");

export const DAY_MS = 86_400_000;
export const START = Date.parse("2024-01-01T00:00:00Z");
export const CUSTOMERS = 40;

/**
 * A customer's daily activity (x1, x2, noise at 00:00 of each day) and one label per customer
 * and day at 12:00, drawn from P(label = 1) = sigmoid(1.5 x1 - x2): a logistic regression on
 * the features learns it, a constant score does not. Same `days`, same bytes.
 */
export function writeData(root: string, days: number): void {
  const next = random(42);
  const activity = ["customer_id,event_timestamp,x1,x2,noise"];
  const labels = ["customer_id,event_timestamp,churned"];
  for (let d = 0; d < days; d++) {
    for (let c = 0; c < CUSTOMERS; c++) {
      const [x1, x2, noise] = [next() * 4 - 2, next() * 4 - 2, next()];
      const day = new Date(START + d * DAY_MS).toISOString();
      activity.push(`${1000 + c},${day},${x1.toFixed(6)},${x2.toFixed(6)},${noise.toFixed(6)}`);
      const p = 1 / (1 + Math.exp(-(1.5 * x1 - x2)));
      labels.push(`${1000 + c},${new Date(START + d * DAY_MS + DAY_MS / 2).toISOString()},${next() < p ? 1 : 0}`);
    }
  }
  writeFileSync(join(root, "data", "activity.csv"), `${activity.join("\n")}\n`);
  writeFileSync(join(root, "data", "labels.csv"), `${labels.join("\n")}\n`);
}

export interface PipelineYamlOptions {
  /** Entity rows from SQL instead of data/labels.csv. */
  entitySql?: string;
  metric?: string;
  minImprovement?: number;
  holdout?: string;
  triggers?: string;
  timeout?: string;
}

/** The `pipelines:` file of the fixture repository. */
export function pipelineYaml(o: PipelineYamlOptions = {}): string {
  return `pipelines:
  - name: churn_retrain
    model: churn
    feature_service: churn_inputs
    ${o.entitySql ? `entity_sql: ${JSON.stringify(o.entitySql)}` : "entities: data/labels.csv"}
    label: churned
    train:
      command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(TRAINER)}]
${o.timeout ? `      timeout: ${o.timeout}\n` : ""}    evaluation:
      metric: ${o.metric ?? "auc"}
      min_improvement: ${o.minImprovement ?? 0.01}
    holdout: ${o.holdout ?? "7d"}
${o.triggers ?? ""}`;
}

/** Writes and applies the fixture repository in `root` (30 days of data unless told). */
export async function writeRepo(root: string, options: PipelineYamlOptions & { days?: number } = {}): Promise<Repo> {
  mkdirSync(join(root, "data"), { recursive: true });
  writeFileSync(join(root, "feature_store.yaml"), "project: churn\nregistry: data/registry.json\nprovider: local\noffline_store:\n  type: duckdb\n  threads: 1\nonline_store:\n  type: sqlite\n  path: data/online.db\ntracking:\n  path: mlruns\n");
  writeFileSync(
    join(root, "features.yaml"),
    `entities:
  - name: customer
    join_keys: [customer_id]
    value_type: int64
sources:
  - name: activity
    type: file
    path: data/activity.csv
    timestamp_field: event_timestamp
feature_views:
  - name: customer_daily
    entities: [customer]
    source: activity
    ttl: 2d
    schema:
      - {name: x1, dtype: float64}
      - {name: x2, dtype: float64}
      - {name: noise, dtype: float64}
feature_services:
  - name: churn_inputs
    features: [customer_daily]
`,
  );
  writeFileSync(join(root, "pipelines.yaml"), pipelineYaml(options));
  writeData(root, options.days ?? 30);
  const repo = await openRepo(root);
  await applyRepo(repo);
  return repo;
}

/** A fresh applied fixture repository in a temp folder. */
export async function pipelineRepo(t: { after(fn: () => void): void }, options: PipelineYamlOptions & { days?: number } = {}): Promise<Repo> {
  return writeRepo(tempDir(t, "mlf-pipeline-"), options);
}
