/**
 * Times in SQL without DuckDB's ICU calendar. Once ICU is loaded (it is, for `TimeZone =
 * 'UTC'`), a cast from a naive timestamp to TIMESTAMPTZ, and `TIMESTAMPTZ - INTERVAL`, go
 * through the calendar for every row even in UTC: measured 100-300 ns a value, 2 to 6 CPU
 * seconds on 20M rows, more than the point-in-time join itself. Naive times are UTC in mlf,
 * so their epoch microseconds are the UTC instant: `epoch_us` on any timestamp type is plain
 * arithmetic, and so is `make_timestamptz` on the microseconds. Values that cannot be
 * converted this way (text, dates, numbers) keep DuckDB's cast.
 */

/** Timestamp types whose `epoch_us` is the UTC instant (naive ones taken as UTC). */
const INSTANT = /^(TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMP WITH TIME ZONE)$/;

/** Whether utcMicros keeps the order of values of `type`, so that it may take their min or max instead (read from Parquet statistics). */
export const ordersAsMicros = (type: string) => INSTANT.test(type) || type === "DATE";

/**
 * `expr` (of DuckDB type `type`) as BIGINT epoch microseconds in UTC; NULL for NULL and for
 * infinite times (so such a row is never a candidate). Nanoseconds are truncated, as DuckDB's
 * cast to TIMESTAMPTZ does.
 */
export function utcMicros(expr: string, type: string): string {
  if (INSTANT.test(type)) return `epoch_us(${expr})`;
  if (type === "DATE") return `epoch_us(CAST(${expr} AS TIMESTAMP))`;
  return `epoch_us(CAST(${expr} AS TIMESTAMPTZ))`;
}

/** `expr` as TIMESTAMPTZ in UTC (see utcMicros: infinite times become NULL). */
export function utcTimestamp(expr: string, type: string): string {
  if (type === "TIMESTAMP WITH TIME ZONE") return expr;
  if (INSTANT.test(type) || type === "DATE") return `make_timestamptz(${utcMicros(expr, type)})`;
  return `CAST(${expr} AS TIMESTAMPTZ)`;
}

/**
 * A filter keeping at least the rows whose time lies in `[lo, hi]` (epoch microseconds; either
 * may be absent). On the stored timestamp types it compares the column itself with a constant
 * of its own type, widened by a microsecond for truncated nanoseconds, so that DuckDB skips
 * Parquet row groups by their statistics; otherwise it is exact on the converted value.
 * Callers apply the exact bounds afterwards.
 */
export function pruneFilter(column: string, type: string, lo: bigint | undefined, hi: bigint | undefined): string[] {
  const native = type === "TIMESTAMP WITH TIME ZONE" ? "make_timestamptz" : type === "TIMESTAMP" || type === "TIMESTAMP_NS" ? "make_timestamp" : undefined;
  const bound = (op: string, us: bigint) => (native ? `${column} ${op} ${native}(${us}::BIGINT)` : `${utcMicros(column, type)} ${op} ${us}`);
  const widen = native ? 1n : 0n;
  return [...(lo === undefined ? [] : [bound(">=", lo - widen)]), ...(hi === undefined ? [] : [bound("<=", hi + widen)])];
}
