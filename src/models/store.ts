import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { readKeyValues } from "../tracking/files.js";
import { readMeta } from "../tracking/meta.js";
import { MlfError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { withLockSync } from "../util/lock.js";
import { checkModelName, DELETED_STAGE } from "./names.js";

/**
 * The registry's files, in MLflow's file-store layout under `<tracking dir>/models/`:
 * `<name>/meta.yaml`, `<name>/version-<N>/meta.yaml`, `<name>/aliases/<alias>` (the version
 * number as text), `<name>/tags/<key>`, plus mlf's `<name>/events.jsonl`. Timestamps are
 * integer milliseconds since the epoch (UTC), as MLflow writes them.
 */

/** A registered model (`<name>/meta.yaml` plus its aliases and tags folders). */
export interface RegisteredModel {
  name: string;
  /** ms since epoch, UTC */
  creationTimestamp: number;
  /** ms since epoch, UTC */
  lastUpdatedTimestamp: number;
  description: string;
  tags: Record<string, string>;
  /** alias -> version number */
  aliases: Record<string, number>;
}

/** One model version (`<name>/version-<N>/meta.yaml`); the artifact next to it never changes. */
export interface ModelVersion {
  name: string;
  version: number;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  /** None, Staging, Production, Archived (or Deleted_Internal for a soft-deleted version). */
  currentStage: string;
  description: string;
  /** Where the artifact came from: `runs:/<id>/<path>` or a file URI. */
  source: string;
  runId: string | null;
  runLink: string;
  status: string;
  statusMessage: string | null;
  userId: string | null;
  /** The folder holding the registered copy (a file URI); MLflow 2.x key. */
  storageLocation: string | null;
  tags: Record<string, string>;
  /** Aliases pointing at this version. */
  aliases: string[];
}

export const modelsRoot = (trackingDir: string): string => join(trackingDir, "models");
export const modelDir = (trackingDir: string, name: string): string => join(modelsRoot(trackingDir), checkModelName(name));
export const versionDir = (trackingDir: string, name: string, version: number): string => join(modelDir(trackingDir, name), `version-${version}`);

export function writeYaml(file: string, value: Record<string, unknown>): void {
  writeFileAtomic(file, stringify(value));
}

const str = (v: unknown, fallback = ""): string => (typeof v === "string" ? v : v === null || v === undefined ? fallback : String(v));
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined || v === "" ? null : String(v));

export function readAliases(trackingDir: string, name: string): Record<string, number> {
  const raw = readKeyValues(join(modelDir(trackingDir, name), "aliases"));
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.trim()]).filter(([, v]) => /^\d+$/.test(v!)).map(([k, v]) => [k, Number(v)]));
}

export function writeAlias(trackingDir: string, name: string, alias: string, version: number): void {
  writeFileAtomic(join(modelDir(trackingDir, name), "aliases", alias), String(version));
}

export function removeAlias(trackingDir: string, name: string, alias: string): void {
  rmSync(join(modelDir(trackingDir, name), "aliases", alias), { force: true });
}

export function modelExists(trackingDir: string, name: string): boolean {
  return existsSync(join(modelDir(trackingDir, name), "meta.yaml"));
}

export function readModel(trackingDir: string, name: string): RegisteredModel {
  const dir = modelDir(trackingDir, name);
  const meta = readMeta(join(dir, "meta.yaml"));
  if (!meta) {
    const known = listModelNames(trackingDir);
    throw new MlfError("not_found", `No registered model named "${name}" in ${modelsRoot(trackingDir)}; known: ${known.join(", ") || "(none)"}.`);
  }
  return {
    name: str(meta.name, name),
    creationTimestamp: num(meta.creation_timestamp),
    lastUpdatedTimestamp: num(meta.last_updated_timestamp),
    description: str(meta.description),
    tags: readKeyValues(join(dir, "tags")),
    aliases: readAliases(trackingDir, name),
  };
}

/** Model folders holding a meta.yaml, sorted by name; folders that are not valid names are ignored. */
export function listModelNames(trackingDir: string): string[] {
  const root = modelsRoot(trackingDir);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith(".") && existsSync(join(root, d.name, "meta.yaml")))
    .map((d) => d.name)
    .sort();
}

/** Version numbers whose folder exists, including ones still being written or deleted. */
export function allocatedVersions(trackingDir: string, name: string): number[] {
  const dir = modelDir(trackingDir, name);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^version-([1-9]\d*)$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

function toVersion(meta: Record<string, unknown>, name: string, version: number, dir: string, aliases: Record<string, number>): ModelVersion {
  return {
    name: str(meta.name, name),
    version,
    creationTimestamp: num(meta.creation_timestamp),
    lastUpdatedTimestamp: num(meta.last_updated_timestamp),
    currentStage: str(meta.current_stage, "None"),
    description: str(meta.description),
    source: str(meta.source),
    runId: strOrNull(meta.run_id),
    runLink: str(meta.run_link),
    status: str(meta.status, "READY"),
    statusMessage: strOrNull(meta.status_message),
    userId: strOrNull(meta.user_id),
    storageLocation: strOrNull(meta.storage_location),
    tags: readKeyValues(join(dir, "tags")),
    aliases: Object.entries(aliases).filter(([, v]) => v === version).map(([a]) => a),
  };
}

/**
 * Reads one version, or undefined when its meta.yaml is not there yet (a registration in
 * flight or one that crashed before finishing: meta.yaml is written last, atomically).
 */
export function readVersionIfComplete(trackingDir: string, name: string, version: number, aliases = readAliases(trackingDir, name)): ModelVersion | undefined {
  const dir = versionDir(trackingDir, name, version);
  const meta = readMeta(join(dir, "meta.yaml"));
  return meta && toVersion(meta, name, version, dir, aliases);
}

/** The registered versions of a model, oldest first; soft-deleted ones only when asked. */
export function listVersions(trackingDir: string, name: string, options: { includeDeleted?: boolean } = {}): ModelVersion[] {
  readModel(trackingDir, name);
  const aliases = readAliases(trackingDir, name);
  return allocatedVersions(trackingDir, name)
    .map((v) => readVersionIfComplete(trackingDir, name, v, aliases))
    .filter((v): v is ModelVersion => v !== undefined && (options.includeDeleted === true || v.currentStage !== DELETED_STAGE));
}

/** One live version; unknown and soft-deleted versions are a not_found error listing what exists. */
export function readVersion(trackingDir: string, name: string, version: number): ModelVersion {
  readModel(trackingDir, name);
  const found = readVersionIfComplete(trackingDir, name, version);
  if (!found || found.currentStage === DELETED_STAGE) {
    const live = listVersions(trackingDir, name).map((v) => v.version);
    const why = found ? "was deleted" : "does not exist";
    throw new MlfError("not_found", `Version ${version} of model "${name}" ${why}; live versions: ${live.join(", ") || "(none)"}.`);
  }
  return found;
}

/** The MLflow meta.yaml content of a version (snake_case keys). */
export function versionMeta(v: ModelVersion): Record<string, unknown> {
  return {
    creation_timestamp: v.creationTimestamp,
    current_stage: v.currentStage,
    description: v.description,
    last_updated_timestamp: v.lastUpdatedTimestamp,
    name: v.name,
    run_id: v.runId,
    run_link: v.runLink,
    source: v.source,
    status: v.status,
    status_message: v.statusMessage,
    storage_location: v.storageLocation,
    user_id: v.userId,
    version: v.version,
  };
}

export function writeVersion(trackingDir: string, v: ModelVersion): void {
  writeYaml(join(versionDir(trackingDir, v.name, v.version), "meta.yaml"), versionMeta(v));
}

/**
 * Runs `fn` holding the model's lock. Every read-modify-write of a model's state (stages,
 * aliases, meta.yaml timestamps) goes through it, so concurrent changes never lose one another
 * and the audit log records them in the order they took effect. The lock is the synchronous
 * one because the registry API is synchronous, like MLflow's file store, and what it guards is a
 * few small file writes: the thread blocks only while another process does the same.
 */
export function withModelLock<T>(trackingDir: string, name: string, fn: () => T): T {
  readModel(trackingDir, name); // an unknown model is an error before anything (the lock file) is written
  return withLockSync(join(modelDir(trackingDir, name), ".model"), fn);
}

/** Bumps the model's last_updated_timestamp (callers hold the model lock). */
export function touchModel(trackingDir: string, name: string, now: number): void {
  const file = join(modelDir(trackingDir, name), "meta.yaml");
  const meta = readMeta(file);
  if (meta) writeYaml(file, { ...meta, last_updated_timestamp: now });
}
