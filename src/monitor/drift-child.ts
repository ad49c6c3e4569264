import { MlfError } from "../errors.js";
import type { DriftSummary, GaugeRequest } from "../serving/logging/drift-run.js";
import type { FeatureDrift } from "./drift.js";
import { monitorDrift, type DriftRequest, type ModelDriftReport } from "./model-drift.js";

/**
 * The child process of mlf serve's drift gauges (driftInChild, src/serving/logging/drift-run.ts,
 * forks this file by path): one request from the parent, one monitorDrift, one reply, exit.
 * Forked, not imported: the server depends on monitoring only through this process boundary
 * (monitor/ imports serving/'s model runtime, so serving/ must not import monitor/).
 */

function feature(f: FeatureDrift): DriftSummary["features"][number] {
  return { name: f.name, test: f.test, score: f.score, threshold: f.threshold, drifted: f.drifted, missingShare: f.current.missingShare, outsideMaxAgeShare: f.current.statusShares?.OUTSIDE_MAX_AGE ?? null };
}

/** What the drift gauges show of one report: numbers only, no histograms. */
function summarize(report: ModelDriftReport): DriftSummary {
  return {
    rows: report.current.rows,
    features: report.features.map(feature),
    prediction: report.prediction && { test: report.prediction.test, score: report.prediction.score, drifted: report.prediction.drifted },
    dataset: { share: report.dataset.share, drift: report.dataset.drift },
  };
}

process.once("message", (message: GaugeRequest) => {
  const request: DriftRequest = message;
  void monitorDrift(request)
    .then((report) => ({ summary: summarize(report) }))
    .catch((error: unknown) => ({ error: { code: error instanceof MlfError ? error.code : "runtime", message: (error as Error).message } }))
    .then((reply) => process.send!(reply, () => process.disconnect()));
});
