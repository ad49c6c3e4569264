import { MlfError } from "../errors.js";
import type { MlfReference } from "../models/mlmodel.js";
import { readReferenceJson, referenceLocation } from "../models/reference.js";
import type { ModelVersion } from "../models/store.js";
import { parseModelUri, resolveModelUri, selectVersion, type ResolvedModel } from "../models/uri.js";
import { checkProfile, type ReferenceProfile } from "./profile-format.js";

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

/** A model resolved from the registry: its version is known. */
export type RegisteredModel = ResolvedModel & { version: ModelVersion };

/** The model version `--model` names (NAME@ALIAS, NAME/N, models:/...); a file or run URI is a usage error. */
export function resolveRegisteredModel(trackingDir: string, model: string): RegisteredModel {
  const parsed = parseModelUri(model, { files: false });
  if (parsed.kind !== "registry") throw new MlfError("usage", `--model takes a registered model (NAME@ALIAS, NAME/N); "${model}" is not one.`);
  const resolved = resolveModelUri(trackingDir, model);
  return { ...resolved, version: resolved.version! };
}

/**
 * The reference of a registered model version, or undefined when none was recorded at
 * registration (`mlf registry register --reference FILE`, or a run with one `--input`).
 * `version` is a ModelVersion or a registry reference (`NAME@ALIAS`, `NAME/N`, `models:/...`).
 *
 * `profile.sample` holds up to 500 rows of the model's inputs (`sample.columns`, in input
 * order) drawn uniformly with a fixed seed: the background data an explainer needs
 * (`backgroundRows` in src/models/reference.ts).
 */
export function readReference(trackingDir: string, version: ModelVersion | string): VersionReference | undefined {
  let resolved: ModelVersion;
  if (typeof version === "string") {
    const parsed = parseModelUri(version, { files: false });
    if (parsed.kind !== "registry") throw new MlfError("invalid_argument", `"${version}" is not a registered model reference.`);
    resolved = selectVersion(trackingDir, parsed.name, parsed.selector);
  } else resolved = version;
  const location = referenceLocation(trackingDir, resolved);
  if (!location) return undefined;
  const profile = checkProfile(location.path, readReferenceJson(resolved, location.path));
  return { version: resolved, record: location.record, profile, profilePath: location.path };
}
