import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchTable } from "./run.js";
import { getHistoricalFeatures } from "../src/offline/get-historical.js";
import { readHoldout, scoreModel } from "../src/pipeline/evaluate.js";
import { runPipeline, type PipelineProgress } from "../src/pipeline/run.js";
import { OnnxModel } from "../src/serving/runtime/onnx.js";
import { getRun } from "../src/tracking/read.js";
import { TRAINER, writeRepo } from "../test/pipeline/fixture.js";

const DAYS = 90;
const ms = (x: number) => x.toFixed(1);

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/**
 * `mlf pipeline run` on the test fixture (40 customers x 90 days: 3,600 labelled rows, a 7-day
 * holdout) beside what it saves or adds: the cron check with nothing new beside hashing every
 * input file, a full run beside its point-in-time join plus the same train command run by hand,
 * and scoring the holdout beside a bare onnxruntime call on the same matrix.
 */
export async function run(): Promise<BenchTable> {
  const root = mkdtempSync(join(tmpdir(), "mlf-bench-pipeline-"));
  try {
    const repo = await writeRepo(root, { days: DAYS });
    const trackingDir = repo.config.trackingPath;
    const steps: Record<string, number> = {};
    const onProgress = (e: PipelineProgress) => {
      if (e.phase === "end" && e.seconds !== undefined) steps[e.step] = e.seconds * 1000;
    };
    const first = await runPipeline(repo, "churn_retrain", { trackingDir });
    if (first.outcome !== "promoted") throw new Error(`the first run was ${first.outcome}: ${first.reason}`);
    // Timed: a run with a champion to score too (forced; the same data, so the gate rejects).
    const [second, full] = await timed(() => runPipeline(repo, "churn_retrain", { trackingDir, onProgress, force: true }));
    if (second.outcome !== "rejected") throw new Error(`the second run was ${second.outcome}: ${second.reason}`);

    const checks = 20;
    const [, check] = await timed(async () => {
      for (let i = 0; i < checks; i++) await runPipeline(repo, "churn_retrain", { trackingDir });
    });
    const [, hashAll] = await timed(async () => {
      for (let i = 0; i < checks; i++) for (const f of ["activity.csv", "labels.csv"]) createHash("sha256").update(readFileSync(join(root, "data", f))).digest("hex");
    });

    // By hand: the same join to a file, then the same train command on it.
    const out = join(root, "by-hand.parquet");
    const [, join_] = await timed(() => getHistoricalFeatures(repo, { entities: "data/labels.csv", service: "churn_inputs", output: out, cwd: root }));
    const parent = getRun(trackingDir, first.runId!);
    const [, train] = await timed(async () => {
      const result = spawnSync(process.execPath, [TRAINER], {
        env: { ...process.env, MLF_TRAINING_SET: out, MLF_FEATURES: "x1,x2,noise", MLF_LABEL: "churned", MLF_MODEL_OUTPUT: join(root, "by-hand.onnx") },
      });
      if (result.status !== 0) throw new Error(String(result.stderr));
    });

    // Scoring the holdout: mlf's frame path beside one onnxruntime call on a ready matrix.
    const holdout = await readHoldout(repo, join(parent.info.artifactDir, "datasets", "holdout.parquet"), ["x1", "x2", "noise"], "churned");
    const bytes = readFileSync(join(root, "by-hand.onnx"));
    const model = await OnnxModel.load(bytes, "bench");
    const refs = ["customer_daily:x1", "customer_daily:x2", "customer_daily:noise"];
    const rounds = 50;
    const [, score] = await timed(async () => {
      for (let i = 0; i < rounds; i++) await scoreModel(model, refs, holdout, "auc", "bench");
    });
    await model.release();
    const ort = await import("onnxruntime-node");
    const session = await ort.InferenceSession.create(bytes);
    const matrix = Float32Array.from(holdout.rows.flat().map((v) => (v === null ? Number.NaN : Number(v))));
    const [, bare] = await timed(async () => {
      for (let i = 0; i < rounds; i++) await session.run({ input: new ort.Tensor("float32", matrix, [holdout.rows.length, 3]) });
    });
    await session.release();

    return {
      title: `mlf pipeline run (${DAYS * 40} labelled rows, ${holdout.rows.length} held out; ms, mean)`,
      head: ["operation", "mlf (ms)", "baseline (ms)", "baseline"],
      rows: [
        ["check triggers, nothing new (a cron tick)", ms(check / checks), ms(hashAll / checks), "sha256 of every input file"],
        ["full run: datasets, train, score both, register, decide", ms(full), ms(join_ + train), "get-historical + the train command by hand"],
        ["  datasets (one point-in-time join, split by time)", ms(steps.datasets ?? 0), ms(join_), "get-historical to a file"],
        ["  train (tracked child run)", ms(steps.train ?? 0), ms(train), "the train command alone"],
        ["  evaluate (read the holdout, load and score both models)", ms(steps.evaluate ?? 0), "", ""],
        ["  gate (register with lineage, audit log, alias)", ms(steps.gate ?? 0), "", ""],
        [`score ${holdout.rows.length} holdout rows + AUC`, (score / rounds).toFixed(3), (bare / rounds).toFixed(3), "onnxruntime on a ready float32 matrix"],
      ],
      notes: [
        "The cron tick reads the last evaluated run and its fingerprint, stats the inputs (here two CSV files of 0.2 MB) and reuses their recorded digests while size and mtime are unchanged; hashing instead grows with the data (the bundled repository reads 40 MB).",
        "Scoring converts the holdout's rows to the model's input tensor in batches and computes the metric in plain TypeScript; it was 5.9 ms before OnnxModel.predict stopped copying the probability column once per row.",
      ],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
