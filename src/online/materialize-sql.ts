import { duckdbTypes, ident, keyTypes, literal } from "../offline/sql.js";
import type { Dtype, Source } from "../repo/types.js";
import { formatTime } from "../util/time.js";
import type { OnlineTableSpec } from "./store.js";

/**
 * A feature value cast to its dtype in the form the online store binds: bool as 0/1 and
 * unix_timestamp as epoch milliseconds (SQLite has neither type).
 */
function featureExpr(name: string, dtype: Dtype): string {
  const cast = `CAST(${ident(name)} AS ${duckdbTypes[dtype]})`;
  if (dtype === "bool") return `CAST(${cast} AS INTEGER)`;
  if (dtype === "unix_timestamp") return `epoch_ms(${cast})`;
  return cast;
}

/**
 * The latest row per entity with `start <= ts <= end` (both inclusive, UTC), read from the
 * source's view in the offline engine, so materialization and historical retrieval share
 * the same rows and logic. Equal event times are decided by the greatest created time (NULL
 * last), the rule of historical retrieval. Rows with a NULL key cannot be looked up and are
 * left out. Sorted by key, which makes the SQLite inserts sequential.
 * Columns: keys, features, __event_ts and __created_ts as epoch ms.
 */
export function latestRowsSql(spec: OnlineTableSpec, source: Source, startMs: number, endMs: number): string {
  const ts = ident(source.timestampField);
  const created = source.createdTimestampColumn ? ident(source.createdTimestampColumn) : undefined;
  const keys = spec.keys.map((k) => ident(k.name));
  const columns = [
    ...spec.keys.map((k) => `CAST(${ident(k.name)} AS ${keyTypes[k.type]}) AS ${ident(k.name)}`),
    ...spec.features.map((f) => `${featureExpr(f.name, f.dtype)} AS ${ident(f.name)}`),
    // DOUBLE holds every epoch ms exactly and arrives in JS as a number, not a BigInt.
    `CAST(epoch_ms(${ts}) AS DOUBLE) AS __event_ts`,
    `${created ? `CAST(epoch_ms(${created}) AS DOUBLE)` : "CAST(NULL AS DOUBLE)"} AS __created_ts`,
  ];
  const where = [
    `${ts} >= CAST(${literal(formatTime(startMs))} AS TIMESTAMPTZ)`,
    `${ts} <= CAST(${literal(formatTime(endMs))} AS TIMESTAMPTZ)`,
    ...keys.map((k) => `${k} IS NOT NULL`),
  ];
  const order = `${ts} DESC${created ? `, ${created} DESC NULLS LAST` : ""}`;
  const partition = keys.length > 0 ? `PARTITION BY ${keys.join(", ")} ` : "";
  return (
    `SELECT ${columns.join(", ")} FROM ${ident(source.name)} WHERE ${where.join(" AND ")} ` +
    `QUALIFY row_number() OVER (${partition}ORDER BY ${order}) = 1` +
    (keys.length > 0 ? ` ORDER BY ${keys.join(", ")}` : "")
  );
}
