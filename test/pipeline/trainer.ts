// A deterministic train command for the pipeline tests, run by `mlf pipeline run` as
// `node dist/test/pipeline/trainer.js` with the pipeline's environment. Its behaviour comes
// from $PIPELINE_TRAINER (default "good"):
//   good      logistic regression on every feature ($MLF_FEATURES) of $MLF_TRAINING_SET
//   weak      the same model with every weight zeroed: one constant score (AUC exactly 0.5),
//             while it claims auc 0.99 in its run, which the gate must not believe
//   fail      writes a message to stderr and exits 3
//   kill      kills itself with SIGKILL
//   no-model  exits 0 without writing a model
//   slow      sleeps $PIPELINE_TRAINER_MS (default 3000) ms, then behaves as good
import { writeFileSync } from "node:fs";
import { fit, type Row } from "../../scripts/demo/logreg.js";
import { toOnnx } from "../../scripts/demo/onnx.js";
import { logMetric } from "../../src/tracking/write.js";

const env = (key: string): string => {
  const value = process.env[key];
  if (!value) throw new Error(`${key} is not set; run me through mlf pipeline run.`);
  return value;
};

async function readSet(path: string, features: string[], label: string): Promise<{ rows: Row[]; labels: number[] }> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connection = await instance.connect();
  try {
    const q = (c: string) => `"${c.replace(/"/g, '""')}"`;
    const reader = await connection.runAndReadAll(`select ${features.map((f) => `${q(f)}::double`).join(", ")}, ${q(label)}::integer from read_parquet('${path.replace(/'/g, "''")}') where ${q(label)} is not null`);
    const rows: Row[] = [];
    const labels: number[] = [];
    for (const values of reader.getRowsJS()) {
      rows.push(values.slice(0, features.length) as (number | null)[]);
      labels.push(values[features.length] as number);
    }
    return { rows, labels };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function main(): Promise<void> {
  const mode = process.env.PIPELINE_TRAINER ?? "good";
  process.stdout.write(`trainer: mode ${mode}, run ${process.env.MLF_RUN_ID}\n`);
  if (mode === "fail") {
    process.stderr.write("trainer: the label column is all zeros, refusing to train\n");
    process.exit(3);
  }
  if (mode === "kill") process.kill(process.pid, "SIGKILL");
  if (mode === "no-model") return;
  if (mode === "slow") await new Promise((r) => setTimeout(r, Number(process.env.PIPELINE_TRAINER_MS ?? 3000)));
  const features = env("MLF_FEATURES").split(",");
  const { rows, labels } = await readSet(env("MLF_TRAINING_SET"), features, env("MLF_LABEL"));
  const model = fit(features, rows, labels);
  if (mode === "weak") {
    model.weights = model.weights.map(() => 0);
    logMetric(env("MLF_TRACKING_DIR"), env("MLF_RUN_ID"), "auc", 0.99);
  }
  writeFileSync(env("MLF_MODEL_OUTPUT"), toOnnx(model));
  process.stdout.write(`trainer: ${rows.length} rows, model written\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`trainer: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
