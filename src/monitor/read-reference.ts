import { basename, join } from "node:path";
import { MlfError } from "../errors.js";
import { readMLmodel, type MlfReference } from "../models/mlmodel.js";
import type { ModelVersion } from "../models/store.js";
import { parseModelUri, selectVersion, versionArtifactDir } from "../models/uri.js";
import { readProfileFile, type ReferenceProfile } from "./profile-format.js";

/** A model version's reference data: where it was, and the profile kept beside the model. */
export interface VersionReference {
  /** The version it belongs to. */
  version: ModelVersion;
  /** Path, sha256 and rows of the training file, as recorded at registration. */
  record: MlfReference;
  profile: ReferenceProfile;
  /** Path of the profile file (`<version folder>/reference.json`). */
  profilePath: string;
}

/**
 * The reference of a registered model version, or undefined when none was recorded at
 * registration (`mlf registry register --reference FILE`, or a run with one `--input`).
 * `version` is a ModelVersion or a registry reference (`NAME@ALIAS`, `NAME/N`, `models:/...`).
 *
 * `profile.sample` holds up to 500 rows of the model's inputs (`sample.columns`, in input
 * order) drawn uniformly with a fixed seed: the background data an explainer needs.
 */
export function readReference(trackingDir: string, version: ModelVersion | string): VersionReference | undefined {
  let resolved: ModelVersion;
  if (typeof version === "string") {
    const parsed = parseModelUri(version, { files: false });
    if (parsed.kind !== "registry") throw new MlfError("invalid_argument", `"${version}" is not a registered model reference.`);
    resolved = selectVersion(trackingDir, parsed.name, parsed.selector);
  } else resolved = version;
  const dir = versionArtifactDir(trackingDir, resolved);
  const record = readMLmodel(dir)?.mlf?.reference;
  if (!record) return undefined;
  // The name comes from a file anyone can edit: it must stay inside the version folder.
  if (record.profile !== basename(record.profile)) throw new MlfError("invalid_data", `The reference profile name "${record.profile}" in ${dir}/MLmodel is not a file name; register the model again.`);
  const profilePath = join(dir, record.profile);
  const profile = readProfileFile(profilePath);
  if (!profile) {
    throw new MlfError("invalid_data", `Version ${resolved.version} of model "${resolved.name}" records a reference profile, but ${profilePath} is missing; register the model again.`);
  }
  return { version: resolved, record, profile, profilePath };
}

/**
 * The profile's sample as an explainer's background (`loadExplainer({ background })`): one
 * number per model input, NaN for a missing value, booleans as 0/1. A text input has no
 * numeric form: that is an error naming it.
 */
export function backgroundRows(profile: ReferenceProfile): number[][] {
  return profile.sample.rows.map((row) =>
    row.map((v, i) => {
      if (v === null) return Number.NaN;
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "number") return v;
      throw new MlfError("invalid_data", `Model input ${profile.sample.columns[i]} is text in the reference sample; an explainer needs numeric inputs.`);
    }),
  );
}
