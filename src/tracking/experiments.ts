import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import { MlfError } from "../errors.js";
import { createExclusive, writeFileAtomic } from "../util/fs.js";
import { withLockSync } from "../util/lock.js";
import { renderMeta, writeMeta } from "./meta.js";
import { checkExperimentName, checkTags } from "./names.js";
import { getExperiment, listExperiments } from "./read.js";
import type { Experiment } from "./types.js";

/** Writers of the store's experiments: the Default one, new ones, and get-or-create for runs. */

/** A store's own artifact folder for an experiment, as a `file://` URI. */
const artifactRoot = (root: string, experimentId: string) => pathToFileURL(join(resolve(root), experimentId)).href;

/**
 * The URI a new run's or logged model's artifacts go below: the experiment's artifact
 * location when an MLflow server proxies them (MLflow's rule), else the store's own folder
 * (experiments copied from another machine record that machine's paths).
 */
export function artifactBase(root: string, experiment: Experiment): string {
  return experiment.artifactLocation.startsWith("mlflow-artifacts:") ? experiment.artifactLocation.replace(/\/$/, "") : artifactRoot(root, experiment.experimentId);
}

/**
 * Where a new experiment's artifacts go: a `file://` folder of the store by default, or the
 * artifact root an MLflow server hands out (`mlflow-artifacts:/` + id when it proxies them).
 */
export type ArtifactRootFor = (experimentId: string) => string;

/**
 * Creates MLflow's Default experiment (`0`) when the store is new. Creation is exclusive, so
 * two processes creating it at once write it once.
 */
export function ensureDefaultExperiment(root: string, artifactRootFor: ArtifactRootFor = (id) => artifactRoot(root, id)): void {
  const file = join(root, "0", "meta.yaml");
  if (existsSync(file)) return;
  const now = Date.now();
  createExclusive(file, renderMeta({ artifact_location: artifactRootFor("0"), creation_time: now, experiment_id: "0", last_update_time: now, lifecycle_stage: "active", name: "Default" }));
}

export interface CreateExperimentOptions {
  artifactRootFor?: ArtifactRootFor;
  /** MLflow's explicit `artifact_location` (wins over artifactRootFor). */
  artifactLocation?: string;
  tags?: Record<string, string>;
}

/** Creates an experiment with MLflow's random integer id; conflict when the name is taken. */
export function createExperiment(root: string, name: string, options: CreateExperimentOptions = {}): Experiment {
  checkExperimentName(name);
  checkTags(options.tags ?? {});
  const rootFor = options.artifactRootFor ?? ((id: string) => artifactRoot(root, id));
  return withLockSync(join(root, ".experiments"), () => {
    ensureDefaultExperiment(root, rootFor);
    if (listExperiments(root, { includeDeleted: true }).some((e) => e.name === name)) {
      throw new MlfError("conflict", `An experiment named "${name}" already exists in ${root}; use it with -e "${name}" or pick another name.`);
    }
    const id = (BigInt(`0x${randomBytes(8).toString("hex")}`) & 0x7fffffffffffffffn).toString();
    const now = Date.now();
    for (const [k, v] of Object.entries(options.tags ?? {})) writeFileAtomic(join(root, id, "tags", k), v);
    writeMeta(join(root, id, "meta.yaml"), { artifact_location: options.artifactLocation ?? rootFor(id), creation_time: now, experiment_id: id, last_update_time: now, lifecycle_stage: "active", name });
    return getExperiment(root, id);
  });
}

/** The experiment named (or numbered) `nameOrId`, created when it does not exist yet. */
export function getOrCreateExperiment(root: string, nameOrId = "0"): Experiment {
  ensureDefaultExperiment(root);
  try {
    return getExperiment(root, nameOrId);
  } catch (error) {
    if (!(error instanceof MlfError && error.code === "not_found")) throw error;
  }
  try {
    return createExperiment(root, nameOrId);
  } catch (error) {
    // Another process created it between our look-up and our lock.
    if (error instanceof MlfError && error.code === "conflict") return getExperiment(root, nameOrId);
    throw error;
  }
}
