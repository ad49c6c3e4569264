import { readFileSync } from "node:fs";
import { MlfError } from "../errors.js";
import { runLineage, type RunLineage } from "./lineage.js";
import { readMLmodel, type MLmodel } from "./mlmodel.js";
import { checkModelName } from "./names.js";
import { sha256, type OnnxSignature } from "./onnx.js";
import { listModelNames, listVersions, readModel, type ModelVersion, type RegisteredModel } from "./store.js";
import { parseModelUri, resolveModelUri, selectVersion, versionArtifactDir } from "./uri.js";

/** One line of `mlf registry ls`. */
export interface ModelSummary extends RegisteredModel {
  /** Highest live version, or null when every version was deleted. */
  latestVersion: number | null;
  /** Number of live versions. */
  versionCount: number;
  /** The newest version in each of these stages, or null. */
  production: number | null;
  staging: number | null;
}

function summary(trackingDir: string, name: string): ModelSummary & { versions: ModelVersion[] } {
  const model = readModel(trackingDir, name);
  const versions = listVersions(trackingDir, name);
  const inStage = (stage: string) => versions.filter((v) => v.currentStage === stage).at(-1)?.version ?? null;
  return {
    ...model,
    latestVersion: versions.at(-1)?.version ?? null,
    versionCount: versions.length,
    production: inStage("Production"),
    staging: inStage("Staging"),
    versions,
  };
}

export function listModels(trackingDir: string): ModelSummary[] {
  return listModelNames(trackingDir).map((name) => {
    const { versions: _versions, ...rest } = summary(trackingDir, name);
    return rest;
  });
}

/** A model with its live versions (oldest first). */
export function describeModel(trackingDir: string, name: string): ModelSummary & { versions: ModelVersion[] } {
  return summary(trackingDir, checkModelName(name));
}

/** Everything known about one version: metadata, signature, features, digest check and run lineage. */
export interface VersionDetail extends ModelVersion {
  /** The canonical URI of this version (`models:/NAME/N`). */
  uri: string;
  flavors: string[];
  signature: OnnxSignature | null;
  features: string[] | null;
  featureService: string | null;
  entityKeys: string[];
  /** sha256 recorded at registration, the file's current sha256, and whether they agree. */
  digest: { recorded: string | null; actual: string | null; verified: boolean };
  /** The run the version came from, null when registered from a file. */
  lineage: RunLineage | { runId: string; missing: string } | null;
}

/** `show NAME/N`, `show NAME@ALIAS`, `show models:/NAME/Production`... (registry URIs only). */
export function describeVersion(trackingDir: string, ref: string): VersionDetail {
  const parsed = parseModelUri(ref.includes("/") || ref.includes("@") ? ref : `${ref}@latest`, { files: false });
  if (parsed.kind !== "registry") throw new MlfError("invalid_argument", `"${ref}" is not a registered model reference.`);
  const version = selectVersion(trackingDir, parsed.name, parsed.selector);
  let mlmodel: MLmodel | undefined;
  let actual: string | null = null;
  try {
    const resolved = resolveModelUri(trackingDir, `models:/${parsed.name}/${version.version}`);
    mlmodel = resolved.mlmodel;
    actual = sha256(readFileSync(resolved.modelFile));
  } catch (error) {
    // A version without an ONNX file (e.g. an MLflow sklearn model) is still shown, unverified.
    if (!(error instanceof MlfError)) throw error;
    mlmodel ??= readMLmodel(versionArtifactDir(trackingDir, version));
  }
  const recorded = mlmodel?.mlf?.sha256 || null;
  return {
    ...version,
    uri: `models:/${parsed.name}/${version.version}`,
    flavors: mlmodel?.flavors ?? [],
    signature: mlmodel?.signature ?? null,
    features: mlmodel?.mlf?.features ?? null,
    featureService: mlmodel?.mlf?.featureService ?? null,
    entityKeys: mlmodel?.mlf?.entityKeys ?? [],
    digest: { recorded, actual, verified: recorded !== null && recorded === actual },
    lineage: version.runId ? runLineage(trackingDir, version.runId) : null,
  };
}
