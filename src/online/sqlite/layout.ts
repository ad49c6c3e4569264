import { ident } from "../../util/sql.js";
import type { OnlineTableSpec } from "../store.js";

/**
 * The catalogue table: one row per view with its table name, its layout (to detect a changed
 * schema) and the newest event time stored in it (kept by every write, so freshness is one
 * primary-key read instead of a scan of the view's rows).
 */
export const CATALOG = "__mlf_tables";

/** Name of the constant key column of an entity-less view's single-row table. */
export const NO_KEY = "__mlf_key";

/** The value of NO_KEY in the one row of an entity-less view. */
export const NO_KEY_VALUE = 0;

/** The primary-key columns of a view's table, quoted, in spec order. */
export function keyColumns(spec: OnlineTableSpec): string[] {
  return spec.keys.length > 0 ? spec.keys.map((k) => ident(k.name)) : [ident(NO_KEY)];
}

/** The bound key values of one entity (the constant for an entity-less view). */
export function keyParams(spec: OnlineTableSpec, key: unknown[]): unknown[] {
  return spec.keys.length > 0 ? key : [NO_KEY_VALUE];
}

/**
 * Created timestamps compare with NULL as the oldest: SQLite orders NULL below every number
 * in comparisons only through COALESCE, so this stands in for "no created time" (it is below
 * every valid JavaScript date, -8.64e15 ms).
 */
export const NO_CREATED = -9e15;
