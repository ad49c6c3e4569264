import type { EntityTable } from "./entity-rows.js";
import { ROW } from "./entity-rows.js";
import type { ViewRequest } from "./features.js";
import type { OfflineEngine } from "./engine.js";
import { duckdbTypes, ident, keyTypes, literal } from "./sql.js";

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
 * `lowerBound` is `min(T) - ttl` as a TIMESTAMPTZ literal (see pruneLowerBound), absent with
 * unlimited ttl or no rows.
 *
 * How: the source is pruned to the entity keys and to `[min(T) - ttl, max(T)]` and projected
 * to the needed columns; an ASOF LEFT JOIN finds the newest timestamp at or before T; the ttl
 * is applied afterwards because ASOF takes a single inequality; the rows at the winning
 * `(keys, ts)` are de-duplicated by the order above (ASOF itself picks arbitrarily among
 * equal timestamps) and joined back.
 */
export function viewResultSql(request: ViewRequest, entities: EntityTable, timestampColumn: string, target: string, lowerBound: string | undefined): string {
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
    if (lowerBound !== undefined) where.push(`${s(source.timestampField)} >= ${lowerBound}`);
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
  const e = (c: string) => `e.${ident(c)}`;
  const keyColumns = keys.map((k) => ident(k.column));
  const sameKeys = (a: string, b: string) => [...keyColumns.map((k) => `${a}.${k} = ${b}.${k}`), `${a}.${TS} = ${b}.${TS}`].join(" AND ");
  const inWindow = ttl > 0 ? `c.${TS} >= ${e(timestampColumn)} - to_seconds(${ttl})` : "true";
  const on = [...keys.map((k) => `${e(k.column)} = c.${ident(k.column)}`), `${e(timestampColumn)} >= c.${TS}`].join(" AND ");
  const entityColumns = [ROW, ...keys.map((k) => k.column), timestampColumn].map((c) => ident(c)).join(", ");
  const outputs = features.map((f, i) => `w.${ident(`__mlf_f${i}`)} AS ${ident(f.column)}`);

  // The ASOF join carries only (keys, ts): equal timestamps make it pick an arbitrary row, but
  // never a different timestamp, so the result is still exact. Only the winning (keys, ts)
  // pairs, at most one per entity row, are then de-duplicated and joined back; ranking the
  // whole source first cost a sort of every source row (measured 2x slower).
  return `CREATE OR REPLACE TEMP TABLE ${ident(target)} AS
WITH pruned AS (
  SELECT ${[...keyExprs, `${s(source.timestampField)} AS ${TS}`, ...created, ...featureExprs].join(", ")}
  FROM ${ident(source.name)} AS s${semiJoin}
  WHERE ${where.join(" AND ")}
), hits AS (
  SELECT ${[`e.${ident(ROW)}`, ...keys.map((k) => `${e(k.column)}`), `CASE WHEN ${inWindow} THEN c.${TS} END AS ${TS}`].join(", ")}
  FROM (SELECT ${entityColumns} FROM ${entities.table}) AS e
  ASOF LEFT JOIN (SELECT ${[...keyColumns, TS].join(", ")} FROM pruned) AS c ON ${on}
), winners AS (
  SELECT p.* FROM pruned AS p SEMI JOIN (SELECT DISTINCT ${[...keyColumns, TS].join(", ")} FROM hits WHERE ${TS} IS NOT NULL) AS h ON ${sameKeys("p", "h")}
  QUALIFY row_number() OVER (PARTITION BY ${partition} ORDER BY ${order.join(", ")}) = 1
)
SELECT h.${ident(ROW)}, ${[...outputs, `h.${TS} IS NOT NULL AS ${MATCHED}`].join(", ")}
FROM hits AS h LEFT JOIN winners AS w ON ${sameKeys("h", "w")}`;
}

/**
 * `min(T) - ttl` as a literal. Computed beforehand rather than written as an expression in the
 * filter: a constant expression there made DuckDB 1.5.6 fail with an internal cast error once
 * its top-n window rewrite met the de-duplication below (and a literal prunes row groups).
 */
export async function pruneLowerBound(engine: OfflineEngine, entities: EntityTable, ttlSeconds: number): Promise<string | undefined> {
  if (ttlSeconds === 0 || entities.minTime === undefined) return undefined;
  const [row] = await engine.rows(`SELECT CAST(${entities.minTime} - to_seconds(${ttlSeconds}) AS VARCHAR) AS t`);
  return `TIMESTAMPTZ ${literal(String(row!.t))}`;
}
