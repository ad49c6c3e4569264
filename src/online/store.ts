import type { Field, ValueType } from "../repo/types.js";

/**
 * The physical layout of one feature view in the online store: one table per view, keyed by
 * the view's join keys (none for an entity-less view), one column per feature plus the event
 * and created timestamps of the stored row.
 */
export interface OnlineTableSpec {
  view: string;
  keys: { name: string; type: ValueType }[];
  features: Field[];
}

/**
 * An online store backend. Implementations live in one folder each (`sqlite/`, later
 * `redis/`) and are chosen from `onlineStores` in stores.ts by the config's `type`.
 *
 * Table management contract:
 * - `ensureTables` creates each table if missing and recreates it (dropping its rows) when
 *   its layout differs from the spec; it reports which tables were recreated.
 * - `dropTables` drops the named views' tables; unknown names are ignored.
 * - `teardown` removes every table of the project.
 */
export interface OnlineStore {
  ensureTables(specs: OnlineTableSpec[]): Promise<{ created: string[]; recreated: string[] }>;
  dropTables(views: string[]): Promise<void>;
  teardown(): Promise<void>;
  close(): Promise<void>;
}
