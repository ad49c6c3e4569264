import { parentPort, workerData } from "node:worker_threads";
import { MlfError } from "../../errors.js";
import { monitorDrift, type DriftRequest } from "../../monitor/model-drift.js";
import { summarize } from "./drift-run.js";

/** The worker thread of driftInWorker: one monitorDrift, one reply, then exit. */
try {
  const report = await monitorDrift(workerData as DriftRequest);
  parentPort!.postMessage({ summary: summarize(report) });
} catch (error) {
  const code = error instanceof MlfError ? error.code : "runtime";
  parentPort!.postMessage({ error: { code, message: (error as Error).message } });
}
