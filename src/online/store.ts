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
 * One entity's row as written: `key` holds one typed value per join key of the spec, in spec
 * order (empty for an entity-less view), `values` one typed value per feature in spec order.
 *
 * Typed values are what a backend is given to write and gives back when read, whatever it
 * stores underneath. The online codec (codec.ts) turns callers' values into these and back,
 * so a backend never parses or validates user input:
 * - int32, int64: a number, or a bigint (any integer in range is accepted on write; reads give
 *   a number when the value is a safe integer, else a bigint, so int64 values beyond 2^53
 *   round-trip exactly);
 * - float32, float64: a finite number;
 * - string: a string; bytes: a Buffer;
 * - bool: a boolean;
 * - unix_timestamp: epoch milliseconds UTC, a number;
 * - null: no value (read back as null).
 * Join keys follow the same rules for their value type (int32, int64, string, bytes).
 */
export interface OnlineRow {
  key: unknown[];
  values: unknown[];
  /** Event time, epoch milliseconds UTC. */
  eventTs: number;
  /** Created time, epoch milliseconds UTC; null when the source has no created column. */
  createdTs: number | null;
}

/** What a write did: rows offered, and rows that replaced or created a stored value. */
export interface OnlineWriteResult {
  rows: number;
  written: number;
}

/**
 * One stored row as read: typed feature values (see OnlineRow) in the order asked for, and
 * the stored timestamps (epoch milliseconds UTC). Undefined in a read result means no row was
 * ever written.
 */
export interface StoredRow {
  values: unknown[];
  eventTs: number;
  createdTs: number | null;
}

/** How a caller wants a store opened; a backend ignores what it does not support. */
export interface OnlineStoreOptions {
  /**
   * Let the reads issued in one event-loop turn share one snapshot. A server answering many
   * requests per turn then pays for starting a read once per turn instead of once per request;
   * the price is that a write committed by another connection during a turn is seen from the
   * next turn on (the store's own writes are seen at once). Default false: a read sees every
   * write committed before it was called.
   */
  shareTurnSnapshots?: boolean;
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
 *
 * Write contract (`write`):
 * - newer wins: a row replaces the stored row of its key only when its event time is greater,
 *   or equal with a greater created time (a null created time is older than any other);
 *   otherwise it is skipped and not counted in `written`. Writing the same rows twice, or
 *   older rows after newer ones, therefore changes nothing.
 * - all batches of one call are one transaction: a concurrent reader sees every row of the
 *   call or none of them, and a process killed mid-way leaves the previous rows intact.
 * - rows are written in the order given; sorted by key they are fastest.
 * - after the commit the backend bounds its journal (SQLite checkpoints its WAL).
 *
 * Read contract (`read`):
 * - values come back typed as written (see OnlineRow), whatever the backend stores;
 * - one result per request, in order; in each, one entry per key, in order: the stored row
 *   with the request's features in the order asked for, or undefined when the key was never
 *   written (or its table does not exist yet).
 * - all requests of one call read one consistent snapshot (a concurrent write is seen
 *   entirely or not at all), so several views and entities can be read together.
 * - no ttl is applied: callers judge a row's age against their own clock.
 *
 * Freshness contract (`newestEventTimes`):
 * - for each view named, in order, the greatest event time (epoch ms UTC) among its stored
 *   rows, or undefined when it has no rows, no table, or is unknown.
 * - exact: it counts every committed write (materializations and pushes, from any process),
 *   not the materialization intervals; a recreated table starts empty again.
 * - cheap enough for every metrics scrape: it must not scan the view's rows.
 */
export interface OnlineStore {
  ensureTables(specs: OnlineTableSpec[]): Promise<{ created: string[]; recreated: string[] }>;
  dropTables(views: string[]): Promise<void>;
  teardown(): Promise<void>;
  write(spec: OnlineTableSpec, batches: Iterable<OnlineRow[]> | AsyncIterable<OnlineRow[]>): Promise<OnlineWriteResult>;
  read(requests: ReadRequest[]): Promise<(StoredRow | undefined)[][]>;
  newestEventTimes(views: string[]): Promise<(number | undefined)[]>;
  close(): Promise<void>;
}

/**
 * Keys to look up in one view: `keys[i]` is one entity's join-key values in spec order,
 * already of the declared types (`[]` for an entity-less view); `features` are names from
 * the spec.
 */
export interface ReadRequest {
  spec: OnlineTableSpec;
  features: string[];
  keys: unknown[][];
}
