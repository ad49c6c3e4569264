import { MlfError } from "../errors.js";
import { appendEvent } from "./events.js";
import { checkAliasName, DELETED_STAGE, parseStage, parseVersion, type Stage } from "./names.js";
import { listVersions, readAliases, readModel, readVersion, removeAlias, touchModel, withModelLock, writeAlias, writeVersion, type ModelVersion } from "./store.js";

/**
 * Changes to existing versions: aliases, stages, soft delete. Each runs under the model's
 * lock (read, check, write, log), so the audit log's order is the order of the changes.
 */

/**
 * Points `alias` at `version` (which must be live). Returns the version it pointed at before,
 * if any. With `expected` (a version, or null for "no such alias yet") the move is a
 * compare-and-set: a conflict error, changing nothing, when the alias points elsewhere.
 */
export function setAlias(trackingDir: string, name: string, alias: string, version: number | string, options: { expected?: number | null } = {}): { alias: string; version: number; previous: number | null } {
  checkAliasName(alias);
  const v = parseVersion(version, name);
  return withModelLock(trackingDir, name, () => {
    readVersion(trackingDir, name, v);
    const previous = readAliases(trackingDir, name)[alias] ?? null;
    if (options.expected !== undefined && previous !== options.expected) {
      throw new MlfError("conflict", `${name}@${alias} points at ${previous === null ? "no version" : `version ${previous}`}, not ${options.expected === null ? "no version" : `version ${options.expected}`} as expected; it was moved meanwhile, check "mlf registry history ${name}".`);
    }
    if (previous === v) return { alias, version: v, previous };
    const now = Date.now();
    writeAlias(trackingDir, name, alias, v);
    touchModel(trackingDir, name, now);
    appendEvent(trackingDir, { action: "set_alias", model: name, alias, version: v, before: previous === null ? null : { version: previous }, after: { version: v }, at: now });
    return { alias, version: v, previous };
  });
}

/** Removes an alias; an alias that does not exist is a not_found error. */
export function deleteAlias(trackingDir: string, name: string, alias: string): { alias: string; previous: number } {
  readModel(trackingDir, name);
  return withModelLock(trackingDir, name, () => {
    const aliases = readAliases(trackingDir, name);
    const previous = aliases[alias];
    if (previous === undefined) {
      throw new MlfError("not_found", `Model "${name}" has no alias "${alias}"; its aliases: ${Object.keys(aliases).join(", ") || "(none)"}.`);
    }
    const now = Date.now();
    removeAlias(trackingDir, name, alias);
    touchModel(trackingDir, name, now);
    appendEvent(trackingDir, { action: "delete_alias", model: name, alias, version: previous, before: { version: previous }, after: null, at: now });
    return { alias, previous };
  });
}

export interface StageChange {
  version: number;
  from: string;
  to: Stage;
}

/**
 * Moves a version to `stage`. By default, promoting to Production archives the version that
 * was in Production before, so one version at most serves `models:/NAME/Production`.
 * `archiveExisting` is MLflow's archive_existing_versions flag as its REST API takes it:
 * true archives the other versions in the target stage (Staging or Production), false none.
 * Returns every version that changed, the requested one first.
 */
export function transitionStage(trackingDir: string, name: string, version: number | string, stageText: string, options: { archiveExisting?: boolean } = {}): StageChange[] {
  const stage = parseStage(stageText);
  const v = parseVersion(version, name);
  return withModelLock(trackingDir, name, () => {
    const target = readVersion(trackingDir, name, v);
    const now = Date.now();
    const changes: StageChange[] = [];
    const move = (mv: ModelVersion, to: Stage) => {
      if (mv.currentStage === to) return;
      writeVersion(trackingDir, { ...mv, currentStage: to, lastUpdatedTimestamp: now });
      appendEvent(trackingDir, { action: "transition_stage", model: name, version: mv.version, before: { stage: mv.currentStage }, after: { stage: to }, at: now });
      changes.push({ version: mv.version, from: mv.currentStage, to });
    };
    move(target, stage);
    const archive = options.archiveExisting ?? stage === "Production";
    if (archive && (stage === "Production" || stage === "Staging")) {
      for (const other of listVersions(trackingDir, name)) if (other.version !== v && other.currentStage === stage) move(other, "Archived");
    }
    if (changes.length > 0) touchModel(trackingDir, name, now);
    return changes;
  });
}

/**
 * Soft-deletes a version as MLflow's file store does (stage `Deleted_Internal`; the folder
 * and its number stay, so the number is never reused) and removes the aliases pointing at it.
 */
export function deleteVersion(trackingDir: string, name: string, version: number | string): { version: number; removedAliases: string[] } {
  const v = parseVersion(version, name);
  return withModelLock(trackingDir, name, () => {
    const target = readVersion(trackingDir, name, v);
    const now = Date.now();
    for (const alias of target.aliases) removeAlias(trackingDir, name, alias);
    writeVersion(trackingDir, { ...target, currentStage: DELETED_STAGE, lastUpdatedTimestamp: now });
    touchModel(trackingDir, name, now);
    appendEvent(trackingDir, {
      action: "delete_version",
      model: name,
      version: v,
      before: { stage: target.currentStage, aliases: target.aliases },
      after: { stage: DELETED_STAGE, aliases: [] },
      at: now,
    });
    return { version: v, removedAliases: target.aliases };
  });
}
