import { existsSync } from "node:fs";
import { MlfError } from "../errors.js";
import { listModelNames, listVersions } from "../models/store.js";
import { listLogFiles, logFolder } from "../repo/feature-logs.js";
import { readReference, type VersionReference } from "../monitor/read-reference.js";
import type { DriftVersion } from "./types.js";

/**
 * The drift page's list: every live model version with a reference recorded at registration
 * (what `mlf monitor drift --model` compares against), and how many feature log files its
 * model has in the repository. The report itself is `monitorDrift`, run when asked for.
 */

/**
 * A version's reference, or undefined when it has none or it is broken: `mlf monitor drift`
 * reports a broken one; the pages show what they can.
 */
export function readableReference(trackingDir: string, version: Parameters<typeof readReference>[1]): VersionReference | undefined {
  try {
    return readReference(trackingDir, version);
  } catch (error) {
    if (error instanceof MlfError) return undefined;
    throw error;
  }
}

/**
 * `logDir`: the repository's feature log folder (repoLogDir: its `logging.path`, else
 * `data/logs`), where `mlf serve` writes and `mlf monitor drift --model` reads.
 */
export function driftVersions(trackingDir: string, logDir: string | undefined): DriftVersion[] {
  const out: DriftVersion[] = [];
  for (const model of listModelNames(trackingDir)) {
    const folder = logDir === undefined ? undefined : logFolder(logDir, "models", model);
    const files = folder !== undefined && existsSync(folder) ? listLogFiles(folder).length : 0;
    for (const version of listVersions(trackingDir, model)) {
      const reference = readableReference(trackingDir, version);
      if (!reference) continue;
      out.push({
        model, version: version.version, stage: version.currentStage, aliases: [...version.aliases].sort(),
        reference: {
          path: reference.record.path, rows: reference.record.rows, sha256: reference.record.sha256, present: existsSync(reference.record.path),
          features: reference.profile.features.map((f) => f.name), createdAt: reference.profile.createdAt,
        },
        logs: { folder: folder ?? null, files },
      });
    }
  }
  return out;
}
