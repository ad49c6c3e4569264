import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { MlfError } from "../errors.js";
import { readFileIfExists, writeFileAtomic } from "../util/fs.js";
import { withLock } from "../util/lock.js";
import { isRegistry, isRegistryV1 } from "./registry-check.js";
import type { MaterializedInterval, OnlineViewState, RegistryFile, RegistryV1File } from "./registry-schema.js";
import type { Definitions } from "./types.js";

export type { MaterializedInterval, OnlineViewState, RegistryFile } from "./registry-schema.js";

/**
 * The feature registry file: the applied state of the repository. Read-side commands
 * (get-online, serve, materialize) work from it rather than re-parsing YAML, so what they
 * see is exactly what `mlf apply` validated. Its shape is registry-schema.ts; every read
 * checks it, and a file of the previous format is upgraded in memory (and written in the new
 * one by the next apply or materialization).
 */

/** How many recent intervals are kept per view (the greatest end is kept apart, for good). */
export const MAX_INTERVALS = 10;

/** Canonical JSON (sorted keys) so the hash depends on content only. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

export function definitionsHash(defs: Definitions): string {
  return createHash("sha256").update(canonical(defs)).digest("hex");
}

const later = (a: string | undefined, b: string) => (a !== undefined && Date.parse(a) >= Date.parse(b) ? a : b);

/** Format 1 kept every interval in a list per view; its tables date from its version at the latest. */
function upgrade(old: RegistryV1File): RegistryFile {
  const { materializations, format: _format, ...rest } = old;
  const online: RegistryFile["online"] = {};
  for (const view of old.definitions.featureViews.filter((v) => v.online)) {
    const intervals = materializations[view.name] ?? [];
    const until = intervals.reduce<string | undefined>((max, i) => later(max, i.end), undefined);
    online[view.name] = { tableVersion: old.version, ...(until !== undefined && { until }), intervals: intervals.slice(-MAX_INTERVALS) };
  }
  return { format: 2, ...rest, online };
}

function unreadable(path: string, why: string): MlfError {
  return new MlfError("invalid_data", `The feature registry ${path} ${why}; delete it and run "mlf apply" to write it again, then materialize again.`);
}

/** The registry at `path`, or undefined when there is none; a file of another shape is an invalid_data error. */
export function readRegistry(path: string): RegistryFile | undefined {
  const text = readFileIfExists(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw unreadable(path, `is not valid JSON (${(error as Error).message})`);
  }
  if (isRegistry(value)) return value;
  if (isRegistryV1(value)) return upgrade(value);
  const format = value && typeof value === "object" && "format" in value ? value.format : undefined;
  if (typeof format === "number" && format > 2) {
    throw new MlfError("invalid_data", `The feature registry ${path} was written by a newer mlf (format ${format}); upgrade mlf to use it.`);
  }
  throw unreadable(path, format === undefined ? "is not an mlf feature registry" : `does not have the shape of format ${String(format)}`);
}

/** The applied registry, or a clear error telling the user to apply first. */
export function requireRegistry(path: string): RegistryFile {
  const registry = readRegistry(path);
  if (!registry) throw new MlfError("usage", `No feature registry at ${path}; run "mlf apply" first.`);
  return registry;
}

/**
 * Read-modify-write of the registry under its lock, written atomically. `change` returns the
 * new content, or no `next` to leave the file as it is.
 */
export function updateRegistry<T>(path: string, change: (current: RegistryFile | undefined) => Promise<{ next?: RegistryFile; result: T }> | { next?: RegistryFile; result: T }): Promise<T> {
  return withLock(path, async () => {
    const { next, result } = await change(readRegistry(path));
    if (next) writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`);
    return result;
  });
}

/** The greatest materialized end of `view` (ISO-8601 UTC), or undefined before its first materialization. */
export function materializedUntil(registry: RegistryFile, view: string): string | undefined {
  return registry.online[view]?.until;
}

/**
 * The per-view state an apply at `version` writes: views whose table it created or recreated
 * (`recreated`) start over at this version; the other online views keep theirs.
 */
export function onlineStateAfterApply(current: RegistryFile | undefined, onlineViews: string[], recreated: Set<string>, version: number): RegistryFile["online"] {
  const fresh = (): OnlineViewState => ({ tableVersion: version, intervals: [] });
  return Object.fromEntries(onlineViews.map((view) => [view, (!recreated.has(view) && current?.online[view]) || fresh()]));
}

/**
 * Records a finished materialization of `view` that wrote to the table of `tableVersion` (the
 * view's tableVersion when the run read the registry). Returns false, recording nothing, when
 * that table is no longer the view's (an apply recreated or dropped it meanwhile, or the
 * registry was removed): the interval says nothing about the table there now.
 */
export function recordMaterialization(path: string, view: string, tableVersion: number | undefined, interval: MaterializedInterval): Promise<boolean> {
  return updateRegistry(path, (current) => {
    const state = current?.online[view];
    if (!current || !state || state.tableVersion !== tableVersion) return { result: false };
    const next: OnlineViewState = { tableVersion: state.tableVersion, until: later(state.until, interval.end), intervals: [...state.intervals, interval].slice(-MAX_INTERVALS) };
    return { next: { ...current, online: { ...current.online, [view]: next } }, result: true };
  });
}

export function deleteRegistry(path: string): Promise<void> {
  return withLock(path, () => rmSync(path, { force: true }));
}
