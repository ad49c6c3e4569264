import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { BenchTable } from "./run.js";
import { median } from "./stats.js";
import { searchRuns } from "../src/tracking/search.js";
import { logMetric, logMetrics, startRun } from "../src/tracking/write.js";
import { runDir } from "../src/tracking/read.js";

/**
 * Tracking: `track ls --filter --order-by` over many runs with the run index, beside the
 * baseline that reads every run's files the way MLflow's file store does; and logging 100k
 * metric points through the library (one by one and batched) beside plain appendFileSync.
 */

const RUNS = Number(process.env.MLF_BENCH_RUNS ?? 10_000);
const POINTS = 100_000;

/** Writes runs directly in MLflow's layout (setup only; like a store MLflow filled). */
export function generate(root: string, n: number): string {
  const exp = "1";
  mkdirSync(join(root, exp), { recursive: true });
  writeFileSync(join(root, exp, "meta.yaml"), `artifact_location: file://${root}/1\ncreation_time: 0\nexperiment_id: '1'\nlast_update_time: 0\nlifecycle_stage: active\nname: bench\n`);
  const models = ["lr", "rf", "svm", "xgb"];
  for (let i = 0; i < n; i++) {
    const id = randomUUID().replaceAll("-", "");
    const dir = join(root, exp, id);
    for (const sub of ["params", "metrics", "tags", "artifacts"]) mkdirSync(join(dir, sub), { recursive: true });
    const start = 1_700_000_000_000 + i * 1000;
    writeFileSync(join(dir, "meta.yaml"), `artifact_uri: file://${dir}/artifacts\nend_time: ${start + 500}\nentry_point_name: ''\nexperiment_id: '1'\nlifecycle_stage: active\nrun_id: ${id}\nrun_name: run-${i}\nrun_uuid: ${id}\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: ${start}\nstatus: 3\ntags: []\nuser_id: bench\n`);
    writeFileSync(join(dir, "params", "model"), models[i % 4]!);
    for (const p of ["lr", "depth", "seed", "batch"]) writeFileSync(join(dir, "params", p), String((i * 7) % 13));
    for (const m of ["auc", "loss", "acc", "f1", "recall"]) {
      let text = "";
      for (let step = 0; step < 10; step++) text += `${start + step} ${((i * 31 + step * 17) % 1000) / 1000} ${step}\n`;
      writeFileSync(join(dir, "metrics", m), text);
    }
    for (const tg of ["mlflow.runName", "mlflow.user", "mlflow.source.type", "team", "stage"]) writeFileSync(join(dir, "tags", tg), `${tg}-${i % 5}`);
  }
  return exp;
}

function time<T>(fn: () => T): [number, T] {
  const t0 = performance.now();
  const out = fn();
  return [performance.now() - t0, out];
}

export async function run(): Promise<BenchTable> {
  const root = mkdtempSync(join(tmpdir(), "mlf-bench-track-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "mlf-bench-cache-"));
  try {
    const [genMs] = time(() => generate(root, RUNS));
    // Index entries are trusted once files are older than the 2 s settling window.
    await new Promise((r) => setTimeout(r, 2100));
    const query = { filter: "metrics.auc > 0.5 and params.model = 'rf'", orderBy: ["metrics.auc DESC"] };
    const [scanMs, scan] = time(() => searchRuns(root, { ...query, useIndex: false }));
    const [coldMs] = time(() => searchRuns(root, { ...query, cacheDir }));
    const warm: number[] = [];
    let hits = 0;
    for (let i = 0; i < 3; i++) {
      const [ms, res] = time(() => searchRuns(root, { ...query, cacheDir }));
      warm.push(ms);
      hits = res.runs.length;
    }
    const warmMs = median(warm);
    if (hits !== scan.runs.length) throw new Error(`index found ${hits} runs, scan ${scan.runs.length}`);

    const logRoot = join(root, "log");
    const r1 = startRun(logRoot, { runName: "one-by-one" });
    const [oneMs] = time(() => {
      for (let i = 0; i < POINTS; i++) logMetric(logRoot, r1, "loss", i / POINTS, { step: i, timestamp: 1_700_000_000_000 + i });
    });
    const r2 = startRun(logRoot, { runName: "batched" });
    const [batchMs] = time(() => {
      for (let i = 0; i < POINTS; i += 1000) logMetrics(logRoot, r2, Array.from({ length: 1000 }, (_, j) => ({ key: "loss", value: (i + j) / POINTS, step: i + j, timestamp: 1_700_000_000_000 + i + j })));
    });
    const r3 = startRun(logRoot, { runName: "baseline" });
    const file = join(runDir(logRoot, r3), "metrics", "loss");
    const [plainMs] = time(() => {
      for (let i = 0; i < POINTS; i++) appendFileSync(file, `${1_700_000_000_000 + i} ${i / POINTS} ${i}\n`);
    });
    const s = (ms: number) => (ms / 1000).toFixed(3);
    const perSec = (ms: number) => Math.round(POINTS / (ms / 1000)).toLocaleString("en-US");
    return {
      title: `Tracking: search over ${RUNS.toLocaleString("en-US")} runs, log ${POINTS.toLocaleString("en-US")} metric points`,
      head: ["operation", "seconds", "vs baseline"],
      rows: [
        [`baseline: full scan, filter + order-by (${scan.runs.length} hits)`, s(scanMs), "1.0x"],
        ["mlf ls with index, cold (builds the index)", s(coldMs), `${(scanMs / coldMs).toFixed(1)}x`],
        ["mlf ls with index, warm (median of 3)", s(warmMs), `${(scanMs / warmMs).toFixed(1)}x`],
        [`baseline: appendFileSync per point (${perSec(plainMs)}/s)`, s(plainMs), "1.0x"],
        [`mlf logMetric one by one (${perSec(oneMs)}/s)`, s(oneMs), `${(plainMs / oneMs).toFixed(1)}x`],
        [`mlf logMetrics, batches of 1000 (${perSec(batchMs)}/s)`, s(batchMs), `${(plainMs / batchMs).toFixed(1)}x`],
      ],
      notes: [`Setup: ${RUNS} runs x (5 params, 5 metrics of 10 points, 5 tags) written in ${s(genMs)} s. Warm search still lists the experiment and stats each run's meta.yaml and key folders, so writes by MLflow or other processes are seen.`],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
