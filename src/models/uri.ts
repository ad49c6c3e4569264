import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MlfError } from "../errors.js";
import { checkArtifactPath } from "../tracking/names.js";
import { runArtifactsDir } from "./lineage.js";
import { readMLmodel, type MLmodel } from "./mlmodel.js";
import { checkModelName, isReservedAlias, parseStage, parseVersion, type Stage } from "./names.js";
import { listVersions, readAliases, readModel, readVersion, versionDir, type ModelVersion } from "./store.js";

/** Which version of a registered model a URI asks for. */
export type VersionSelector =
  | { type: "version"; version: number }
  | { type: "alias"; alias: string }
  | { type: "stage"; stage: Stage }
  | { type: "latest" };

export type ParsedModelUri = { kind: "registry"; name: string; selector: VersionSelector } | { kind: "file"; path: string };

/** A model URI resolved to a file: for a registry URI also the version and its MLmodel. */
export interface ResolvedModel {
  uri: string;
  /** The registered name, or undefined for a plain file. */
  name?: string;
  version?: ModelVersion;
  /** The folder holding MLmodel (a version folder or an MLflow model folder), if any. */
  dir?: string;
  mlmodel?: MLmodel;
  /** Absolute path of the ONNX file to load. */
  modelFile: string;
}

function selectorOf(name: string, part: string, separator: "/" | "@"): VersionSelector {
  if (part.toLowerCase() === "latest") return { type: "latest" };
  if (separator === "@") {
    const pinned = /^v(\d+)$/i.exec(part);
    return pinned ? { type: "version", version: parseVersion(pinned[1]!, name) } : { type: "alias", alias: part };
  }
  if (/^\d+$/.test(part)) return { type: "version", version: parseVersion(part, name) };
  return { type: "stage", stage: parseStage(part) };
}

const SHORT = /^([A-Za-z0-9_][A-Za-z0-9_.-]*)(?:(@)([A-Za-z0-9_-]+)|(\/)(\d+|latest|none|staging|production|archived))$/i;

/**
 * Parses the model URIs of SPEC section 7: `models:/NAME/N`, `models:/NAME/<Stage>`,
 * `models:/NAME/latest`, `models:/NAME@ALIAS`, and the short forms `NAME/N`, `NAME@ALIAS`,
 * `NAME@latest`; anything else is a file path. A short form that is also an existing path
 * (relative to `cwd`) is taken as the path, unless `files` is false (registry references only).
 */
export function parseModelUri(uri: string, options: { cwd?: string; files?: boolean } = {}): ParsedModelUri {
  const cwd = options.cwd ?? process.cwd();
  const files = options.files ?? true;
  if (uri.startsWith("models:")) {
    const m = /^models:\/([^/@]+)(?:(\/)([^/@]+)|(@)([^/@]+))$/.exec(uri);
    if (!m) throw new MlfError("invalid_argument", `"${uri}" is not a model URI; write models:/NAME/VERSION, models:/NAME/Production or models:/NAME@ALIAS.`);
    const name = checkModelName(m[1]!);
    return { kind: "registry", name, selector: m[2] ? selectorOf(name, m[3]!, "/") : selectorOf(name, m[5]!, "@") };
  }
  const short = SHORT.exec(uri);
  if (short && !(files && existsSync(resolve(cwd, uri)))) {
    const name = checkModelName(short[1]!);
    return { kind: "registry", name, selector: short[2] ? selectorOf(name, short[3]!, "@") : selectorOf(name, short[5]!, "/") };
  }
  if (!files) throw new MlfError("invalid_argument", `"${uri}" is not a registered model reference; write NAME, NAME/N, NAME@ALIAS or models:/NAME/Production.`);
  return { kind: "file", path: resolve(cwd, uri) };
}

/** The live version a selector designates, or a not_found error saying what exists. */
export function selectVersion(trackingDir: string, name: string, selector: VersionSelector): ModelVersion {
  readModel(trackingDir, name);
  switch (selector.type) {
    case "version":
      return readVersion(trackingDir, name, selector.version);
    case "alias": {
      if (isReservedAlias(selector.alias)) throw new MlfError("invalid_argument", `"${selector.alias}" is a reserved alias; use @latest or @v<N>.`);
      const aliases = readAliases(trackingDir, name);
      const version = aliases[selector.alias];
      if (version === undefined) {
        throw new MlfError("not_found", `Model "${name}" has no alias "${selector.alias}"; its aliases: ${Object.keys(aliases).join(", ") || "(none)"}.`);
      }
      return readVersion(trackingDir, name, version);
    }
    case "stage":
    case "latest": {
      const live = listVersions(trackingDir, name);
      const candidates = selector.type === "latest" ? live : live.filter((v) => v.currentStage === selector.stage);
      const found = candidates.at(-1);
      if (!found) {
        const what = selector.type === "latest" ? "no live version" : `no version in stage ${selector.stage}`;
        throw new MlfError("not_found", `Model "${name}" has ${what}; see "mlf registry versions ${name}".`);
      }
      return found;
    }
  }
}

/** The ONNX file of a folder with an MLmodel file (onnx flavor), or a clear error. */
function onnxFileOf(dir: string, mlmodel: MLmodel | undefined, what: string): string {
  if (!mlmodel) throw new MlfError("file_not_found", `${what} has no MLmodel file in ${dir}; register an ONNX model with "mlf registry register".`);
  if (!mlmodel.onnxData) {
    throw new MlfError("invalid_data", `${what} has no onnx flavor (flavors: ${mlmodel.flavors.join(", ") || "none"}); mlf loads ONNX models only, so export it to ONNX and register that.`);
  }
  return join(dir, mlmodel.onnxData);
}

/**
 * The folder holding a version's MLmodel: the version folder for versions mlf registered
 * (artifact copied in); for versions MLflow registered, the run artifact folder its
 * `source` names, found locally even when the URI is of the machine it was registered on.
 */
export function versionArtifactDir(trackingDir: string, version: ModelVersion): string {
  const own = versionDir(trackingDir, version.name, version.version);
  if (existsSync(join(own, "MLmodel"))) return own;
  for (const uri of [version.storageLocation, version.source]) {
    if (uri?.startsWith("file:")) {
      try {
        const path = fileURLToPath(uri);
        if (existsSync(join(path, "MLmodel"))) return path;
      } catch {
        // a URI of another OS; the run lookup below still applies
      }
    }
  }
  const path = /^runs:\/[^/]+\/(.+)$/.exec(version.source)?.[1] ?? /\/artifacts\/(.+)$/.exec(version.source)?.[1];
  if (version.runId && path) {
    try {
      return join(runArtifactsDir(trackingDir, version.runId), checkArtifactPath(path));
    } catch (error) {
      if (!(error instanceof MlfError)) throw error;
    }
  }
  return own;
}

/**
 * The one place model URIs are resolved (the CLI and `serve` both call it). Reads only small
 * metadata files, so re-resolving an alias on every poll is cheap.
 */
export function resolveModelUri(trackingDir: string, uri: string, options: { cwd?: string } = {}): ResolvedModel {
  const parsed = parseModelUri(uri, options);
  if (parsed.kind === "registry") {
    const version = selectVersion(trackingDir, parsed.name, parsed.selector);
    const dir = versionArtifactDir(trackingDir, version);
    const mlmodel = readMLmodel(dir);
    const what = `Version ${version.version} of model "${parsed.name}"`;
    return { uri, name: parsed.name, version, dir, ...(mlmodel && { mlmodel }), modelFile: onnxFileOf(dir, mlmodel, what) };
  }
  if (!existsSync(parsed.path)) {
    throw new MlfError("file_not_found", `No model at ${parsed.path}, and "${uri}" is not a model URI; pass models:/NAME/VERSION, NAME@ALIAS, NAME/N or an existing .onnx file.`);
  }
  if (statSync(parsed.path).isDirectory()) {
    const mlmodel = readMLmodel(parsed.path);
    return { uri, dir: parsed.path, ...(mlmodel && { mlmodel }), modelFile: onnxFileOf(parsed.path, mlmodel, `The folder ${parsed.path}`) };
  }
  return { uri, modelFile: parsed.path };
}

