import { KEY_PREFIX, LOG_COLUMNS, STATUS_PREFIX } from "../../monitor/logs.js";
import { formatFeatureRef, serviceRefs } from "../../repo/resolve.js";
import type { Definitions, Dtype, ValueType } from "../../repo/types.js";
import { parseTime } from "../../util/time.js";
import type { ParquetColumn, ParquetType, ParquetValue } from "./parquet.js";
import type { FeatureLogRecord } from "./record.js";

/**
 * Records of one log file turned into the columns of the feature log format
 * (src/monitor/logs.ts), typed by the applied feature registry: a join key by its entity's
 * value type, a feature by its dtype, so a log reads back with the types of the training set.
 */

/** The registry's types, worked out once per applied registry. */
export interface LogTypes {
  keys: Map<string, ValueType>;
  features: Map<string, Dtype>;
  /** The refs a feature service projects, in order (undefined: unknown service). */
  serviceRefs(name: string): string[] | undefined;
}

const cache = new WeakMap<Definitions, LogTypes>();

export function logTypes(defs: Definitions | undefined): LogTypes {
  if (!defs) return { keys: new Map(), features: new Map(), serviceRefs: () => undefined };
  let types = cache.get(defs);
  if (!types) {
    const services = new Map<string, string[]>();
    types = {
      keys: new Map(defs.entities.map((e) => [e.joinKey, e.valueType])),
      features: new Map(defs.featureViews.flatMap((v) => v.schema.map((f): [string, Dtype] => [`${v.name}:${f.name}`, f.dtype]))),
      serviceRefs(name) {
        if (!services.has(name)) {
          try {
            services.set(name, serviceRefs(defs, name).map(formatFeatureRef));
          } catch {
            return undefined;
          }
        }
        return services.get(name);
      },
    };
    cache.set(defs, types);
  }
  return types;
}

const PARQUET: Record<Dtype, ParquetType> = {
  int32: "INTEGER", int64: "BIGINT", float32: "FLOAT", float64: "DOUBLE",
  string: "VARCHAR", bytes: "BLOB", bool: "BOOLEAN", unix_timestamp: "TIMESTAMPTZ",
};

/**
 * A JSON-ready value (as the online store answers and requests send) as a value of `type`, or
 * null when it does not fit: the log keeps what the model saw, never a guess.
 */
export function toParquetValue(type: ParquetType, v: unknown): ParquetValue {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "DOUBLE":
    case "FLOAT":
      return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : null;
    case "INTEGER":
      if (typeof v === "bigint") v = Number(v);
      return typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? v : null;
    case "BIGINT":
      if (typeof v === "bigint") return v >= -(2n ** 63n) && v < 2n ** 63n ? v : null;
      return typeof v === "number" && Number.isSafeInteger(v) ? v : null;
    case "VARCHAR":
      return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" ? String(v) : JSON.stringify(v);
    case "BOOLEAN":
      return typeof v === "boolean" ? v : null;
    case "BLOB":
      // Bytes travel as base64 text in JSON, in both directions.
      return typeof v === "string" ? Buffer.from(v, "base64") : v instanceof Uint8Array ? v : null;
    case "TIMESTAMPTZ": {
      // mlf's times are milliseconds (the online codec's); text without a zone is UTC, as everywhere.
      const ms = typeof v === "string" ? timeOf(v) : typeof v === "number" ? v : v instanceof Date ? v.getTime() : Number.NaN;
      return Number.isFinite(ms) ? BigInt(Math.round(ms)) * 1000n : null;
    }
  }
}

function timeOf(text: string): number {
  try {
    return parseTime(text);
  } catch {
    return Number.NaN;
  }
}

/** The type of a feature the registry does not know (a model's input no view has any more), from its values. */
function inferred(values: readonly unknown[]): ParquetType {
  const v = values.find((x) => x !== null && x !== undefined);
  return typeof v === "number" || typeof v === "bigint" ? "DOUBLE" : typeof v === "boolean" ? "BOOLEAN" : "VARCHAR";
}

/** The refs of a record's columns, or undefined when they cannot be known (a service removed meanwhile). */
export function recordRefs(record: FeatureLogRecord, types: LogTypes): readonly string[] | undefined {
  const refs = record.features ?? (record.kind === "services" ? types.serviceRefs(record.name) : undefined);
  return refs && refs.length === record.columns.length ? refs : undefined;
}

/** Per refs list, each ref's position: records of one model share one list, so this is built once per list. */
const positions = new WeakMap<readonly string[], Map<string, number>>();
function positionsOf(refs: readonly string[]): Map<string, number> {
  let map = positions.get(refs);
  if (!map) positions.set(refs, (map = new Map(refs.map((ref, j) => [ref, j]))));
  return map;
}

/**
 * The columns of one log file holding `records` (all of one log, every one with known refs:
 * see recordRefs): metadata, then `key.*` in first-seen order, then the features and then
 * their statuses, in first-seen order, then the prediction (model logs). Each column is built
 * when the generator is asked for it, so a writer holds one column at a time and can yield to
 * the event loop between columns.
 */
export function* logColumns(records: readonly FeatureLogRecord[], types: LogTypes): Generator<ParquetColumn> {
  const rows = records.reduce((n, r) => n + r.rows, 0);
  const models = records[0]?.kind === "models";
  /** A column from a per-record fill: `fill(record, values, at, k)` sets the rows from `at` of record k. */
  function column(name: string, type: ParquetType, fill: (record: FeatureLogRecord, values: ParquetValue[], at: number, k: number) => void): ParquetColumn {
    const values = new Array<ParquetValue>(rows).fill(null);
    let at = 0;
    records.forEach((record, k) => {
      fill(record, values, at, k);
      at += record.rows;
    });
    return { name, type, values };
  }
  const each = (value: (record: FeatureLogRecord) => ParquetValue) => (record: FeatureLogRecord, values: ParquetValue[], at: number) => {
    const v = value(record);
    for (let r = 0; r < record.rows; r++) values[at + r] = v;
  };

  yield column(LOG_COLUMNS.timestamp, "TIMESTAMPTZ", each((record) => BigInt(record.at) * 1000n));
  yield column(LOG_COLUMNS.model, "VARCHAR", each((record) => (models ? record.name : null)));
  yield column(LOG_COLUMNS.modelVersion, "INTEGER", each((record) => (record.modelVersion !== undefined && /^\d{1,9}$/.test(record.modelVersion) ? Number(record.modelVersion) : null)));
  yield column(LOG_COLUMNS.route, "VARCHAR", each((record) => record.route));
  yield column(LOG_COLUMNS.variant, "VARCHAR", each((record) => record.variant ?? null));
  yield column(LOG_COLUMNS.requestId, "VARCHAR", each((record) => record.requestId));
  yield column(LOG_COLUMNS.requestRow, "INTEGER", (record, values, at) => {
    for (let r = 0; r < record.rows; r++) values[at + r] = r;
  });

  const keyNames = new Set<string>();
  for (const record of records) for (const name in record.keys) keyNames.add(name);
  for (const name of keyNames) {
    const valueType = types.keys.get(name);
    if (valueType === undefined) continue;
    const type = PARQUET[valueType];
    yield column(KEY_PREFIX + name, type, (record, values, at) => {
      if (!(name in record.keys)) return;
      const given = record.keys[name];
      for (let r = 0; r < record.rows; r++) values[at + r] = toParquetValue(type, Array.isArray(given) ? given[r] : given);
    });
  }

  const refLists = records.map((record) => recordRefs(record, types)!);
  // Records of one model share their refs list: dedupe the lists before their refs.
  const refs = [...new Set([...new Set(refLists)].flat())];
  const typeOf = new Map(refs.map((ref) => {
    const dtype = types.features.get(ref);
    return [ref, dtype ? PARQUET[dtype] : inferred(records.flatMap((record, k) => record.columns[positionsOf(refLists[k]!).get(ref) ?? -1]?.values ?? []))];
  }));
  // A value is logged only when PRESENT; a value the request sent has no status and is PRESENT unless null.
  const statusOf = (statuses: readonly string[] | undefined, value: unknown, r: number) => statuses?.[r] ?? (value === null || value === undefined ? "NULL_VALUE" : "PRESENT");
  const fillFeature = (ref: string, cell: (values: readonly unknown[], statuses: readonly string[] | undefined, r: number) => ParquetValue) => (record: FeatureLogRecord, out: ParquetValue[], at: number, k: number) => {
    const j = positionsOf(refLists[k]!).get(ref);
    if (j === undefined) return;
    const { values, statuses } = record.columns[j]!;
    for (let r = 0; r < record.rows; r++) out[at + r] = cell(values, statuses, r);
  };
  for (const ref of refs) {
    const type = typeOf.get(ref)!;
    yield column(ref, type, fillFeature(ref, (values, statuses, r) => (statusOf(statuses, values[r], r) === "PRESENT" ? toParquetValue(type, values[r]) : null)));
  }
  for (const ref of refs) {
    yield column(STATUS_PREFIX + ref, "VARCHAR", fillFeature(ref, (values, statuses, r) => statusOf(statuses, values[r], r)));
  }

  if (models) {
    const type: ParquetType = records.every((record) => record.predictions?.every((p) => typeof p === "number") ?? true) ? "DOUBLE" : "VARCHAR";
    yield column(LOG_COLUMNS.prediction, type, (record, values, at) => {
      if (!record.predictions) return;
      for (let r = 0; r < record.rows; r++) values[at + r] = toParquetValue(type, record.predictions[r]);
    });
  }
}

/** How many rows a set of records holds. */
export const rowsOf = (records: readonly FeatureLogRecord[]) => records.reduce((n, r) => n + r.rows, 0);
