import { MlfError } from "../errors.js";
import { tableSpec } from "../repo/plan.js";
import type { RegistryFile } from "../repo/registry.js";
import type { Dtype } from "../repo/types.js";
import { parseTime } from "../util/time.js";
import { coerceKey } from "./keys.js";
import type { OnlineRow, OnlineStore, OnlineWriteResult } from "./store.js";

/** A request time value (ISO text, epoch ms number, Date) as epoch ms. */
function timeMs(column: string, value: unknown): number {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") return parseTime(value, `value of "${column}"`);
  throw new MlfError("invalid_argument", `The value ${JSON.stringify(value)} of "${column}" is not a time; use ISO-8601 text or epoch milliseconds.`);
}

/** A pushed feature value in the form the store binds (see OnlineRow), or an error naming the column. */
function featureValue(column: string, dtype: Dtype, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const fail = () => new MlfError("invalid_argument", `The value ${JSON.stringify(value)} of feature "${column}" is not a valid ${dtype}.`);
  switch (dtype) {
    case "float32":
    case "float64":
      if (typeof value !== "number" || Number.isNaN(value)) throw fail();
      return value;
    case "int32":
    case "int64":
      if (typeof value === "number" && !Number.isInteger(value)) throw fail();
      return coerceKey(column, dtype, value);
    case "bool":
      if (typeof value !== "boolean") throw fail();
      return value ? 1 : 0;
    case "string":
      if (typeof value !== "string") throw fail();
      return value;
    case "bytes":
      return coerceKey(column, "bytes", value);
    case "unix_timestamp":
      return timeMs(column, value);
  }
}

/**
 * Writes pushed rows of one online feature view (Feast's push `df` in column form: join keys,
 * the source's timestamp field, optionally its created column, and any subset of the view's
 * features; absent features are stored as null). Newer wins as for materialization, and the
 * rows are one transaction. Every value is checked before anything is written.
 */
export async function pushRows(registry: RegistryFile, store: OnlineStore, viewName: string, df: Record<string, unknown[]>): Promise<OnlineWriteResult> {
  const defs = registry.definitions;
  const view = defs.featureViews.find((v) => v.name === viewName);
  if (!view) throw new MlfError("not_found", `Feature view "${viewName}" is not in the registry; list them with "mlf feature-views list".`);
  if (!view.online) throw new MlfError("invalid_argument", `Feature view "${viewName}" is not online; set online: true and run "mlf apply".`);
  const spec = tableSpec(defs, view);
  const source = defs.sources.find((s) => s.name === view.source)!;
  const columns = Object.keys(df);
  const known = new Set([...spec.keys.map((k) => k.name), ...spec.features.map((f) => f.name), source.timestampField, ...(source.createdTimestampColumn ? [source.createdTimestampColumn] : [])]);
  for (const c of columns) {
    if (!known.has(c)) throw new MlfError("invalid_argument", `"${c}" is not a join key, feature or timestamp of feature view "${viewName}".`);
    if (!Array.isArray(df[c])) throw new MlfError("invalid_argument", `The column "${c}" must be a list of values.`);
  }
  for (const needed of [...spec.keys.map((k) => k.name), source.timestampField]) {
    if (!(needed in df)) throw new MlfError("invalid_argument", `The column "${needed}" is missing; feature view "${viewName}" needs it.`);
  }
  const count = df[source.timestampField]!.length;
  for (const c of columns) {
    if (df[c]!.length !== count) throw new MlfError("invalid_argument", `The column "${c}" has ${df[c]!.length} values but "${source.timestampField}" has ${count}; give every column the same length.`);
  }
  const rows: OnlineRow[] = [];
  for (let i = 0; i < count; i++) {
    const created = source.createdTimestampColumn ? df[source.createdTimestampColumn]?.[i] : undefined;
    rows.push({
      key: spec.keys.map((k) => coerceKey(k.name, k.type, df[k.name]![i])),
      values: spec.features.map((f) => featureValue(f.name, f.dtype, df[f.name]?.[i])),
      eventTs: timeMs(source.timestampField, df[source.timestampField]![i]),
      createdTs: created === undefined || created === null ? null : timeMs(source.createdTimestampColumn!, created),
    });
  }
  return store.write(spec, [rows]);
}
