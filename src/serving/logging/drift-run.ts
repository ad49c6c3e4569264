import { Worker } from "node:worker_threads";
import { MlfError, errorCodes, type ErrorCode } from "../../errors.js";
import type { FeatureDrift } from "../../monitor/drift.js";
import type { DriftRequest, ModelDriftReport } from "../../monitor/model-drift.js";

/** What the drift gauges show of one report: numbers only, no histograms. */
export interface DriftSummary {
  rows: number;
  features: { name: string; test: string | null; score: number | null; threshold: number | null; drifted: boolean; missingShare: number; outsideMaxAgeShare: number | null }[];
  prediction: { test: string | null; score: number | null; drifted: boolean } | null;
  dataset: { share: number; drift: boolean };
}

function feature(f: FeatureDrift): DriftSummary["features"][number] {
  return { name: f.name, test: f.test, score: f.score, threshold: f.threshold, drifted: f.drifted, missingShare: f.current.missingShare, outsideMaxAgeShare: f.current.statusShares?.OUTSIDE_MAX_AGE ?? null };
}

export function summarize(report: ModelDriftReport): DriftSummary {
  return {
    rows: report.current.rows,
    features: report.features.map(feature),
    prediction: report.prediction && { test: report.prediction.test, score: report.prediction.score, drifted: report.prediction.drifted },
    dataset: { share: report.dataset.share, drift: report.dataset.drift },
  };
}

type Reply = { summary: DriftSummary } | { error: { code: string; message: string } };

/**
 * Runs `mlf monitor drift` (monitorDrift) in a worker thread and returns its summary. The
 * server's event loop only waits for a message: reading the logs and the reference, and the
 * tests in JavaScript, run on the worker's thread, and DuckDB's memory goes with the worker
 * when it exits. `signal` terminates it (server shutdown).
 */
export function driftInWorker(request: DriftRequest, signal?: AbortSignal): Promise<DriftSummary> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./drift-worker.js", import.meta.url), { workerData: request });
    const abort = () => void worker.terminate();
    signal?.addEventListener("abort", abort, { once: true });
    let settled = false;
    worker.once("message", (reply: Reply) => {
      settled = true;
      if ("summary" in reply) resolve(reply.summary);
      else reject(new MlfError(reply.error.code in errorCodes ? (reply.error.code as ErrorCode) : "runtime", reply.error.message));
    });
    worker.once("error", (error) => {
      settled = true;
      reject(error);
    });
    worker.once("exit", (code) => {
      signal?.removeEventListener("abort", abort);
      if (!settled) reject(new MlfError("runtime", signal?.aborted ? "The drift computation was stopped." : `The drift worker exited with code ${code}.`));
    });
  });
}
