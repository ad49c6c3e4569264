import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import { checkKey, checkTags, checkTagValue } from "../tracking/names.js";
import { tempPathFor, writeFileAtomic } from "../util/fs.js";
import { appendEvent, currentUser } from "./events.js";
import { checkModelName, parseVersion } from "./names.js";
import { allocateVersion, ensureModel } from "./register.js";
import { readMeta } from "../tracking/meta.js";
import { listVersions, modelDir, modelExists, modelsRoot, readModel, readVersion, touchModel, versionDir, withModelLock, writeVersion, writeYaml, type ModelVersion, type RegisteredModel } from "./store.js";

/**
 * The registry verbs of MLflow's REST API beyond `mlf registry`: creating, renaming,
 * describing, tagging and deleting registered models, and registering a version from an
 * artifact URI as MLflow clients do (`create_model_version(name, source, run_id)`): the
 * artifact stays where the run logged it and the version is READY at once. Each change runs
 * under the model's lock and is appended to its audit log.
 */

/** Creates a registered model; conflict (MLflow's RESOURCE_ALREADY_EXISTS) when the name is taken. */
export function createRegisteredModel(trackingDir: string, name: string, options: { description?: string; tags?: Record<string, string> } = {}): RegisteredModel {
  checkModelName(name);
  checkTags(options.tags ?? {});
  if (!ensureModel(trackingDir, name, Date.now(), options)) throw new MlfError("conflict", `Registered Model (name=${name}) already exists.`);
  return readModel(trackingDir, name);
}

/** Renames a model (its folder), rewriting the name in its and its versions' meta.yaml. */
export function renameRegisteredModel(trackingDir: string, name: string, newName: string): RegisteredModel {
  checkModelName(newName);
  withModelLock(trackingDir, name, () => {
    if (modelExists(trackingDir, newName)) throw new MlfError("conflict", `Registered Model (name=${newName}) already exists.`);
    const now = Date.now();
    appendEvent(trackingDir, { action: "rename_model", model: name, before: { name }, after: { name: newName }, at: now });
    try {
      // rename(2) refuses a non-empty target, so a model created meanwhile under newName is kept.
      renameSync(modelDir(trackingDir, name), modelDir(trackingDir, newName));
    } catch (error) {
      throw new MlfError("conflict", `Registered Model (name=${newName}) already exists.`, { cause: error });
    }
    // The lock file moved with the folder; the new name's lock is ours to release.
    rmSync(join(modelDir(trackingDir, newName), ".model.lock"), { force: true });
    for (const v of listVersions(trackingDir, newName, { includeDeleted: true })) writeVersion(trackingDir, { ...v, name: newName, lastUpdatedTimestamp: now });
    const meta = join(modelDir(trackingDir, newName), "meta.yaml");
    writeYaml(meta, { ...readMeta(meta), name: newName, last_updated_timestamp: now });
  });
  return readModel(trackingDir, newName);
}

/** Sets the description of a model, or of one of its versions. */
export function updateDescription(trackingDir: string, name: string, version: string | number | undefined, description: string): void {
  withModelLock(trackingDir, name, () => {
    const now = Date.now();
    if (version === undefined) {
      const meta = join(modelDir(trackingDir, name), "meta.yaml");
      const before = readModel(trackingDir, name).description;
      writeYaml(meta, { ...readMeta(meta), description, last_updated_timestamp: now });
      appendEvent(trackingDir, { action: "update_description", model: name, before: { description: before }, after: { description }, at: now });
      return;
    }
    const v = readVersion(trackingDir, name, parseVersion(version, name));
    writeVersion(trackingDir, { ...v, description, lastUpdatedTimestamp: now });
    appendEvent(trackingDir, { action: "update_description", model: name, version: v.version, before: { description: v.description }, after: { description }, at: now });
  });
}

/** Sets (value) or deletes (undefined) a tag of a model or, with `version`, of one version. */
export function setModelTag(trackingDir: string, name: string, version: string | number | undefined, key: string, value: string | undefined): void {
  checkKey("tag", key);
  if (value !== undefined) checkTagValue(key, value);
  withModelLock(trackingDir, name, () => {
    const v = version === undefined ? undefined : readVersion(trackingDir, name, parseVersion(version, name));
    const file = join(v === undefined ? modelDir(trackingDir, name) : versionDir(trackingDir, name, v.version), "tags", key);
    const before = v === undefined ? readModel(trackingDir, name).tags[key] : v.tags[key];
    if (value === undefined) {
      if (before === undefined) throw new MlfError("not_found", `No tag with key "${key}" on model "${name}"${v ? ` version ${v.version}` : ""}.`);
      rmSync(file);
    } else writeFileAtomic(file, value);
    const now = Date.now();
    touchModel(trackingDir, name, now);
    appendEvent(trackingDir, { action: value === undefined ? "delete_tag" : "set_tag", model: name, ...(v && { version: v.version }), before: before === undefined ? null : { [key]: before }, after: value === undefined ? null : { [key]: value }, at: now });
  });
}

/** Deletes a registered model with all its versions and aliases (MLflow deletes it for good). */
export function deleteRegisteredModel(trackingDir: string, name: string): void {
  withModelLock(trackingDir, name, () => {
    // Moved aside first: readers see the whole model or none of it.
    const aside = tempPathFor(join(modelsRoot(trackingDir), name));
    renameSync(modelDir(trackingDir, name), aside);
    rmSync(aside, { recursive: true, force: true });
  });
}

export interface SourceVersionOptions {
  /** Where the model's artifacts are: `runs:/ID/path`, `mlflow-artifacts:/...`, `file://...` or a path. */
  source: string;
  runId?: string;
  runLink?: string;
  description?: string;
  tags?: Record<string, string>;
}

/**
 * MLflow's create_model_version: a new version (max+1) pointing at `source`, READY at once
 * (nothing is copied or checked, as in MLflow). The model must exist.
 */
export function createVersionFromSource(trackingDir: string, name: string, options: SourceVersionOptions): ModelVersion {
  readModel(trackingDir, name);
  if (!options.source) throw new MlfError("invalid_argument", `A model version needs a source (the URI of the model's artifacts).`);
  checkTags(options.tags ?? {});
  const now = Date.now();
  const version = allocateVersion(trackingDir, name);
  for (const [k, v] of Object.entries(options.tags ?? {})) writeFileAtomic(join(versionDir(trackingDir, name, version), "tags", k), v);
  writeVersion(trackingDir, {
    name, version, creationTimestamp: now, lastUpdatedTimestamp: now, currentStage: "None",
    description: options.description ?? "", source: options.source, runId: options.runId || null, runLink: options.runLink ?? "",
    status: "READY", statusMessage: null, userId: currentUser(), storageLocation: null, tags: {}, aliases: [],
  });
  withModelLock(trackingDir, name, () => {
    touchModel(trackingDir, name, now);
    appendEvent(trackingDir, { action: "register", model: name, version, before: null, after: { version, source: options.source, run_id: options.runId ?? null }, at: now });
  });
  return readVersion(trackingDir, name, version);
}

