import { MlfError } from "../errors.js";
import type { RegistryFile } from "../repo/registry.js";
import type { OnlineStoreConfig } from "../repo/types.js";
import { formatTime } from "../util/time.js";
import { base64, coerceKey, decodeValue } from "./codec.js";
import type { FeatureSelection } from "../repo/resolve.js";
import { planRead, type ReadPlan } from "./read-plan.js";
import type { OnlineStore, ReadRequest } from "./store.js";
import { openOnlineStore } from "./stores.js";

/**
 * The status of one value (Feast's): PRESENT; NOT_FOUND (no row was ever written for the
 * entity); NULL_VALUE (the stored value is null); OUTSIDE_MAX_AGE (now - event time > ttl:
 * the value is returned as null, so serving sees what training would have seen).
 */
export type FeatureStatus = "PRESENT" | "NOT_FOUND" | "NULL_VALUE" | "OUTSIDE_MAX_AGE";

/** An online read: entity keys in column form plus a feature selection. */
export interface OnlineFeaturesRequest extends FeatureSelection {
  /** Join key -> one value or one value per entity (all lists of equal length; a single value is repeated). */
  entities: Record<string, unknown>;
  /** The clock for ttl, epoch ms (default: Date.now()). */
  now?: number;
}

/**
 * One output column: a value per entity, in request order. Values are JSON-ready, as in
 * Feast's JSON: bool as a boolean, unix_timestamp as ISO-8601 UTC text, bytes (features and
 * join keys) as base64 text; numbers, bigints (integers beyond 2^53) and strings as stored.
 */
export interface OnlineColumn {
  values: unknown[];
  statuses: FeatureStatus[];
  /** Event time of each value, epoch ms UTC; null when NOT_FOUND (and for join keys). */
  eventTimestamps: (number | null)[];
}

/**
 * The answer in Feast's column shape: `names` are the join keys (in request order) and then
 * the features; `results[i]` is the column of `names[i]`. Join keys are returned coerced to
 * their declared type, with status PRESENT.
 */
export interface OnlineFeatures {
  names: string[];
  /** How many of `names` are join keys. */
  keyCount: number;
  results: OnlineColumn[];
}

/** The entity rows of a request: key columns coerced, equal lengths (single values broadcast). */
function entityColumns(plan: ReadPlan, entities: Record<string, unknown>): { keys: string[]; columns: unknown[][]; count: number } {
  const keys = Object.keys(entities);
  for (const key of keys) {
    if (!plan.keyTypes.has(key)) {
      const expected = [...plan.keyTypes.keys()];
      throw new MlfError("invalid_argument", `"${key}" is not a join key of the requested feature views; use ${expected.length > 0 ? expected.map((k) => `"${k}"`).join(", ") : "no entity keys"}.`);
    }
  }
  for (const key of plan.keyTypes.keys()) {
    if (!(key in entities)) throw new MlfError("invalid_argument", `The join key "${key}" is missing; the requested features need it.`);
  }
  const raw = keys.map((k) => (Array.isArray(entities[k]) ? (entities[k] as unknown[]) : [entities[k]]));
  const count = keys.length === 0 ? 1 : Math.max(...raw.map((c) => c.length));
  const columns = raw.map((column, i) => {
    const key = keys[i]!;
    if (column.length !== count && column.length !== 1) {
      throw new MlfError("invalid_argument", `Join key "${key}" has ${column.length} values but another key has ${count}; give every key the same number of values.`);
    }
    const type = plan.keyTypes.get(key)!;
    const coerced = column.map((v) => coerceKey(key, type, v));
    return column.length === count ? coerced : Array.from({ length: count }, () => coerced[0]);
  });
  if (count === 0) throw new MlfError("invalid_argument", "No entity keys given; pass at least one value per join key.");
  return { keys, columns, count };
}

/** True when two feature lists hold the same refs in the same order (undefined only equals undefined). */
function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** How many recent selections `plan` compares before building a cache key. */
const RECENT_PLANS = 8;

interface RecentPlan {
  service: string | undefined;
  full: boolean;
  /** A copy: the caller's array may change after the call. */
  features: string[] | undefined;
  plan: ReadPlan;
}

/**
 * A long-lived read handle on one applied registry and an open online store: resolved
 * selections and prepared statements are cached, so repeated reads (a server's requests)
 * cost one key lookup per entity and view. Reads never touch DuckDB or the definition YAML.
 */
export class OnlineReader {
  private readonly plans = new Map<string, ReadPlan>();
  /**
   * The last few selections planned. A server sees the same few feature lists over and over;
   * comparing a list element by element costs a tenth of joining it into a cache key.
   */
  private readonly recent: RecentPlan[] = [];
  private nextRecent = 0;

  constructor(
    readonly featureRegistry: RegistryFile,
    readonly store: OnlineStore,
  ) {}

  /** Opens the store named in the config and binds it to the feature registry. */
  static async open(featureRegistry: RegistryFile, config: OnlineStoreConfig): Promise<OnlineReader> {
    return new OnlineReader(featureRegistry, await openOnlineStore(featureRegistry.project, config));
  }

  /** The resolved selection, validated once per shape (features or service, naming). */
  plan(selection: FeatureSelection): ReadPlan {
    const full = selection.fullFeatureNames === true;
    for (const r of this.recent) {
      if (r.full === full && r.service === selection.service && sameList(r.features, selection.features)) return r.plan;
    }
    const cacheKey = `${selection.service ?? ""}\u0001${full ? 1 : 0}\u0001${(selection.features ?? []).join("\u0001")}`;
    let plan = this.plans.get(cacheKey);
    if (!plan) {
      plan = planRead(this.featureRegistry.definitions, selection);
      // Selections come from requests; bound the cache so odd callers cannot grow it forever.
      if (this.plans.size >= 1024) this.plans.clear();
      this.plans.set(cacheKey, plan);
    }
    this.recent[this.nextRecent] = { service: selection.service, full, features: selection.features?.slice(), plan };
    this.nextRecent = (this.nextRecent + 1) % RECENT_PLANS;
    return plan;
  }

  /** Latest values per entity with statuses and event times (see OnlineFeatures). */
  async get(request: OnlineFeaturesRequest): Promise<OnlineFeatures> {
    const plan = this.plan(request);
    const { keys, columns, count } = entityColumns(plan, request.entities);
    const now = request.now ?? Date.now();
    const views = plan.views;
    const requests: ReadRequest[] = new Array(views.length);
    for (let vi = 0; vi < views.length; vi++) {
      const v = views[vi]!;
      const idx = v.keys.map((k) => keys.indexOf(k));
      const rows: unknown[][] = new Array(count);
      for (let e = 0; e < count; e++) {
        const key = new Array<unknown>(idx.length);
        for (let j = 0; j < idx.length; j++) key[j] = columns[idx[j]!]![e];
        rows[e] = key;
      }
      requests[vi] = { spec: v.spec, features: v.features, keys: rows };
    }
    const stored = await this.store.read(requests);

    const results: OnlineColumn[] = new Array(keys.length + plan.featureNames.length);
    for (let i = 0; i < keys.length; i++) {
      const values = plan.keyTypes.get(keys[i]!) === "bytes" ? columns[i]!.map(base64) : columns[i]!;
      results[i] = { values, statuses: new Array<FeatureStatus>(count).fill("PRESENT"), eventTimestamps: new Array<number | null>(count).fill(null) };
    }
    for (let vi = 0; vi < views.length; vi++) {
      const v = views[vi]!;
      const rows = stored[vi]!;
      for (let f = 0; f < v.features.length; f++) {
        const dtype = v.dtypes[f]!;
        const values = new Array<unknown>(count);
        const statuses = new Array<FeatureStatus>(count);
        const eventTimestamps = new Array<number | null>(count);
        for (let e = 0; e < count; e++) {
          const row = rows[e];
          if (row === undefined) {
            values[e] = null;
            statuses[e] = "NOT_FOUND";
            eventTimestamps[e] = null;
            continue;
          }
          eventTimestamps[e] = row.eventTs;
          const value = row.values[f];
          if (v.ttlMs > 0 && now - row.eventTs > v.ttlMs) {
            values[e] = null;
            statuses[e] = "OUTSIDE_MAX_AGE";
          } else if (value === null || value === undefined) {
            values[e] = null;
            statuses[e] = "NULL_VALUE";
          } else {
            values[e] = decodeValue(dtype, value);
            statuses[e] = "PRESENT";
          }
        }
        results[keys.length + v.outputs[f]!] = { values, statuses, eventTimestamps };
      }
    }
    return { names: [...keys, ...plan.featureNames], keyCount: keys.length, results };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/**
 * The answer as one record per entity, in request order: `{key: value, feature: value}`, or
 * with metadata `{key: value, feature: {value, status, event_timestamp}}` (keys stay plain,
 * times ISO-8601 UTC, bytes base64: see OnlineColumn).
 */
export function onlineRecords(features: OnlineFeatures, options: { withMetadata?: boolean } = {}): Record<string, unknown>[] {
  const count = features.results[0]?.values.length ?? 0;
  return Array.from({ length: count }, (_, e) => {
    const record: Record<string, unknown> = {};
    features.names.forEach((name, i) => {
      const column = features.results[i]!;
      if (!options.withMetadata || i < features.keyCount) {
        record[name] = column.values[e];
        return;
      }
      const ts = column.eventTimestamps[e];
      record[name] = { value: column.values[e], status: column.statuses[e], event_timestamp: ts === null || ts === undefined ? null : formatTime(ts) };
    });
    return record;
  });
}
