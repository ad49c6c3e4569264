import type { OfflineEngine } from "./engine.js";
import { ROW } from "./entity-rows.js";
import { CREATED, entitySide, featureColumn, featureOutputs, sourceSide, tieOrder, ttlMicros, US, type ViewJoin } from "./point-in-time.js";
import { SAMPLE } from "./sample.js";
import { ident } from "../util/sql.js";

const LO = "__mlf_lo";
const BUCKET = "__mlf_bucket";

/** The entity rows still without a candidate after the first pass (see openRows). */
const OPEN = "__mlf_open_rows";
/** The winners of a pass after the first, before they join the view's table (see settlePass). */
const PASSED = "__mlf_passed_rows";

/**
 * After the first pass: keeps the entity rows it left without a candidate in a table (the
 * view's table holds only winners, so a row is open exactly when it is not there), and returns
 * how many there are. A table, because DuckDB must know they are few: with an estimate it
 * built its hash table on the source.
 */
export async function openRows(engine: OfflineEngine, join: ViewJoin): Promise<number> {
  return engine.changedRows(`CREATE OR REPLACE TEMP TABLE ${OPEN} AS SELECT * FROM (${entitySide(join)}) ANTI JOIN ${ident(join.target)} USING (${ROW})`);
}

/**
 * After a `staged` pass over `open` rows (see PassOptions): moves its winners into the view's
 * table, takes their rows out of the open ones and returns how many are left. Reading every
 * entity row against the view's table again, as after the first pass, took 0.19-0.23 s each
 * time on 2M entity rows.
 */
export async function settlePass(engine: OfflineEngine, join: ViewJoin, open: number): Promise<number> {
  await engine.run(`INSERT INTO ${ident(join.target)} SELECT * FROM ${PASSED}`);
  return open - (await engine.changedRows(`DELETE FROM ${OPEN} WHERE ${ROW} IN (SELECT ${ROW} FROM ${PASSED})`));
}

export interface PassOptions {
  copySource?: boolean;
  keysAlone?: boolean;
  maxCandidates?: number;
  /** A pass after the first with more after it: its winners go into a table of their own (see settlePass). */
  staged?: boolean;
}

/**
 * Runs one pass of the `range` plan (see windowPassSql). Its join names the side to hash, the
 * one mlf counted smaller, on the right, and DuckDB's swap of the sides by its own estimates
 * is off for this statement (see OfflineEngine.runAsWritten).
 */
export function runWindowPass(engine: OfflineEngine, join: ViewJoin, pass: number, window: bigint, options: PassOptions = {}): Promise<void> {
  return engine.runAsWritten(windowPassSql(join, pass, window, options));
}

/**
 * One pass of the `range` plan (see JoinPlan): for every entity row not resolved by an earlier
 * pass, the source rows with its keys and `T - window <= ts <= T` are the candidates, and the
 * best of them (greatest time, then the tie order) goes into the view's table (the first pass
 * creates it; a `staged` one fills a table of its own, see settlePass); rows without a
 * candidate are left for the next, wider pass. Because every candidate of a narrower window is
 * newer than any outside it, a row resolved by a narrow window has the same winner as with the
 * full ttl.
 *
 * Besides the keys, the join matches on a time bucket `floor(ts / window)`: a window spans at
 * most two buckets (every bucket is at least the window wide; integer division truncates
 * towards zero, so bucket 0 is wider), so each entity row is paired with the buckets of T and
 * of the one before, and each candidate meets exactly one of the two copies. Symmetrically,
 * each source row can be paired with its own bucket and the next one instead: `copySource`
 * copies the side with fewer rows (an entity file larger than the source hashes half the rows).
 * The side with fewer rows is also the one DuckDB builds its hash table on (see runWindowPass):
 * the entity rows, or with `copySource` the source. Times are epoch microseconds.
 *
 * With `maxCandidates`, the statement stops reading and fails with OVERFLOW once the join has
 * found more candidates than that (see singlePass in join-plan.ts).
 */
function windowPassSql(join: ViewJoin, pass: number, window: bigint, options: PassOptions = {}): string {
  const { copySource = false, keysAlone = spansFewWindows(join, window), maxCandidates, staged = false } = options;
  const keys = join.request.keys.map((k) => ident(k.column));
  const lo = `${US} - ${window} AS ${LO}`;
  // The right side is hashed (see runWindowPass).
  const sides = copySource ? "e JOIN c" : "c JOIN e";
  const table = staged ? PASSED : ident(join.target);
  const into = pass === 0 || staged ? `CREATE OR REPLACE TEMP TABLE ${table} AS` : `INSERT INTO ${table}`;
  const entities = pass === 0 ? `(${entitySide(join)})` : OPEN;
  if (keysAlone) {
    const on = [...keys.map((k) => `c.${k} = e.${k}`), `c.${US} BETWEEN e.${LO} AND e.${US}`].join(" AND ");
    return `${into}
WITH c AS (${sourceSide(join)}), e AS (SELECT ${[ROW, ...keys, US, lo].join(", ")} FROM ${entities})
${winnersSql(join, sides, on, maxCandidates)}`;
  }
  const on = [...keys.map((k) => `c.${k} = e.${k}`), `c.${BUCKET} = e.${BUCKET}`, `c.${US} BETWEEN e.${LO} AND e.${US}`].join(" AND ");
  const [sourceCopies, entityCopies] = copySource ? [`, ${TWO}`, ""] : ["", `, ${TWO}`];
  return `${into}
WITH c AS (
  SELECT *, ${US} // ${window}${copySource ? " + d.x" : ""} AS ${BUCKET} FROM (${sourceSide(join)})${sourceCopies}
), e AS (
  SELECT ${[ROW, ...keys, US, lo, `${US} // ${window}${copySource ? "" : " - d.x"} AS ${BUCKET}`].join(", ")} FROM ${entities}${entityCopies}
)
${winnersSql(join, sides, on, maxCandidates)}`;
}

/**
 * Whether a pass should join on the keys alone, without time buckets, when the plan did not
 * say: when the source rows read (those inside `[min T - ttl, max T]`) span at most three
 * windows, a key's rows outside an entity row's window are few, and comparing them costs less
 * than hashing every entity row twice (measured 10-20% faster on labels of one month with a
 * 30-day ttl, 20-30% slower on labels spread over a year). The estimate's passes decide so
 * too: the last pass of a view without a ttl, over its whole horizon, joins the open rows on
 * their keys (2M x 20M uniform rows: the join 2.3-2.5 s instead of 2.8 s, 3.9 s once;
 * 200k x 20M with long histories: 1.2-1.3 s instead of 1.7-2.1 s).
 */
function spansFewWindows(join: ViewJoin, window: bigint): boolean {
  const { minUs, maxUs } = join.entities;
  // Without keys, the time is all a pass can hash on.
  return join.request.keys.length > 0 && minUs !== undefined && maxUs !== undefined && maxUs - minUs + ttlMicros(join) <= 3n * window;
}

/** The message of a pass stopped by its `maxCandidates`. */
export const OVERFLOW = "mlf: too many candidates for a single pass";

/** Two copies of each row of the relation it is joined to (d.x = 0, 1). */
const TWO = "(VALUES (0), (1)) AS d(x)";

/**
 * The best candidate of each entity row (CTEs `e` and `c` joined as `sides` on `on`). With few
 * features, one window ranks the candidates by the whole tie order. With more, sorting by every
 * feature costs more than the ranking itself (50 features: 1.5x the two steps below), so it is
 * done in two steps: each row's two newest times, found by one grouped aggregate over the
 * times alone (`max(us, 2)`), give its winner's time and tell whether several candidates share
 * it; then the created time and the feature values decide only between those of rows that
 * do. The winners are read from the candidates as they are written out: keeping them in a
 * table of their own first (354,000 rows of 50 features) took the statement 0.1-0.3 s more.
 *
 * `maxCandidates` fails the statement with OVERFLOW once the join finds more: the
 * candidates are then first kept in a table (a CTE read twice), which the two steps need
 * anyway, and the one window ranks them there (5-8% faster than the two steps on a query
 * source with 2 features).
 */
function winnersSql(join: ViewJoin, sides: string, on: string, maxCandidates?: number): string {
  const created = join.request.source.createdTimestampColumn ? [CREATED] : [];
  const features = join.request.features.map((_, i) => featureColumn(i));
  const ranked = features.length <= RANKED_FEATURES;
  // The best candidate of each row of `row`, by the columns of `by`.
  const rank = (row: string, by: string) => `QUALIFY row_number() OVER (PARTITION BY ${row}.${ROW} ORDER BY ${[`${by}.${US} DESC`, ...tieOrder(join, by)].join(", ")}) = 1`;
  if (maxCandidates === undefined && ranked) return `SELECT ${[`e.${ROW}`, ...featureOutputs(join, "c")].join(", ")} FROM ${sides} ON ${on}\n${rank("e", "c")}`;
  const carried = [...created, ...features];
  // Past the limit the candidates are incomplete: the error undoes the statement.
  const limit = maxCandidates === undefined ? "" : ` LIMIT ${maxCandidates + 1}`;
  const guard = maxCandidates === undefined ? "" : `\n  WHERE (SELECT count(*) FROM j) <= ${maxCandidates} OR error('${OVERFLOW}')`;
  const candidates = `, j AS MATERIALIZED (
  SELECT ${[`e.${ROW}`, `c.${US}`, ...carried.map((f) => `c.${f}`)].join(", ")} FROM ${sides} ON ${on}${limit}
)`;
  if (ranked) return `${candidates}\nSELECT ${[`j.${ROW}`, ...featureOutputs(join, "j")].join(", ")} FROM j${guard}\n${rank("j", "j")}`;
  const outputs = [`j.${ROW}`, ...featureOutputs(join, "j")].join(", ");
  const newest = (tied: string) => `j SEMI JOIN (SELECT ${ROW}, ${US} FROM b WHERE ${tied}) AS w ON w.${ROW} = j.${ROW} AND w.${US} = j.${US}`;
  return `${candidates}, b AS MATERIALIZED (
  SELECT ${ROW}, t[1] AS ${US}, len(t) > 1 AND t[2] = t[1] AS tied FROM (SELECT ${ROW}, max(${US}, 2) AS t FROM j GROUP BY ${ROW})${guard}
)
SELECT ${outputs} FROM ${newest("NOT tied")}
UNION ALL
SELECT * FROM (
  SELECT ${outputs} FROM ${newest("tied")}
  QUALIFY row_number() OVER (PARTITION BY j.${ROW} ORDER BY ${tieOrder(join, "j").join(", ")}) = 1
)`;
}

/** Up to this many features, one window ranks the candidates by the whole tie order (see winnersSql). */
const RANKED_FEATURES = 4;

/**
 * What the plan choice needs: for each sampled entity row with at least one, its candidates
 * inside the ttl among the sampled source rows (`relation`, see sourceSample); and in every
 * row, how many sampled source rows can be a candidate at all (`total`) and how many (sampled
 * entity row, sampled source row) pairs share their keys, whatever their times (`matches`).
 */
export function candidatesSql(join: ViewJoin, relation: string): string {
  const keys = join.request.keys.map((k) => ident(k.column));
  // Each source row adds its key's sampled entity rows: joining the rows themselves would list
  // every pair (80M on 100 keys: 0.1-0.2 s more), grouping the source too costs as much on 1M keys.
  const sampledPerKey = `(SELECT ${keys.join(", ")}, count(*) AS n FROM ${SAMPLE} GROUP BY ALL)`;
  const matches = keys.length === 0 ? "NULL" : `(SELECT sum(a.n) FROM ${sampledPerKey} AS a JOIN c USING (${keys.join(", ")}))`;
  // Read once: the counts and the join would each read the sampled blocks again.
  return `WITH c AS MATERIALIZED (${bucketed(join, relation)})
SELECT count(*) AS n, (SELECT count(*) FROM c) AS total, ${matches} AS matches
FROM ${sampleJoin(join, "c")}
GROUP BY e.${ROW}`;
}

/**
 * How many (sampled entity row, candidate) pairs the SAMPLE rows find among `relation`'s rows
 * inside the ttl, counting no further than `limit`: DuckDB stops reading there.
 */
export function sampledCandidatesSql(join: ViewJoin, relation: string, limit: number): string {
  return `SELECT count(*) AS n FROM (SELECT 1 FROM ${sampleJoin(join, `(${bucketed(join, relation)}) AS c`)} LIMIT ${limit})`;
}

/** The keys, time and ttl-wide bucket of `relation`'s rows. */
function bucketed(join: ViewJoin, relation: string): string {
  const keys = join.request.keys.map((k) => ident(k.column));
  return `SELECT ${[...keys, US, `${US} // ${ttlMicros(join)} AS ${BUCKET}`].join(", ")} FROM (${relation})`;
}

/**
 * The SAMPLE rows (`e`), each paired with the bucket of T and the one before, joined to `c`
 * (bucketed source rows) on the keys, the bucket and `T - ttl <= ts <= T`.
 */
function sampleJoin(join: ViewJoin, c: string): string {
  const ttl = ttlMicros(join);
  const on = [...join.request.keys.map((k) => `c.${ident(k.column)} = e.${ident(k.column)}`), `c.${BUCKET} = e.${BUCKET}`, `c.${US} BETWEEN e.${US} - ${ttl} AND e.${US}`].join(" AND ");
  return `(SELECT *, ${US} // ${ttl} - d.x AS ${BUCKET} FROM ${SAMPLE}, ${TWO}) AS e JOIN ${c} ON ${on}`;
}
