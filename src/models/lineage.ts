import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";

/**
 * The registry's only contact with tracking runs. Kept in this one file so the tracking
 * store's reader is the single source of truth for runs once it is available.
 */

function findRunDir(trackingDir: string, runId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new MlfError("invalid_argument", `"${runId}" is not a run id; copy it from "mlf track ls".`);
  const experiments = existsSync(trackingDir) ? readdirSync(trackingDir, { withFileTypes: true }) : [];
  for (const e of experiments) {
    if (e.isDirectory() && e.name !== "models" && existsSync(join(trackingDir, e.name, runId, "meta.yaml"))) return join(trackingDir, e.name, runId);
  }
  throw new MlfError("not_found", `No run ${runId} in ${trackingDir}; check the id with "mlf track ls" or pass --tracking-dir.`);
}

/** The folder holding a run's artifacts. */
export function runArtifactsDir(trackingDir: string, runId: string): string {
  return join(findRunDir(trackingDir, runId), "artifacts");
}
