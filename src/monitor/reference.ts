import { statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MlfError } from "../errors.js";
import type { MlfReference } from "../models/mlmodel.js";
import { OfflineEngine } from "../offline/engine.js";
import { formatFeatureRef, serviceRefs } from "../repo/resolve.js";
import type { Definitions, OfflineStoreConfig } from "../repo/types.js";
import { getRun } from "../tracking/read.js";
import { sha256 } from "../tracking/wrapper.js";
import { writeFileAtomic } from "../util/fs.js";
import { buildProfile } from "./build-profile.js";
import { REFERENCE_FILE, type ReferenceProfile } from "./profile-format.js";
import { predictionProfile } from "./reference-predictions.js";

/**
 * The reference of a new model version: the data it was trained on, recorded at registration
 * (path, sha256 and rows in the MLmodel's `metadata.mlf.reference`) with its profile written
 * beside the model, so `mlf monitor drift --model NAME@ALIAS` knows what "normal" looks like.
 */
export interface ReferenceOptions {
  trackingDir: string;
  /** `--reference FILE` (relative to `cwd`): overrides the run's input. */
  file?: string;
  /** The run the model comes from: its one `--input` is the default reference. */
  runId?: string;
  cwd?: string;
  /** The model's inputs as registered: feature references in input order, or a feature service. */
  inputs: { features: string[] | null; featureService: string | null };
  /** The applied feature definitions, to list a feature service's features. */
  definitions?: Definitions;
  /** The model's bytes: its predictions on the reference are profiled too. */
  model: Uint8Array;
  offline?: OfflineStoreConfig;
  /** Told why there is no reference when the run's inputs do not give one. */
  warn?: (message: string) => void;
}

interface RunInput {
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * The run's single input as a file that still has the recorded digest. `track run` records the
 * path as typed, relative to where it ran: tried from here, from the folder above the tracking
 * root (the repository) and as recorded.
 */
async function runInput(options: ReferenceOptions): Promise<{ path: string; sha256: string } | undefined> {
  if (options.runId === undefined) return undefined;
  const tag = getRun(options.trackingDir, options.runId).tags["mlf.inputs"];
  if (tag === undefined) return undefined;
  const inputs = JSON.parse(tag) as RunInput[];
  if (inputs.length !== 1) {
    options.warn?.(`Run ${options.runId} has ${inputs.length} inputs, so none is taken as the reference; pass --reference FILE to monitor this version for drift.`);
    return undefined;
  }
  const [input] = inputs as [RunInput];
  const candidates = [...new Set([resolve(options.cwd ?? process.cwd(), input.path), resolve(dirname(options.trackingDir), input.path), resolve(input.path)])];
  for (const path of candidates) {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats?.isFile() && stats.size === input.bytes && (await sha256(path)) === input.sha256) return { path, sha256: input.sha256 };
  }
  options.warn?.(`The input ${input.path} of run ${options.runId} is gone or has changed since the run (sha256 ${input.sha256.slice(0, 12)}), so this version has no reference; pass --reference FILE to monitor it for drift.`);
  return undefined;
}

/** The model's inputs in order (`view:feature`), or undefined when they are not known here. */
function modelInputs(options: ReferenceOptions): string[] | undefined {
  const { features, featureService } = options.inputs;
  if (features && features.length > 0) return features;
  if (featureService === null || options.definitions === undefined) return undefined;
  return serviceRefs(options.definitions, featureService).map(formatFeatureRef);
}

async function profileReference(options: ReferenceOptions, found: { path: string; sha256: string }): Promise<ReferenceProfile> {
  const features = modelInputs(options);
  const engine = await OfflineEngine.open(options.offline ?? { type: "duckdb" });
  try {
    const profile = await buildProfile(engine, found.path, { sha256: found.sha256, ...(features && { features }) });
    if (features) {
      const predicted = await predictionProfile(engine, found.path, profile.features.map((f) => f.column), features, options.model);
      if (predicted.profile) profile.prediction = predicted.profile;
      else options.warn?.(`The reference profile has no predictions (${predicted.reason}); prediction drift will not be reported.`);
    }
    return profile;
  } finally {
    engine.close();
  }
}

const recorded = (found: { path: string; sha256: string }, profile: ReferenceProfile) => ({
  record: { path: found.path, sha256: found.sha256, rows: profile.source.rows, profile: REFERENCE_FILE },
  profile,
});

/**
 * Finds and profiles the reference (nothing when there is none). Reads only: the caller writes
 * the profile with `writeReference` once the version folder exists, so bad input changes
 * nothing. A `--reference` that cannot be profiled (missing, or without the model's columns)
 * is an error; a run input that cannot is only a warning: the model is registered unmonitored.
 */
export async function prepareReference(options: ReferenceOptions): Promise<{ record: MlfReference; profile: ReferenceProfile } | undefined> {
  if (options.file !== undefined) {
    const path = resolve(options.cwd ?? process.cwd(), options.file);
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new MlfError("file_not_found", `The reference ${options.file} does not exist; pass the training set the model was trained on to --reference.`);
    const found = { path, sha256: await sha256(path) };
    return recorded(found, await profileReference(options, found));
  }
  const found = await runInput(options);
  if (found === undefined) return undefined;
  try {
    return recorded(found, await profileReference(options, found));
  } catch (error) {
    if (!(error instanceof MlfError)) throw error;
    options.warn?.(`The run's input ${found.path} cannot serve as the reference (${error.message}); pass --reference FILE to monitor this version for drift.`);
    return undefined;
  }
}

/** Writes the profile into the version folder (atomically). */
export function writeReference(versionDir: string, profile: ReferenceProfile): void {
  writeFileAtomic(join(versionDir, REFERENCE_FILE), `${JSON.stringify(profile)}\n`);
}
