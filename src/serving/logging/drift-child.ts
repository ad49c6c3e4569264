import { MlfError } from "../../errors.js";
import { monitorDrift, type DriftRequest } from "../../monitor/model-drift.js";
import { summarize } from "./drift-run.js";

/** The child process of driftInChild: one request from the parent, one monitorDrift, one reply, exit. */
process.once("message", (request: DriftRequest) => {
  void monitorDrift(request)
    .then((report) => ({ summary: summarize(report) }))
    .catch((error: unknown) => ({ error: { code: error instanceof MlfError ? error.code : "runtime", message: (error as Error).message } }))
    .then((reply) => process.send!(reply, () => process.disconnect()));
});
