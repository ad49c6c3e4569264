/**
 * The obviously-correct point-in-time lookup that get-historical is checked against (after
 * Feast's find_latest_record): loop over the source rows, keep those with the entity's keys
 * and `T - ttl <= ts <= T`, and return the newest. "Newest" is the order SPEC section 3 and
 * mlf define: greatest ts, then greatest created timestamp, then greatest feature values in
 * request order, a NULL being lower than any value.
 */

export type Value = number | string | null;

export interface OracleRow {
  keys: Value[];
  /** Event time, epoch ms. */
  ts: number;
  /** Created time, epoch ms, or null. */
  created: number | null;
  /** The requested features' values, in request order. */
  values: Value[];
}

function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function newer(a: OracleRow, b: OracleRow): boolean {
  const order = [compare(a.ts, b.ts), compare(a.created, b.created), ...a.values.map((v, i) => compare(v, b.values[i]!))];
  return (order.find((c) => c !== 0) ?? 0) > 0;
}

/**
 * The features an entity row with `keys` at time `t` (epoch ms) sees from `rows`, or NULLs
 * when nothing is in the window. `ttlMs` 0 means no lower bound. A NULL key matches nothing.
 */
export function pointInTime(rows: OracleRow[], keys: Value[], t: number, ttlMs: number, width: number): Value[] {
  let best: OracleRow | undefined;
  for (const row of rows) {
    if (keys.some((k, i) => k === null || row.keys[i] !== k)) continue;
    if (row.ts > t || (ttlMs > 0 && row.ts < t - ttlMs)) continue;
    if (!best || newer(row, best)) best = row;
  }
  return best ? best.values : new Array<Value>(width).fill(null);
}
