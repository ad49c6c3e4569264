import { MlfError } from "../errors.js";
import type { RegistryFile } from "../repo/registry.js";
import type { Definitions, FeatureView } from "../repo/types.js";
import { preview } from "../util/json.js";
import { coerceKey, encodeFeature, encodeTime } from "./codec.js";
import type { OnlineRow, OnlineStore, OnlineTableSpec } from "./store.js";
import { tableSpec } from "./table-spec.js";

/** Where pushed rows go: one online feature view, or every online view reading a source (Feast's push source). */
export type PushTarget = { featureView: string } | { pushSource: string };

/** Rows in column form (Feast's push `df`): column name -> one value per row. */
export type PushColumns = Record<string, unknown[]>;

/** The rows of one view, encoded and checked, ready to write. */
export interface PushBatch {
  spec: OnlineTableSpec;
  rows: OnlineRow[];
}

export interface PushResult {
  /** Rows pushed (each written to every target view). */
  rows: number;
  /** Per target view, the rows that were newer than the stored ones and replaced or created them. */
  views: { view: string; written: number }[];
}

function targets(defs: Definitions, target: PushTarget): FeatureView[] {
  if ("featureView" in target) {
    const view = defs.featureViews.find((v) => v.name === target.featureView);
    if (!view) throw new MlfError("not_found", `Feature view ${preview(target.featureView)} is not in the feature registry; list them with "mlf feature-views list".`);
    if (!view.online) throw new MlfError("invalid_argument", `Feature view "${view.name}" is not online; set online: true and run "mlf apply".`);
    return [view];
  }
  const views = defs.featureViews.filter((v) => v.source === target.pushSource && v.online);
  if (views.length === 0) {
    throw new MlfError("not_found", `No online feature view reads the source ${preview(target.pushSource)}; name a source of an online view, or push to a feature view.`);
  }
  return views;
}

/**
 * Checks and encodes pushed rows for each target view; writes nothing. The rules (the same
 * for the library's pushRows and the server's /push):
 * - `df` is column form: every column a list, all of one length, at least one row;
 * - each target view needs its join keys, its source's timestamp field and every one of its
 *   features (a row replaces the whole stored row, so a missing column would erase stored
 *   values; send null for an unknown value); the source's created-timestamp column is
 *   optional (a missing created time is the oldest);
 * - a column no target view uses is refused, so a misspelt column is not silently dropped;
 * - every value is encoded by the online codec (codec.ts), naming the column and row of a bad one.
 */
export function encodePush(defs: Definitions, target: PushTarget, df: PushColumns): PushBatch[] {
  const views = targets(defs, target);
  const columns = Object.keys(df);
  for (const column of columns) {
    if (!Array.isArray(df[column])) throw new MlfError("invalid_argument", `The column ${preview(column)} must be a list of values, one per row.`);
  }
  const count = columns.length === 0 ? 0 : df[columns[0]!]!.length;
  if (count === 0) throw new MlfError("invalid_argument", "The push has no rows; send the columns as {column: [values...]} with at least one row.");
  for (const column of columns) {
    const n = df[column]!.length;
    if (n !== count) throw new MlfError("invalid_argument", `The column ${preview(column)} has ${n} values but ${preview(columns[0])} has ${count}; send columns of equal length.`);
  }
  const used = new Set<string>();
  const batches = views.map((view) => {
    const spec = tableSpec(defs, view);
    const source = defs.sources.find((s) => s.name === view.source)!;
    const needed = [...spec.keys.map((k) => k.name), source.timestampField, ...spec.features.map((f) => f.name)];
    const created = source.createdTimestampColumn;
    for (const column of [...needed, ...(created ? [created] : [])]) used.add(column);
    const need = (name: string): unknown[] => {
      const column = df[name];
      if (!column) throw new MlfError("invalid_argument", `The column "${name}" is missing; feature view "${view.name}" needs ${needed.join(", ")}.`);
      return column;
    };
    const keys = spec.keys.map((k) => ({ k, values: need(k.name) }));
    const ts = need(source.timestampField);
    const features = spec.features.map((f) => ({ f, values: need(f.name) }));
    const createdValues = created ? df[created] : undefined;
    const rows = new Array<OnlineRow>(count);
    for (let r = 0; r < count; r++) {
      const createdValue = createdValues?.[r];
      rows[r] = {
        key: keys.map(({ k, values }) => coerceKey(k.name, k.type, values[r], r)),
        values: features.map(({ f, values }) => encodeFeature(f.name, f.dtype, values[r], r)),
        eventTs: encodeTime(source.timestampField, ts[r], r),
        createdTs: createdValue === undefined || createdValue === null ? null : encodeTime(created!, createdValue, r),
      };
    }
    return { spec, rows };
  });
  const unknown = columns.filter((c) => !used.has(c));
  if (unknown.length > 0) {
    const names = views.map((v) => `"${v.name}"`).join(", ");
    throw new MlfError("invalid_argument", `The column${unknown.length > 1 ? "s" : ""} ${unknown.map(preview).join(", ")} ${unknown.length > 1 ? "are" : "is"} not a join key, timestamp or feature of feature view ${names}; remove ${unknown.length > 1 ? "them" : "it"} or check the spelling.`);
  }
  return batches;
}

/**
 * Pushes rows into the online store: checked and encoded first (see encodePush), so a bad
 * value writes nothing; then written newer-wins as materialization writes, one transaction
 * per view. `target` is a feature view name, or a PushTarget.
 */
export async function pushRows(featureRegistry: RegistryFile, store: OnlineStore, target: string | PushTarget, df: PushColumns): Promise<PushResult> {
  const batches = encodePush(featureRegistry.definitions, typeof target === "string" ? { featureView: target } : target, df);
  const views: PushResult["views"] = [];
  for (const { spec, rows } of batches) {
    const { written } = await store.write(spec, [rows]);
    views.push({ view: spec.view, written });
  }
  return { rows: batches[0]!.rows.length, views };
}
