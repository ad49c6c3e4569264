import { posix } from "node:path";
import { MlfError } from "../errors.js";

/**
 * MLflow's name and length rules, so a run written by mlf is accepted by MLflow's tools.
 * Keys may contain `/`, which the file layout stores as sub-folders.
 */
export const limits = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  runNameLength: 250,
} as const;

const VALID_KEY = /^[/\w.\- ]*$/;

type KeyKind = "param" | "metric" | "tag";

/** MLflow's `path_not_unique`: the name must be its own normal form and stay inside its folder. */
function escapesFolder(name: string): boolean {
  const norm = posix.normalize(name);
  return norm !== name || norm === "." || norm.startsWith("..") || norm.startsWith("/");
}

export function checkKey(kind: KeyKind, key: string): void {
  if (key.length === 0) throw new MlfError("invalid_argument", `A ${kind} name cannot be empty; give a name such as "accuracy".`);
  if (!VALID_KEY.test(key)) {
    throw new MlfError("invalid_argument", `The ${kind} name "${key}" has characters MLflow does not allow; use letters, digits, "_", "-", ".", " " and "/".`);
  }
  if (escapesFolder(key)) {
    throw new MlfError("invalid_argument", `The ${kind} name "${key}" is not a clean relative path; remove leading "/", "..", "." parts and doubled slashes.`);
  }
  if (key.length > limits.keyLength) throw new MlfError("invalid_argument", `The ${kind} name "${key.slice(0, 40)}..." is longer than ${limits.keyLength} characters; shorten it.`);
}

export function checkParamValue(key: string, value: string): void {
  if (value.length > limits.paramValueLength) {
    throw new MlfError("invalid_argument", `The value of param "${key}" is longer than ${limits.paramValueLength} characters; log it as an artifact instead.`);
  }
}

export function checkTagValue(key: string, value: string): void {
  if (value.length > limits.tagValueLength) {
    throw new MlfError("invalid_argument", `The value of tag "${key}" is longer than ${limits.tagValueLength} characters; log it as an artifact instead.`);
  }
}

/** Checks every tag's name and value (tags of runs, experiments, model versions, logged models, inputs). */
export function checkTags(tags: Record<string, string>): void {
  for (const [k, v] of Object.entries(tags)) {
    checkKey("tag", k);
    checkTagValue(k, v);
  }
}

/** Checks every param's name and value. */
export function checkParams(params: Record<string, string>): void {
  for (const [k, v] of Object.entries(params)) {
    checkKey("param", k);
    checkParamValue(k, v);
  }
}

export function checkExperimentName(name: string): void {
  if (name.trim().length === 0) throw new MlfError("invalid_argument", "An experiment name cannot be empty; pass -e NAME.");
  if (name.length > limits.experimentNameLength) throw new MlfError("invalid_argument", `The experiment name "${name.slice(0, 40)}..." is longer than ${limits.experimentNameLength} characters; shorten it.`);
}

/** Run and experiment ids name folders: hex/digits only, so an id never escapes the root. */
export function checkId(kind: "run" | "experiment", id: string): void {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new MlfError("invalid_argument", `"${id}" is not a ${kind} id; ids are letters and digits (see "mlf track ls").`);
}

/**
 * An artifact path relative to the run's artifact folder: refused when it is absolute or
 * would leave the folder (`..`), so a name can never write outside the run.
 */
export function checkArtifactPath(path: string): string {
  const norm = posix.normalize(path.replaceAll("\\", "/"));
  if (path.length === 0 || norm.startsWith("/") || norm === ".." || norm.startsWith("../") || /^[A-Za-z]:/.test(path) || path.includes("\0")) {
    throw new MlfError("invalid_argument", `The artifact path "${path}" would escape the run's artifact folder; use a relative path without "..".`);
  }
  return norm === "." ? "" : norm.replace(/\/$/, "");
}
