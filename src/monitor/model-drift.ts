import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { MlfError } from "../errors.js";
import { OfflineEngine } from "../offline/engine.js";
import { LOG_COLUMNS } from "../repo/feature-logs.js";
import { sha256 } from "../tracking/wrapper.js";
import { computeDrift, type DriftOptions, type DriftReport } from "./drift.js";
import { PREDICTION, profileSide } from "./profile-side.js";
import { readReference, resolveRegisteredModel, type RegisteredModel } from "./read-reference.js";
import type { DriftSide } from "./side.js";
import { currentInput, modelLogFolder, openTableSide, type ServedDataOptions } from "./table-side.js";

/** What to compare: two data sets, or a registered model's reference with what it served. */
export interface DriftRequest extends Omit<DriftOptions, "prediction">, ServedDataOptions {
  /** A registered model (`NAME@ALIAS`, `NAME/N`, `models:/...`): its reference and its feature logs. */
  model?: string;
  trackingDir?: string;
  /** The reference data file; with `model`, overrides the one recorded at registration. */
  reference?: string;
  /** A Parquet/CSV file or a folder of feature logs; with `model`, default its log folder. */
  current?: string;
}

export interface ModelDriftReport extends DriftReport {
  /** The model version compared, when a model was given. */
  model: { name: string; version: number } | null;
}

/**
 * The reference side of a model: the recorded training file, read exactly, while it still has
 * the recorded sha256; otherwise its stored profile (approximate for features with more than
 * 1,000 distinct values). Also the side holding the reference predictions (the profile).
 */
async function modelReference(engine: OfflineEngine, request: DriftRequest, trackingDir: string, resolved: RegisteredModel): Promise<{ side: DriftSide; predictions?: DriftSide; features?: string[] }> {
  const reference = readReference(trackingDir, resolved.version);
  const features = resolved.mlmodel?.mlf?.features ?? reference?.profile.features.map((f) => f.name);
  const predictions = reference?.profile.prediction ? profileSide(reference.profile, reference.profilePath) : undefined;
  const withFeatures = { ...(features && { features }), ...(predictions && { predictions }) };
  if (request.reference !== undefined) return { side: await openTableSide(engine, { kind: "file", path: resolve(request.cwd ?? process.cwd(), request.reference) }), ...withFeatures };
  if (!reference) {
    throw new MlfError("usage", `Version ${resolved.version.version} of model "${resolved.name}" has no reference data; pass the training set with --reference FILE (or register with --reference).`);
  }
  const { path, sha256: recorded } = reference.record;
  if (existsSync(path) && (await sha256(path)) === recorded) {
    const side = await openTableSide(engine, { kind: "file", path });
    return { side: { ...side, source: { kind: "file", path, sha256: recorded } }, ...withFeatures };
  }
  return { side: profileSide(reference.profile, reference.profilePath), ...withFeatures };
}

/**
 * `mlf monitor drift`: the drift report of `current` against `reference` (both files or log
 * folders), or of a registered model's served inputs (its feature logs, or `current`) against
 * its reference. Opens and closes its own DuckDB engine.
 */
export async function monitorDrift(request: DriftRequest): Promise<ModelDriftReport> {
  const cwd = request.cwd ?? process.cwd();
  const engine = await OfflineEngine.open(request.offline ?? { type: "duckdb" });
  const sides: DriftSide[] = [];
  try {
    let reference: Awaited<ReturnType<typeof modelReference>>;
    let model: ModelDriftReport["model"] = null;
    let currentPath: string;
    if (request.model !== undefined) {
      const trackingDir = request.trackingDir ?? resolve(cwd, "mlruns");
      const resolved = resolveRegisteredModel(trackingDir, request.model);
      const { version } = resolved;
      model = { name: version.name, version: version.version };
      reference = await modelReference(engine, request, trackingDir, resolved);
      currentPath = request.current !== undefined ? resolve(cwd, request.current) : modelLogFolder(request, cwd, version.name);
    } else {
      if (request.reference === undefined || request.current === undefined) throw new MlfError("usage", "Pass --model NAME@ALIAS, or both --reference FILE and --current FILE.");
      reference = { side: await openTableSide(engine, { kind: "file", path: resolve(cwd, request.reference) }) };
      currentPath = resolve(cwd, request.current);
    }
    sides.push(reference.side);
    const current = await openTableSide(engine, currentInput(currentPath, request.since, model?.version));
    sides.push(current);

    const predictionSide = reference.predictions ?? reference.side;
    const predictionColumn = reference.predictions ? PREDICTION : LOG_COLUMNS.prediction;
    const hasPrediction = predictionSide.columns.some((c) => c.name === predictionColumn) && current.columns.some((c) => c.name === LOG_COLUMNS.prediction);
    const features = request.features ?? reference.features;
    const report = await computeDrift(reference.side, current, {
      ...request,
      ...(features && { features }),
      ...(hasPrediction && { prediction: { reference: predictionColumn, current: LOG_COLUMNS.prediction, side: predictionSide } }),
    });
    return { ...report, model };
  } finally {
    for (const side of sides) await side.close();
    engine.close();
  }
}
