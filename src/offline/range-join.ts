import { ROW } from "./entity-rows.js";
import { createdOrder, entitySide, featureColumn, featureOutputs, sourceSide, ttlMicros, US, valueOrder, type ViewJoin } from "./point-in-time.js";
import { ident } from "../util/sql.js";

const LO = "__mlf_lo";
const BUCKET = "__mlf_bucket";

/** The entity rows still without a candidate after the first pass (see openRowsSql). */
const OPEN = "__mlf_open_rows";

/**
 * Keeps the entity rows the passes so far left without a candidate in a table: the view's
 * table holds only winners, so a row is open exactly when it is not there. A table, because
 * DuckDB must know they are few: with an estimate it built its hash table on the source.
 */
export function openRowsSql(join: ViewJoin): string {
  return `CREATE OR REPLACE TEMP TABLE ${OPEN} AS SELECT * FROM (${entitySide(join)}) ANTI JOIN ${ident(join.target)} USING (${ROW})`;
}

/**
 * One pass of the `range` plan (see JoinPlan): for every entity row not resolved by an earlier
 * pass, the source rows with its keys and `T - window <= ts <= T` are the candidates, and the
 * best of them (greatest time, then the tie order) goes into the view's table (the first pass
 * creates it); rows without a candidate are left for the next, wider pass. Because every
 * candidate of a narrower window is newer than any outside it, a row resolved by a narrow
 * window has the same winner as with the full ttl.
 *
 * Besides the keys, the join matches on a time bucket `floor(ts / window)`: a window spans at
 * most two buckets (every bucket is at least the window wide; integer division truncates
 * towards zero, so bucket 0 is wider), so each entity row is paired with the buckets of T and
 * of the one before, and each candidate meets exactly one of the two copies. Symmetrically,
 * each source row can be paired with its own bucket and the next one instead: `copySource`
 * copies the side with fewer rows (an entity file larger than the source hashes half the rows).
 * Times are epoch microseconds.
 */
export function windowPassSql(join: ViewJoin, pass: number, window: bigint, copySource = false): string {
  const keys = join.request.keys.map((k) => ident(k.column));
  const on = [...keys.map((k) => `c.${k} = e.${k}`), `c.${BUCKET} = e.${BUCKET}`, `c.${US} BETWEEN e.${LO} AND e.${US}`].join(" AND ");
  const [sourceCopies, entityCopies] = copySource ? [`, ${TWO}`, ""] : ["", `, ${TWO}`];
  return `${pass === 0 ? `CREATE OR REPLACE TEMP TABLE ${ident(join.target)} AS` : `INSERT INTO ${ident(join.target)}`}
WITH c AS (
  SELECT *, ${US} // ${window}${copySource ? " + d.x" : ""} AS ${BUCKET} FROM (${sourceSide(join)})${sourceCopies}
), e AS (
  SELECT ${[ROW, ...keys, US, `${US} - ${window} AS ${LO}`, `${US} // ${window}${copySource ? "" : " - d.x"} AS ${BUCKET}`].join(", ")} FROM ${pass === 0 ? `(${entitySide(join)})` : OPEN}${entityCopies}
)
${winnersSql(join, on)}`;
}

/** Two copies of each row of the relation it is joined to (d.x = 0, 1). */
const TWO = "(VALUES (0), (1)) AS d(x)";

/**
 * The best candidate of each entity row (CTEs `e` and `c` joined on `on`) in two steps: the
 * candidates at the newest time and created time, usually one per row, then the feature values
 * decide only between those of rows that still have several. Ranking every candidate by the
 * whole tie order made DuckDB build sort keys of every feature: 15% more CPU with 50 features.
 */
function winnersSql(join: ViewJoin, on: string): string {
  const features = join.request.features.map((_, i) => featureColumn(i));
  const outputs = [`m.${ROW}`, ...featureOutputs(join, "m")].join(", ");
  return `, m AS MATERIALIZED (
  SELECT ${[`e.${ROW}`, ...features.map((f) => `c.${f}`)].join(", ")} FROM e JOIN c ON ${on}
  QUALIFY rank() OVER (PARTITION BY e.${ROW} ORDER BY ${[`c.${US} DESC`, ...createdOrder(join, "c")].join(", ")}) = 1
), tied AS MATERIALIZED (
  SELECT ${ROW} FROM m GROUP BY ${ROW} HAVING count(*) > 1
)
SELECT ${outputs} FROM m ANTI JOIN tied USING (${ROW})
UNION ALL
SELECT * FROM (
  SELECT ${outputs} FROM m SEMI JOIN tied USING (${ROW})
  QUALIFY row_number() OVER (PARTITION BY m.${ROW} ORDER BY ${valueOrder(join, "m").join(", ")}) = 1
)`;
}

/** How many entity rows the estimate samples. */
export const SAMPLE_ROWS = 4096;
/** The sampled entity rows: a table, so that DuckDB builds its hash table on them (see OPEN). */
export const SAMPLE = "__mlf_sample_rows";
/** A Parquet source is sampled in this many evenly spaced blocks of rows... */
const BLOCKS = 16;
/** ...covering a sixteenth of it, but at least this many rows. */
const MIN_SOURCE_SAMPLE = 262_144;

/** The sampled entity rows: those whose row number hashes to 0 modulo `modulus` (the same on every run). */
export function sampleSql(join: ViewJoin, modulus: number): string {
  return `CREATE OR REPLACE TEMP TABLE ${SAMPLE} AS SELECT * FROM (${entitySide(join)}) WHERE hash(${ROW}) % ${modulus} = 0`;
}

/**
 * The source rows the estimate reads, and which fraction of the source they are. A single
 * Parquet file with `rows` rows is read in BLOCKS evenly spaced blocks of its row numbers,
 * which DuckDB reads without the rest of the file (about 0.1 CPU second for 20M rows instead
 * of 0.5 for a full scan); any other source is read whole.
 */
export function sourceSample(join: ViewJoin, rows: number | undefined): { relation: string; fraction: number } {
  const numbered = join.source.numbered;
  if (numbered === undefined || rows === undefined || rows <= MIN_SOURCE_SAMPLE) return { relation: sourceSide(join), fraction: 1 };
  const block = Math.ceil(Math.max(rows / 16, MIN_SOURCE_SAMPLE) / BLOCKS);
  const step = Math.floor(rows / BLOCKS);
  const blocks = Array.from({ length: BLOCKS }, (_, i) => sourceSide(join, { relation: numbered, where: [`s.file_row_number BETWEEN ${i * step} AND ${i * step + block - 1}`] }));
  return { relation: blocks.join(" UNION ALL "), fraction: (block * BLOCKS) / rows };
}

/**
 * What the plan choice needs: for each sampled entity row with at least one, its candidates
 * inside the ttl among the sampled source rows (`relation`, see sourceSample), and in every
 * row how many sampled source rows can be a candidate at all (`total`).
 */
export function candidatesSql(join: ViewJoin, relation: string): string {
  const keys = join.request.keys.map((k) => ident(k.column));
  const ttl = ttlMicros(join);
  const on = [...keys.map((k) => `c.${k} = e.${k}`), `c.${BUCKET} = e.${BUCKET}`, `c.${US} BETWEEN e.${US} - ${ttl} AND e.${US}`].join(" AND ");
  // Read once: the count and the join would each read the sampled blocks again.
  return `WITH c AS MATERIALIZED (SELECT ${[...keys, US, `${US} // ${ttl} AS ${BUCKET}`].join(", ")} FROM (${relation}))
SELECT count(*) AS n, (SELECT count(*) FROM c) AS total
FROM (SELECT *, ${US} // ${ttl} - d.x AS ${BUCKET} FROM ${SAMPLE}, ${TWO}) AS e
JOIN c ON ${on}
GROUP BY e.${ROW}`;
}
