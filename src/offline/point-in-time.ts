import type { EntityTable } from "./entity-rows.js";
import type { ViewRequest } from "../repo/resolve.js";
import type { OfflineEngine } from "./engine.js";
import { ident, literal } from "../util/sql.js";
import { duckdbTypes, keyTypes } from "./sql.js";

/** Column of a view's result table that says whether the row found a value inside the ttl. */
export const MATCHED = "__mlf_matched";

/**
 * What each view's SQL needs: the request, the entity table, the entity timestamp column, the
 * result table to create and the bounds of the source rows worth reading.
 */
export interface ViewJoin {
  request: ViewRequest;
  entities: EntityTable;
  timestampColumn: string;
  target: string;
  /** `min(T) - ttl` as a TIMESTAMPTZ literal (see pruneLowerBound); absent with unlimited ttl or no rows. */
  lowerBound: string | undefined;
}

/** Pieces of SQL both plans share: the pruned, projected source and the winner order. */
export function sourceParts(join: ViewJoin) {
  const { source, keys, features } = join.request;
  const s = (c: string) => `s.${ident(c)}`;
  const where = [`${s(source.timestampField)} IS NOT NULL`, ...keys.map((k) => `${s(k.column)} IS NOT NULL`)];
  const { minTime, maxTime } = join.entities;
  if (minTime === undefined || maxTime === undefined) where.push("false");
  else {
    where.push(`${s(source.timestampField)} <= ${maxTime}`);
    if (join.lowerBound !== undefined) where.push(`${s(source.timestampField)} >= ${join.lowerBound}`);
  }
  const order = [
    ...(source.createdTimestampColumn ? ["__mlf_created DESC NULLS LAST"] : []),
    ...features.map((_, i) => `${ident(`__mlf_f${i}`)} DESC NULLS LAST`),
  ];
  return {
    from: `${ident(source.name)} AS s`,
    where: where.join(" AND "),
    timestamp: s(source.timestampField),
    keyExprs: keys.map((k) => `CAST(${s(k.column)} AS ${keyTypes[k.valueType]}) AS ${ident(k.column)}`),
    /** The source's join keys cast to the entity's type, as the entity table holds them. */
    keyCasts: keys.map((k) => `CAST(${s(k.column)} AS ${keyTypes[k.valueType]})`),
    created: source.createdTimestampColumn ? [`${s(source.createdTimestampColumn)} AS __mlf_created`] : [],
    featureExprs: features.map((f, i) => `CAST(${s(f.name)} AS ${duckdbTypes[f.dtype]}) AS ${ident(`__mlf_f${i}`)}`),
    /** Among candidates with equal timestamps, the order that picks the winner (best first). */
    tieOrder: order,
    outputs: (alias: string) => features.map((f, i) => `${alias}.${ident(`__mlf_f${i}`)} AS ${ident(f.column)}`),
  };
}

/**
 * `min(T) - ttl` as a literal. Computed beforehand rather than written as an expression in the
 * filter: a constant expression there made DuckDB 1.5.6 fail with an internal cast error once
 * its top-n window rewrite met the de-duplication (and a literal prunes row groups).
 */
export async function pruneLowerBound(engine: OfflineEngine, entities: EntityTable, ttlSeconds: number): Promise<string | undefined> {
  if (ttlSeconds === 0 || entities.minTime === undefined) return undefined;
  const [row] = await engine.rows(`SELECT CAST(${entities.minTime} - to_seconds(${ttlSeconds}) AS VARCHAR) AS t`);
  return `TIMESTAMPTZ ${literal(String(row!.t))}`;
}
