import { ROW } from "./entity-rows.js";
import { MATCHED, sourceParts, type ViewJoin } from "./point-in-time.js";
import { ident } from "../util/sql.js";

const US = "__mlf_us";
const LO = "__mlf_lo";
const BUCKET = "__mlf_bucket";

/**
 * The pieces of the `range` plan (see JoinPlan). Times are compared as epoch microseconds:
 * `T - ttl` on TIMESTAMPTZ goes through ICU's calendar even in UTC, which cost more than the
 * join itself when evaluated per candidate pair.
 *
 * Besides the keys, the join matches on a time bucket `floor(ts / ttl)`: a window
 * `[T - ttl, T]` spans at most two buckets (every bucket is at least ttl wide; integer
 * division truncates towards zero, so bucket 0 is wider), so each entity row is paired with the
 * buckets of T and of the one before, and each candidate meets exactly one of the two copies.
 * Without it every entity row is paired with its key's whole history before the ttl test.
 */
function rangeParts(join: ViewJoin, sampleModulus?: number) {
  const { request, entities, timestampColumn } = join;
  const ttlUs = `${Math.round(request.view.ttlSeconds * 1e6)}::BIGINT`;
  const parts = sourceParts(join);
  const keyColumns = request.keys.map((k) => ident(k.column));
  const entityTime = `epoch_us(${ident(timestampColumn)})`;
  // Keyed views sample keys on both sides; a view without keys samples entity rows only.
  const sampled = (keys: string[]) => (sampleModulus === undefined || keys.length === 0 ? [] : [`hash(${keys.join(", ")}) % ${sampleModulus} = 0`]);
  const src = `SELECT ${[...parts.keyExprs, `epoch_us(${parts.timestamp}) AS ${US}`, `epoch_us(${parts.timestamp}) // ${ttlUs} AS ${BUCKET}`, ...parts.created, ...parts.featureExprs].join(", ")}
  FROM ${parts.from}
  WHERE ${[parts.where, ...sampled(parts.keyCasts)].join(" AND ")}`;
  const entityWhere = keyColumns.length > 0 ? sampled(keyColumns) : sampleModulus === undefined ? [] : [`${ident(ROW)} % ${sampleModulus} = 0`];
  const ent = `SELECT ${[ident(ROW), ...keyColumns, `${entityTime} AS ${US}`, `${entityTime} - ${ttlUs} AS ${LO}`, `${entityTime} // ${ttlUs} - d.x AS ${BUCKET}`].join(", ")}
  FROM ${entities.table}, (VALUES (0), (1)) AS d(x)${entityWhere.length > 0 ? ` WHERE ${entityWhere.join(" AND ")}` : ""}`;
  const on = [...keyColumns.map((k) => `c.${k} = e.${k}`), `c.${BUCKET} = e.${BUCKET}`, `c.${US} BETWEEN e.${LO} AND e.${US}`].join(" AND ");
  return { parts, src, ent, on };
}

/**
 * The `range` plan: every source row inside an entity row's window is a candidate; the best
 * candidate per entity row (greatest timestamp, then the tie order) wins; entity rows without
 * candidates get NULLs. The result is sorted by row number so views combine by position.
 */
export function rangeJoinSql(join: ViewJoin): string {
  const { parts, src, ent, on } = rangeParts(join);
  const row = ident(ROW);
  return `CREATE OR REPLACE TEMP TABLE ${ident(join.target)} AS
WITH c AS (
  ${src}
), e AS (
  ${ent}
), w AS (
  SELECT e.${row}, c.* FROM e JOIN c ON ${on}
  QUALIFY row_number() OVER (PARTITION BY e.${row} ORDER BY ${[`c.${US} DESC`, ...parts.tieOrder.map((o) => `c.${o}`)].join(", ")}) = 1
)
SELECT e.${row}, ${[...parts.outputs("w"), `w.${row} IS NOT NULL AS ${MATCHED}`].join(", ")}
FROM ${join.entities.table} AS e LEFT JOIN w ON w.${row} = e.${row}
ORDER BY e.${row}`;
}

/**
 * What the plan choice needs: range-join candidates per source row inside
 * `[min(T) - ttl, max(T)]`, estimated from the keys whose hash is divisible by `modulus`
 * (all entity rows and source rows of those keys, so the ratio of the two counts estimates
 * the whole). Sampling keys rather than rows keeps the scan cheap: a hash and a modulus per
 * source row instead of a hash-join probe. A view without keys samples every modulus-th
 * entity row against the whole source and scales the candidates up.
 */
export function rangeJoinEstimateSql(join: ViewJoin, modulus: number): string {
  const { src, ent, on } = rangeParts(join, modulus);
  const rows = join.entities.rowCount;
  const scale = join.request.keys.length > 0 ? 1 : rows / Math.ceil(rows / modulus);
  return `WITH c AS MATERIALIZED (${src})
SELECT (SELECT count(*) FROM (${ent}) AS e JOIN c ON ${on}) * ${scale} / greatest((SELECT count(*) FROM c), 1) AS ratio`;
}
