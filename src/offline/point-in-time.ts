import type { EntityTable } from "./entity-rows.js";
import { ROW } from "./entity-rows.js";
import type { ViewRequest } from "./features.js";
import { duckdbTypes, ident, keyTypes } from "./sql.js";

/** Column of a view's result table that says whether the row found a value inside the ttl. */
export const MATCHED = "__mlf_matched";
const TS = "__mlf_ts";

/**
 * The SQL that builds one view's result table: exactly one row per entity row (`__mlf_row`),
 * the requested features under their output names, and `__mlf_matched`.
 *
 * Semantics (SPEC section 3): candidates share the view's join keys and have
 * `T - ttl <= ts <= T` (inclusive; no lower bound when ttl is 0); the greatest `ts` wins, then
 * the greatest created timestamp (NULL created loses), then, so that every run returns the
 * same row, the greatest feature values in request order (NULLs lowest). No candidate gives
 * NULL features.
 *
 * How: the source is pruned to the entity keys and to `[min(T) - ttl, max(T)]` and projected
 * to the needed columns; `(keys, ts)` is de-duplicated by the order above (ASOF itself picks
 * arbitrarily among equal timestamps); an ASOF LEFT JOIN finds the newest row at or before T;
 * the ttl is applied afterwards because ASOF takes a single inequality.
 */
export function viewResultSql(request: ViewRequest, entities: EntityTable, timestampColumn: string, target: string): string {
  const { source, keys, features, view } = request;
  const s = (c: string) => `s.${ident(c)}`;
  const ttl = view.ttlSeconds;
  const keyExprs = keys.map((k) => `CAST(${s(k.column)} AS ${keyTypes[k.valueType]}) AS ${ident(k.column)}`);
  const featureExprs = features.map((f, i) => `CAST(${s(f.name)} AS ${duckdbTypes[f.dtype]}) AS ${ident(`__mlf_f${i}`)}`);
  const created = source.createdTimestampColumn ? [`${s(source.createdTimestampColumn)} AS __mlf_created`] : [];

  const where = [`${s(source.timestampField)} IS NOT NULL`, ...keys.map((k) => `${s(k.column)} IS NOT NULL`)];
  if (entities.minTime === undefined || entities.maxTime === undefined) where.push("false");
  else {
    where.push(`${s(source.timestampField)} <= ${entities.maxTime}`);
    if (ttl > 0) where.push(`${s(source.timestampField)} >= ${entities.minTime} - to_seconds(${ttl})`);
  }
  const keyList = keys.map((k) => ident(k.column)).join(", ");
  const semiJoin =
    keys.length === 0
      ? ""
      : ` SEMI JOIN (SELECT DISTINCT ${keyList} FROM ${entities.table}) AS k ON ${keys.map((k) => `CAST(${s(k.column)} AS ${keyTypes[k.valueType]}) = k.${ident(k.column)}`).join(" AND ")}`;

  const order = [
    ...(source.createdTimestampColumn ? ["__mlf_created DESC NULLS LAST"] : []),
    ...features.map((_, i) => `${ident(`__mlf_f${i}`)} DESC NULLS LAST`),
  ];
  const partition = [...keys.map((k) => ident(k.column)), TS].join(", ");
  // At least one feature is always requested, so the order is never empty.
  const dedup = `SELECT * FROM pruned QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ${order.join(", ")}) = 1`;

  const e = (c: string) => `e.${ident(c)}`;
  const inWindow = ttl > 0 ? `c.${TS} >= ${e(timestampColumn)} - to_seconds(${ttl})` : `c.${TS} IS NOT NULL`;
  const outputs = features.map((f, i) => `CASE WHEN ${inWindow} THEN c.${ident(`__mlf_f${i}`)} END AS ${ident(f.column)}`);
  const on = [...keys.map((k) => `${e(k.column)} = c.${ident(k.column)}`), `${e(timestampColumn)} >= c.${TS}`].join(" AND ");
  const entityColumns = [ROW, ...keys.map((k) => k.column), timestampColumn].map((c) => ident(c)).join(", ");

  return `CREATE OR REPLACE TEMP TABLE ${ident(target)} AS
WITH pruned AS (
  SELECT ${[...keyExprs, `${s(source.timestampField)} AS ${TS}`, ...created, ...featureExprs].join(", ")}
  FROM ${ident(source.name)} AS s${semiJoin}
  WHERE ${where.join(" AND ")}
), candidates AS (
  ${dedup}
)
SELECT e.${ident(ROW)}, ${[...outputs, `coalesce(${inWindow}, false) AS ${MATCHED}`].join(", ")}
FROM (SELECT ${entityColumns} FROM ${entities.table}) AS e
ASOF LEFT JOIN candidates AS c ON ${on}`;
}
