import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { MlfError } from "../errors.js";
import { checkArtifactPath, checkTags } from "../tracking/names.js";
import type { Definitions } from "../repo/types.js";
import { tempPathFor, writeFileAtomic } from "../util/fs.js";
import { appendEvent, appendEventTo, currentUser } from "./events.js";
import { inputWidth, resolveFeatureInputs } from "./features.js";
import { runArtifactsDir } from "./lineage.js";
import { MODEL_FILE, readMLmodel, renderMLmodel, type MlfMetadata } from "./mlmodel.js";
import { checkModelName } from "./names.js";
import { inspectOnnx, sha256 } from "./onnx.js";
import { allocatedVersions, modelDir, modelsRoot, readVersion, touchModel, versionDir, withModelLock, writeVersion, writeYaml, type ModelVersion } from "./store.js";

/** Where the model file of a new version comes from: exactly one of `file` or `runId`. */
export interface RegisterOptions {
  /** An .onnx file (relative paths against `cwd`). */
  file?: string;
  runId?: string;
  /** Artifact path inside the run's artifacts (default `model`): an .onnx file or a folder holding one. */
  artifactPath?: string;
  features?: string[];
  service?: string;
  description?: string;
  /** Version tags (`<version>/tags/<key>`), written with the version: lineage such as a pipeline's scores. */
  tags?: Record<string, string>;
  /** Applied feature definitions when run inside a repository; feature references are checked against them. */
  definitions?: Definitions;
  cwd?: string;
  /**
   * Prepares extra files for the new version from its checked model and inputs, before anything
   * is written (so bad input still writes nothing). Layers above the registry use it: monitoring
   * attaches the version's drift reference this way (src/monitor/register.ts).
   */
  attach?: (candidate: VersionCandidate) => Promise<VersionAttachment | undefined>;
}

/** What an `attach` hook sees of a version about to be registered. */
export interface VersionCandidate {
  bytes: Uint8Array;
  inputs: { features: string[] | null; featureService: string | null };
  runId?: string;
}

/** Files and metadata an `attach` hook adds to a new version. */
export interface VersionAttachment {
  /** Merged into the MLmodel's `metadata.mlf`. */
  metadata: Partial<MlfMetadata>;
  /** Writes the attachment's files into the version folder (atomically), before the MLmodel. */
  write(versionDir: string): void;
}

/** The model file of a run artifact: the path itself, the onnx flavor's data, or the one .onnx file of the folder. */
function artifactModelFile(trackingDir: string, runId: string, artifactPath: string): { file: string; source: string } {
  const clean = checkArtifactPath(artifactPath);
  const base = runArtifactsDir(trackingDir, runId);
  const path = join(base, clean);
  const source = `runs:/${runId}/${clean}`;
  if (!existsSync(path)) throw new MlfError("file_not_found", `Run ${runId} has no artifact "${artifactPath}" (looked in ${base}); check the path with "mlf track show ${runId}".`);
  if (statSync(path).isFile()) return { file: path, source };
  const data = readMLmodel(path)?.onnxData;
  if (data) return { file: join(path, data), source };
  const onnx = readdirSync(path).filter((f) => f.endsWith(".onnx"));
  if (onnx.length === 1) return { file: join(path, onnx[0]!), source };
  throw new MlfError("invalid_argument", `The artifact "${artifactPath}" of run ${runId} holds ${onnx.length === 0 ? "no" : "several"} .onnx files and no MLmodel with an onnx flavor; point --artifact-path at the .onnx file.`);
}

function readModelBytes(file: string): Buffer {
  try {
    if (statSync(file).isDirectory()) throw new MlfError("invalid_argument", `${file} is a folder; pass the .onnx file itself.`);
    return readFileSync(file);
  } catch (error) {
    if (error instanceof MlfError) throw error;
    throw new MlfError("file_not_found", `Cannot read the model file ${file}; check the path.`);
  }
}

/**
 * Creates `<name>/meta.yaml` unless the model exists; true when this call created it. The
 * folder is prepared under a temp name and renamed into place, so a model folder is never
 * seen without its meta.yaml and two concurrent first registrations create it once.
 */
export function ensureModel(trackingDir: string, name: string, now: number, options: { description?: string; tags?: Record<string, string> } = {}): boolean {
  const dir = modelDir(trackingDir, name);
  if (existsSync(join(dir, "meta.yaml"))) return false;
  const tmp = tempPathFor(join(modelsRoot(trackingDir), name));
  writeYaml(join(tmp, "meta.yaml"), { creation_timestamp: now, description: options.description ?? "", last_updated_timestamp: now, name });
  for (const [k, v] of Object.entries(options.tags ?? {})) writeFileAtomic(join(tmp, "tags", k), v);
  // The creation event moves in with the folder, so it is always the log's first line.
  appendEventTo(join(tmp, "events.jsonl"), { action: "create_model", model: name, before: null, after: { name }, at: now });
  try {
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") return false; // another registration created it first
    throw error;
  }
  return true;
}

/** Takes the next version number with mkdir, which fails for every process but one. */
export function allocateVersion(trackingDir: string, name: string): number {
  for (let candidate = (allocatedVersions(trackingDir, name).at(-1) ?? 0) + 1; ; candidate++) {
    try {
      mkdirSync(versionDir(trackingDir, name, candidate));
      return candidate;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/**
 * Registers a new version of `name` (max+1): checks the ONNX model and the feature
 * references first (bad input writes nothing), then copies the model into the version folder
 * with its sha256 and an MLmodel file, and writes meta.yaml last so a half-written version is
 * never listed.
 */
export async function registerModel(trackingDir: string, name: string, options: RegisterOptions): Promise<ModelVersion> {
  checkModelName(name);
  if ((options.file === undefined) === (options.runId === undefined)) throw new MlfError("usage", "Pass exactly one of --file model.onnx or --run RUN_ID.");
  const from = options.file !== undefined
    ? { file: resolve(options.cwd ?? process.cwd(), options.file), source: "" }
    : artifactModelFile(trackingDir, options.runId!, options.artifactPath ?? "model");
  const bytes = readModelBytes(from.file);
  const signature = await inspectOnnx(bytes, from.file);
  checkTags(options.tags ?? {});
  const inputs = resolveFeatureInputs(options.definitions, options.features, options.service);
  const width = inputWidth(signature);
  if (inputs.columns !== undefined && width !== undefined && inputs.columns !== width) {
    throw new MlfError("invalid_argument", `The model takes ${width} input column${width > 1 ? "s" : ""} but ${inputs.columns} feature${inputs.columns > 1 ? "s were" : " was"} given; list one feature per input column, in order.`);
  }
  const attachment = await options.attach?.({ bytes, inputs, ...(options.runId !== undefined && { runId: options.runId }) });
  const now = Date.now();
  ensureModel(trackingDir, name, now);
  const version = allocateVersion(trackingDir, name);
  const dir = versionDir(trackingDir, name, version);
  const digest = sha256(bytes);
  writeFileAtomic(join(dir, MODEL_FILE), bytes);
  const { columns: _columns, ...mlf } = inputs;
  for (const [key, value] of Object.entries(options.tags ?? {})) writeFileAtomic(join(dir, "tags", key), value);
  attachment?.write(dir);
  writeFileAtomic(join(dir, "MLmodel"), renderMLmodel({ signature, mlf: { ...mlf, ...attachment?.metadata, sha256: digest }, runId: options.runId ?? null, sizeBytes: bytes.length, now }));
  writeVersion(trackingDir, {
    name,
    version,
    creationTimestamp: now,
    lastUpdatedTimestamp: now,
    currentStage: "None",
    description: options.description ?? "",
    source: from.source || pathToFileURL(from.file).href,
    runId: options.runId ?? null,
    runLink: "",
    status: "READY",
    statusMessage: null,
    userId: currentUser(),
    storageLocation: pathToFileURL(dir).href,
    tags: options.tags ?? {},
    aliases: [],
  });
  withModelLock(trackingDir, name, () => {
    touchModel(trackingDir, name, now);
    appendEvent(trackingDir, { action: "register", model: name, version, before: null, after: { version, source: from.source || from.file, sha256: digest, run_id: options.runId ?? null }, at: now });
  });
  return readVersion(trackingDir, name, version);
}
