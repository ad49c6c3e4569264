import { ROW } from "./entity-rows.js";
import { entitySide, featureOutputs, sourceSide, tieOrder, ttlMicros, US, type ViewJoin } from "./point-in-time.js";
import { ident } from "../util/sql.js";

/**
 * The `asof` plan (see JoinPlan). An ASOF LEFT JOIN carries only the keys and the time: it
 * finds each entity row's newest source time at or before T, and the ttl is applied afterwards
 * (ASOF takes a single inequality). Equal times make ASOF pick an arbitrary row, but never
 * another time, so the result is exact so far. The source rows at the winning `(keys, time)`
 * pairs, at most one pair per entity row, are then read again with their features and the
 * tie order decides between them. The result holds the entity rows that found a value. Carrying the features through the ASOF join and ranking
 * every source row instead cost a sort of the whole source by the tie order (measured 2x).
 */
export function asofJoinSql(join: ViewJoin): string {
  const keys = join.request.keys.map((k) => ident(k.column));
  const ttl = ttlMicros(join);
  const on = [...keys.map((k) => `e.${k} = c.${k}`), `e.${US} >= c.${US}`].join(" AND ");
  const inWindow = ttl > 0n ? `c.${US} >= e.${US} - ${ttl}` : "true";
  const pair = [...keys, US];
  const same = (a: string, b: string) => pair.map((k) => `${a}.${k} = ${b}.${k}`).join(" AND ");
  return `CREATE OR REPLACE TEMP TABLE ${ident(join.target)} AS
WITH hits AS MATERIALIZED (
  SELECT ${[`e.${ROW}`, ...keys.map((k) => `e.${k}`), `CASE WHEN ${inWindow} THEN c.${US} END AS ${US}`].join(", ")}
  FROM (${entitySide(join)}) AS e
  ASOF LEFT JOIN (SELECT ${pair.join(", ")} FROM (${sourceSide(join)})) AS c ON ${on}
), winners AS (
  SELECT s.* FROM (${sourceSide(join)}) AS s
  SEMI JOIN (SELECT DISTINCT ${pair.join(", ")} FROM hits WHERE ${US} IS NOT NULL) AS h ON ${same("s", "h")}
  QUALIFY row_number() OVER (PARTITION BY ${pair.map((k) => `s.${k}`).join(", ")} ORDER BY ${tieOrder(join, "s").join(", ") || "true"}) = 1
)
SELECT ${[`h.${ROW}`, ...featureOutputs(join, "w")].join(", ")}
FROM hits AS h JOIN winners AS w ON ${same("h", "w")}`;
}
