import { MlfError } from "../errors.js";
import { coerceKey } from "../online/keys.js";
import type { OnlineRow, OnlineTableSpec } from "../online/store.js";
import { tableSpec } from "../repo/plan.js";
import type { Definitions, Dtype, FeatureView } from "../repo/types.js";
import { parseTime } from "../util/time.js";
import { preview } from "./runtime/convert.js";
import type { PushBody } from "./schemas.js";

/** The rows of one view to write, converted and checked. */
export interface PushBatch {
  spec: OnlineTableSpec;
  rows: OnlineRow[];
}

/** The online views a push writes: the named view, or every online view reading the push source. */
export function pushTargets(defs: Definitions, body: PushBody): FeatureView[] {
  if (body.feature_view !== undefined) {
    const view = defs.featureViews.find((v) => v.name === body.feature_view);
    if (!view) throw new MlfError("not_found", `Feature view ${preview(body.feature_view)} is not in the registry; list them with "mlf feature-views list".`);
    if (!view.online) throw new MlfError("invalid_argument", `Feature view "${view.name}" is not online; set online: true and run "mlf apply".`);
    return [view];
  }
  const views = defs.featureViews.filter((v) => v.source === body.push_source_name && v.online);
  if (views.length === 0) throw new MlfError("not_found", `No online feature view reads the source ${preview(body.push_source_name)}; name a source of an online view, or the view with "feature_view".`);
  return views;
}

/** A pushed JSON value as the stored form of its dtype (see OnlineRow); null stays null. */
function featureValue(dtype: Dtype, value: unknown, where: () => string): unknown {
  if (value === null) return null;
  const fail = (): never => {
    throw new MlfError("invalid_argument", `${where()} is ${preview(value)}, not a valid ${dtype}; send ${dtype === "bool" ? "true or false" : dtype === "unix_timestamp" ? "an ISO-8601 time" : dtype.startsWith("float") ? "a number" : dtype === "string" || dtype === "bytes" ? "a string" : "a whole number"}.`);
  };
  switch (dtype) {
    case "float32":
    case "float64":
      return typeof value === "number" && Number.isFinite(value) ? value : fail();
    case "int32":
      return typeof value === "number" && Number.isInteger(value) && Math.abs(value) <= 2 ** 31 ? value : fail();
    case "int64":
      return typeof value === "number" && Number.isSafeInteger(value) ? value : fail();
    case "bool":
      return typeof value === "boolean" ? (value ? 1 : 0) : fail();
    case "string":
      return typeof value === "string" ? value : fail();
    case "bytes":
      return typeof value === "string" ? Buffer.from(value, "utf8") : fail();
    case "unix_timestamp":
      return typeof value === "string" ? parseTime(value, where()) : fail();
  }
}

function timeValue(value: unknown, where: () => string): number {
  if (typeof value !== "string") throw new MlfError("invalid_argument", `${where()} is ${preview(value)}; send an ISO-8601 time such as "2024-01-01T10:00:00Z".`);
  return parseTime(value, where());
}

/**
 * Converts Feast's push body (`df` in column form) into rows for each target view. Every key,
 * the source's timestamp column and every feature of the view must be present; other columns
 * are ignored (a push source may feed several views). Everything is checked before anything
 * is written, so a bad row changes nothing.
 */
export function pushBatches(defs: Definitions, body: PushBody): PushBatch[] {
  const columns = Object.entries(body.df);
  const count = columns[0]?.[1].length ?? 0;
  if (count === 0) throw new MlfError("invalid_argument", 'The push has no rows; send "df" as {column: [values...]} with at least one row.');
  for (const [name, values] of columns) {
    if (values.length !== count) throw new MlfError("invalid_argument", `Column ${preview(name)} has ${values.length} values but others have ${count}; send equal-length columns.`);
  }
  return pushTargets(defs, body).map((view) => {
    const spec = tableSpec(defs, view);
    const source = defs.sources.find((s) => s.name === view.source)!;
    const need = (name: string): unknown[] => {
      const column = body.df[name];
      if (!column) throw new MlfError("invalid_argument", `Column "${name}" is missing; feature view "${view.name}" needs ${[...spec.keys.map((k) => k.name), source.timestampField, ...spec.features.map((f) => f.name)].join(", ")}.`);
      return column;
    };
    const keys = spec.keys.map((k) => ({ k, values: need(k.name) }));
    const ts = need(source.timestampField);
    const created = source.createdTimestampColumn ? body.df[source.createdTimestampColumn] : undefined;
    const features = spec.features.map((f) => ({ f, values: need(f.name) }));
    const rows: OnlineRow[] = Array.from({ length: count }, (_, r) => {
      const eventTs = timeValue(ts[r], () => `${source.timestampField} in row ${r}`);
      const createdValue = created?.[r];
      return {
        key: keys.map(({ k, values }) => coerceKey(k.name, k.type, values[r])),
        values: features.map(({ f, values }) => featureValue(f.dtype, values[r], () => `${f.name} in row ${r}`)),
        eventTs,
        createdTs: createdValue === undefined || createdValue === null ? null : timeValue(createdValue, () => `${source.createdTimestampColumn} in row ${r}`),
      };
    });
    return { spec, rows };
  });
}
