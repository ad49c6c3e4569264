import type { StoredSource } from "./engine.js";
import { entityKey, entityMicros, ROW, type EntityTable } from "./entity-rows.js";
import type { ViewRequest } from "../repo/resolve.js";
import { ident } from "../util/sql.js";
import { duckdbTypes, keyTypes } from "./sql.js";
import { pruneFilter, utcMicros } from "./utc.js";

/** Columns of the SQL below: event and created times in epoch microseconds (the row number is ROW). */
export const US = "__mlf_us";
export const CREATED = "__mlf_created";

/** What each view's SQL needs: the request, the entity rows, the source as stored, the result table to create. */
export interface ViewJoin {
  request: ViewRequest;
  entities: EntityTable;
  source: StoredSource;
  target: string;
  /**
   * For a view without a ttl, a ttl that changes no result: longer than any candidate's age
   * (see sourceHorizon in join-plan.ts), so that the plans built on windows and buckets apply.
   */
  horizon?: bigint;
}

/** The view's ttl in microseconds (0: unlimited), or its horizon. */
export const ttlMicros = (join: ViewJoin) => join.horizon ?? BigInt(join.request.view.ttlSeconds) * 1_000_000n;

/** `__mlf_f0`, `__mlf_f1`, ...: the requested features inside the SQL, whatever their names. */
export const featureColumn = (i: number) => ident(`__mlf_f${i}`);

/**
 * The entity side of a join: row number, the view's keys as their entity's type and the time
 * in microseconds, for every entity row (or those meeting `where`, on alias `e`).
 */
export function entitySide(join: ViewJoin, where?: string): string {
  const { entities, request } = join;
  const columns = [`e.${entities.row} AS ${ROW}`, ...request.keys.map((k) => `${entityKey(entities, "e", k)} AS ${ident(k.column)}`), `${entityMicros(entities, "e")} AS ${US}`];
  return `SELECT ${columns.join(", ")} FROM ${entities.relation} AS e${where === undefined ? "" : ` WHERE ${where}`}`;
}

/**
 * The source side: the view's keys (as the entity's type), the time and created time in
 * microseconds and the requested features (cast to their dtype, as `__mlf_f<i>`), of the
 * rows that can be a candidate: non-NULL keys and time, inside `[min(T) - ttl, max(T)]`
 * (pruned on the stored column, so Parquet row groups outside are skipped). Callers select
 * from it what they need; DuckDB reads only those columns.
 */
export function sourceSide(join: ViewJoin, options: SourceOptions = {}): string {
  const { request, source } = join;
  const s = (c: string) => `s.${ident(c)}`;
  const created = request.source.createdTimestampColumn;
  const columns = [
    ...request.keys.map((k) => `${source.types.get(k.column) === keyTypes[k.valueType] ? s(k.column) : `CAST(${s(k.column)} AS ${keyTypes[k.valueType]})`} AS ${ident(k.column)}`),
    `${utcMicros(s(request.source.timestampField), source.types.get(request.source.timestampField)!)} AS ${US}`,
    ...(created ? [`${utcMicros(s(created), source.types.get(created)!)} AS ${CREATED}`] : []),
    ...request.features.map((f, i) => `CAST(${s(f.name)} AS ${duckdbTypes[f.dtype]}) AS ${featureColumn(i)}`),
  ];
  return `SELECT ${columns.join(", ")} FROM ${options.relation ?? source.relation} AS s WHERE ${sourceWhere(join, options).join(" AND ")}`;
}

/** The conditions of sourceSide on alias `s`. */
function sourceWhere(join: ViewJoin, options: SourceOptions): string[] {
  const { request, entities, source } = join;
  const time = `s.${ident(request.source.timestampField)}`;
  const where = [`${time} IS NOT NULL`, ...request.keys.map((k) => `s.${ident(k.column)} IS NOT NULL`), ...(options.where ?? [])];
  if (entities.minUs === undefined || entities.maxUs === undefined) return [...where, "false"];
  const ttl = ttlMicros(join);
  return [...where, ...pruneFilter(time, source.types.get(request.source.timestampField)!, ttl > 0n ? entities.minUs - ttl : undefined, entities.maxUs)];
}

/**
 * The source's columns the view needs, as stored, of the rows sourceSide keeps: a table made
 * of it reads like the source (see copySource in join-plan.ts).
 */
export function storedColumnsSql(join: ViewJoin): string {
  const { request } = join;
  const columns = [...request.keys.map((k) => k.column), request.source.timestampField, ...(request.source.createdTimestampColumn ? [request.source.createdTimestampColumn] : []), ...request.features.map((f) => f.name)];
  return `SELECT ${[...new Set(columns)].map((c) => `s.${ident(c)}`).join(", ")} FROM ${join.source.relation} AS s WHERE ${sourceWhere(join, {}).join(" AND ")}`;
}

export interface SourceOptions {
  /** Read this relation (with the stored columns) instead of the source's. */
  relation?: string;
  /** More conditions on alias `s`. */
  where?: string[];
}

/**
 * Among candidates with equal timestamps the winner has the greatest created time (NULL
 * loses), then, so that every run returns the same row, the greatest feature values in
 * request order (NULL lowest). As an ORDER BY list, best first (`ascending`: best last).
 */
export function tieOrder(join: ViewJoin, alias: string, direction: "descending" | "ascending" = "descending"): string[] {
  const order = direction === "descending" ? "DESC NULLS LAST" : "ASC NULLS FIRST";
  const created = join.request.source.createdTimestampColumn ? [`${alias}.${CREATED} ${order}`] : [];
  return [...created, ...join.request.features.map((_, i) => `${alias}.${featureColumn(i)} ${order}`)];
}

/** The requested features under their output names, from alias `w`'s `__mlf_f<i>` columns. */
export function featureOutputs(join: ViewJoin, alias: string): string[] {
  return join.request.features.map((f, i) => `${alias}.${featureColumn(i)} AS ${ident(f.column)}`);
}
