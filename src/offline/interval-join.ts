import { entityKey, entityMicros } from "./entity-rows.js";
import { featureColumn, sourceSide, tieOrder, ttlMicros, US, type ViewJoin } from "./point-in-time.js";
import { ident } from "../util/sql.js";

const LO = "__mlf_lo";
const HI = "__mlf_hi";
const BUCKET = "__mlf_bucket";
const NEXT = "__mlf_next";
/** The end of the last interval of a key when the ttl is unlimited. */
const FOREVER = "9223372036854775807";

/**
 * The `interval` plan (see JoinPlan), which replaces the view's join with a table of validity
 * intervals, joined to the entity rows while the result is written (see intervalOn).
 *
 * Of the source rows sharing keys and time, only the best by the tie order can ever win; it
 * stays the winner for an entity row at T from its time until just before the next time of its
 * keys, and for at most the ttl: its interval is `[ts, min(next - 1, ts + ttl)]`. An entity
 * row's winner is then the one row whose interval holds T, and a row with none has no
 * candidate. One window over the source (its rows in the order keys, time, tie order, so the
 * best of a time is the last, just before the next time) finds both the best rows and their
 * next times.
 *
 * The table holds the keys, the interval (epoch microseconds) and the requested features under
 * their output names; with a ttl, also a time bucket `floor(lo / ttl)`, and a second copy of
 * each interval that reaches into the next bucket (an interval is at most the ttl long and
 * every bucket at least that wide; see runWindowPass in range-join.ts), so that the write can
 * hash on the keys and T's bucket and compare T with the few intervals there.
 */
export function intervalsSql(join: ViewJoin): string {
  const keys = join.request.keys.map((k) => ident(k.column));
  const ttl = ttlMicros(join);
  const features = join.request.features.map((_, i) => featureColumn(i));
  const outputs = join.request.features.map((f, i) => `${featureColumn(i)} AS ${ident(f.column)}`);
  const order = [`s.${US}`, ...tieOrder(join, "s", "ascending")].join(", ");
  const next = `lead(s.${US}) OVER (${keys.length > 0 ? `PARTITION BY ${keys.map((k) => `s.${k}`).join(", ")} ` : ""}ORDER BY ${order})`;
  const hi = ttl > 0n ? `least(${NEXT} - 1, ${US} + ${ttl})` : `coalesce(${NEXT} - 1, ${FOREVER})`;
  const intervals = `SELECT ${[...keys, `${US} AS ${LO}`, `${hi} AS ${HI}`, ...features].join(", ")} FROM (
  SELECT *, ${next} AS ${NEXT} FROM (${sourceSide(join)}) AS s QUALIFY ${NEXT} IS DISTINCT FROM s.${US}
)`;
  const into = `CREATE OR REPLACE TEMP TABLE ${ident(join.target)} AS`;
  if (ttl === 0n) return `${into}\nSELECT ${[...keys, LO, HI, ...outputs].join(", ")} FROM (${intervals})`;
  return `${into}
SELECT ${[...keys, LO, HI, `${LO} // ${ttl} + d.x AS ${BUCKET}`, ...outputs].join(", ")}
FROM (${intervals}) AS i, (VALUES (0), (1)) AS d(x)
WHERE d.x = 0 OR ${HI} // ${ttl} > ${LO} // ${ttl}`;
}

/** How many intervals, and `n<i>`: how many leave the i-th requested feature NULL. */
export function intervalCountsSql(join: ViewJoin): string {
  const nulls = join.request.features.map((f, i) => `count(*) - count(${ident(f.column)}) AS n${i}`);
  return `SELECT ${["count(*) AS intervals", ...nulls].join(", ")} FROM ${ident(join.target)}`;
}

/**
 * For how many intervals an entity row is compared with, on average over the intervals (an
 * entity row is compared with every interval of its keys and bucket, and entity rows mostly
 * fall where the source has rows): the sum of the squared interval counts per keys and bucket
 * (`squares`), and of the counts (`total`), over the intervals whose hash is 0 modulo
 * `modulus` (the same on every run; see intervalTable in join-plan.ts for the estimate).
 */
export function intervalLoadSql(join: ViewJoin, modulus: number): string {
  const groups = [...join.request.keys.map((k) => ident(k.column)), BUCKET];
  return `SELECT sum(n * n) AS squares, sum(n) AS total FROM (
  SELECT count(*) AS n FROM ${ident(join.target)} WHERE hash(${[...groups, LO].join(", ")}) % ${modulus} = 0 GROUP BY ${groups.join(", ")}
)`;
}

/**
 * The write's join condition between the intervals of a view (alias `v`) and the entity rows
 * (alias `e`): same keys, T's bucket (`width` wide: the ttl the intervals were built with, 0
 * for none), and T inside the interval.
 */
export function intervalOn(join: ViewJoin, width: bigint, v: string, e: string): string {
  const { entities } = join;
  const t = entityMicros(entities, e);
  const keys = join.request.keys.map((k) => `${v}.${ident(k.column)} = ${entityKey(entities, e, k)}`);
  const bucket = width > 0n ? [`${v}.${BUCKET} = ${t} // ${width}`] : [];
  return [...keys, ...bucket, `${t} BETWEEN ${v}.${LO} AND ${v}.${HI}`].join(" AND ");
}
