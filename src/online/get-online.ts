import { MlfError } from "../errors.js";
import type { RegistryFile } from "../repo/registry.js";
import type { Dtype, OnlineStoreConfig } from "../repo/types.js";
import { coerceKey } from "./keys.js";
import { planRead, type FeatureSelection, type ReadPlan } from "./read-plan.js";
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

/** Bytes as base64 text: a Buffer would otherwise serialise as {"type":"Buffer","data":[...]}. */
function base64(value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") : value;
}

/** Stored value -> the JSON-friendly value of its dtype (see OnlineColumn). */
function outputValue(dtype: Dtype, value: unknown): unknown {
  if (value === null) return null;
  if (dtype === "bool") return value !== 0;
  if (dtype === "bytes") return base64(value);
  if (dtype === "unix_timestamp") return new Date(value as number).toISOString().replace(".000Z", "Z");
  return value;
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

/**
 * A long-lived read handle on one applied registry and an open online store: resolved
 * selections and prepared statements are cached, so repeated reads (a server's requests)
 * cost one key lookup per entity and view. Reads never touch DuckDB or the definition YAML.
 */
export class OnlineReader {
  private readonly plans = new Map<string, ReadPlan>();

  constructor(
    readonly registry: RegistryFile,
    readonly store: OnlineStore,
  ) {}

  /** Opens the store named in the config and binds it to the registry. */
  static async open(registry: RegistryFile, config: OnlineStoreConfig): Promise<OnlineReader> {
    return new OnlineReader(registry, await openOnlineStore(registry.project, config));
  }

  /** The resolved selection, validated once per shape (features or service, naming). */
  plan(selection: FeatureSelection): ReadPlan {
    const cacheKey = `${selection.service ?? ""}\u0001${selection.fullFeatureNames ? 1 : 0}\u0001${(selection.features ?? []).join("\u0001")}`;
    let plan = this.plans.get(cacheKey);
    if (!plan) {
      plan = planRead(this.registry.definitions, selection);
      // Selections come from requests; bound the cache so odd callers cannot grow it forever.
      if (this.plans.size >= 1024) this.plans.clear();
      this.plans.set(cacheKey, plan);
    }
    return plan;
  }

  /** Latest values per entity with statuses and event times (see OnlineFeatures). */
  async get(request: OnlineFeaturesRequest): Promise<OnlineFeatures> {
    const plan = this.plan(request);
    const { keys, columns, count } = entityColumns(plan, request.entities);
    const now = request.now ?? Date.now();
    const keyIndex = new Map(keys.map((k, i) => [k, i]));
    const requests: ReadRequest[] = plan.views.map((v) => {
      const idx = v.keys.map((k) => keyIndex.get(k)!);
      const rows: unknown[][] = new Array(count);
      for (let e = 0; e < count; e++) rows[e] = idx.map((i) => columns[i]![e]);
      return { spec: v.spec, features: v.features, keys: rows };
    });
    const stored = await this.store.read(requests);

    const results: OnlineColumn[] = columns.map((values, i) => ({
      values: plan.keyTypes.get(keys[i]!) === "bytes" ? values.map(base64) : values,
      statuses: new Array<FeatureStatus>(count).fill("PRESENT"),
      eventTimestamps: new Array<number | null>(count).fill(null),
    }));
    const features: OnlineColumn[] = plan.featureNames.map(() => ({ values: new Array(count), statuses: new Array(count), eventTimestamps: new Array(count) }));
    plan.views.forEach((v, vi) => {
      const rows = stored[vi]!;
      for (let e = 0; e < count; e++) {
        const row = rows[e];
        const stale = row !== undefined && v.ttlMs > 0 && now - row.eventTs > v.ttlMs;
        for (let f = 0; f < v.features.length; f++) {
          const out = features[v.outputs[f]!]!;
          if (row === undefined) {
            out.values[e] = null;
            out.statuses[e] = "NOT_FOUND";
            out.eventTimestamps[e] = null;
            continue;
          }
          out.eventTimestamps[e] = row.eventTs;
          const value = row.values[f];
          if (stale) {
            out.values[e] = null;
            out.statuses[e] = "OUTSIDE_MAX_AGE";
          } else {
            out.values[e] = outputValue(v.dtypes[f]!, value ?? null);
            out.statuses[e] = value === null || value === undefined ? "NULL_VALUE" : "PRESENT";
          }
        }
      }
    });
    return { names: [...keys, ...plan.featureNames], keyCount: keys.length, results: [...results, ...features] };
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
      record[name] = { value: column.values[e], status: column.statuses[e], event_timestamp: ts === null || ts === undefined ? null : new Date(ts).toISOString().replace(".000Z", "Z") };
    });
    return record;
  });
}
