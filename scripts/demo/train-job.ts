// The training program the demo runs under `mlf track run`: trains the delay model on a
// training set from `mlf get-historical`, logs params and metrics to the run named by
// MLF_RUN_ID (if any), and stores `model/` (model.onnx + model.json) as the run's artifact.
//
//   node dist/scripts/demo/train-job.js --repo feature_repo --service delay_model \
//        --training-set feature_repo/data/training_set.parquet [--label delayed] [--out DIR] [--squares]
//
// As the train command of `mlf pipeline run` it takes what the pipeline gives in its
// environment instead: $MLF_TRAINING_SET, $MLF_HOLDOUT_SET (fit on the first, evaluate on the
// second), $MLF_FEATURES, $MLF_LABEL, and writes the model to $MLF_MODEL_OUTPUT, whose folder
// mlf logs as the run's `model` artifact itself.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { appliedRegistry, openRepo } from "../../src/repo/repo.js";
import { logArtifact, logMetrics, logParam } from "../../src/tracking/write.js";
import { saveModel, serviceFeatures, train } from "./train.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repo: { type: "string", default: "." },
      service: { type: "string", default: "delay_model" },
      "training-set": { type: "string" },
      label: { type: "string", default: "delayed" },
      "timestamp-column": { type: "string", default: "event_timestamp" },
      "holdout-days": { type: "string", default: "28" },
      out: { type: "string" },
      squares: { type: "boolean", default: false },
    },
  });
  const env = process.env;
  const trainingSet = values["training-set"] ?? env.MLF_TRAINING_SET;
  if (!trainingSet) throw new Error("Pass --training-set FILE (a Parquet file from mlf get-historical).");
  const service = env.MLF_FEATURE_SERVICE ?? values.service!;
  const features = env.MLF_FEATURES?.split(",") ?? serviceFeatures(appliedRegistry(await openRepo(values.repo)).definitions, service);
  const result = await train({
    trainingSet,
    ...(env.MLF_HOLDOUT_SET && { holdoutSet: env.MLF_HOLDOUT_SET }),
    features,
    label: env.MLF_LABEL ?? values.label!,
    timestampColumn: env.MLF_TIMESTAMP_COLUMN ?? values["timestamp-column"]!,
    holdoutDays: Number(values["holdout-days"]),
    squares: values.squares === true,
  });
  const runId = process.env.MLF_RUN_ID;
  const trackingDir = process.env.MLF_TRACKING_DIR;
  const output = env.MLF_MODEL_OUTPUT;
  const scratch = values.out === undefined && !output ? mkdtempSync(join(tmpdir(), "mlf-train-")) : undefined;
  try {
    const modelDir = output ? dirname(output) : join(values.out ?? scratch!, "model");
    saveModel(result.model, modelDir);
    if (runId && trackingDir) {
      const params = {
        ...result.params,
        feature_service: service,
        training_set_sha256: result.trainingSetSha256,
        train_rows: String(result.trainRows),
        test_rows: String(result.testRows),
        split_at: result.splitAt,
      };
      for (const [key, value] of Object.entries(params)) logParam(trackingDir, runId, key, value);
      logMetrics(trackingDir, runId, Object.entries(result.metrics).map(([key, value]) => ({ key, value })));
      if (!output) logArtifact(trackingDir, runId, modelDir);
    }
    process.stdout.write(`${JSON.stringify({ run_id: runId ?? null, metrics: result.metrics, train_rows: result.trainRows, test_rows: result.testRows, training_set_sha256: result.trainingSetSha256 })}\n`);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`train-job: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
