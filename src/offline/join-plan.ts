import type { OfflineEngine } from "./engine.js";
import { asofJoinSql } from "./asof-join.js";
import type { Phases } from "./phases.js";
import { sourceSide, storedColumnsSql, ttlMicros, type ViewJoin } from "./point-in-time.js";
import { intervalCountsSql, intervalLoadSql, intervalsSql } from "./interval-join.js";
import { candidatesSql, openRows, OVERFLOW, runWindowPass, sampledCandidatesSql, settlePass } from "./range-join.js";
import { estimateSides, SAMPLE, sampleEntities, sourceGlance, sourceSample } from "./sample.js";
import { sourceRowEstimate } from "./source-rows.js";
import { ident } from "../util/sql.js";
import { ordersAsMicros, utcMicros } from "./utc.js";

/**
 * How one view is joined to the entity rows. Every plan returns exactly the same rows; they
 * differ in cost:
 * - `asof`: sort-merge ASOF join of the entity rows and the pruned source on keys and time,
 *   then the winning rows read again and de-duplicated. Cost grows with the source size (a
 *   sort), whatever the histories.
 * - `range`: hash joins of the entity rows and the source on the keys with a time window as
 *   the join condition, then the newest candidate per entity row, in passes of growing
 *   windows up to the ttl (rows resolved by a narrow window are done). Each pass costs a scan
 *   of the source plus its candidates, so a few passes beat the sort unless every window
 *   holds many rows. A view without a ttl gets a horizon in its place (see sourceHorizon).
 * - `interval`: each source row that can win gets the interval of times at which it wins (one
 *   window over the source), and the intervals are joined to the entity rows while the result
 *   is written, in place of joining the winners back by row number (see intervalsSql). Costs a
 *   sort of the source and saves a join of the entity rows: the plan for a source with far
 *   fewer rows than the entity rows.
 * - `auto` (the default): a view whose source has a quarter of the entity rows or fewer (a
 *   Parquet source or a copy counted, a CSV file estimated from its size, a query source run
 *   until it has more; see sourceRowEstimate and INTERVAL_SOURCE_SHARE) gets the intervals,
 *   unless an entity row would meet many of them (see intervalTable); any other view with a
 *   ttl is first joined in a single range pass over the whole ttl, without an estimate (see
 *   singlePass); if a glance at a large Parquet source finds that pass would find too many
 *   candidates, or the pass finds them, and for a view without a ttl (over its horizon), the
 *   cheaper of `asof` and `range` by a cost model fed by a sample (see choose). A query
 *   source that derives its rows is copied first, and a CSV or query source of a view without
 *   a ttl too.
 *   A forced `range` runs a pass for every other window of the ladder down to 1/1024 (the
 *   ttl divided by powers of 4; see forcedWindows), which is rarely the fastest but exercises
 *   every pass.
 */
export type JoinPlan = "auto" | "asof" | "range" | "interval";

/** What buildViewResult made of a view. */
export interface BuiltView {
  plan: "asof" | "range" | "interval";
  /** The `interval` plan: how many intervals, and how to count the rows that found a value (see IntervalTable). */
  intervals?: IntervalTable;
}

/**
 * Builds one view's result table: `__mlf_row` and the requested features under their output
 * names, one row per entity row that found a value (in no order); or, by the `interval` plan,
 * the view's intervals (see intervalsSql). Returns the plan used.
 *
 * Semantics (SPEC section 3): candidates share the view's join keys and have
 * `T - ttl <= ts <= T` (inclusive; no lower bound when ttl is 0); the greatest `ts` wins, then
 * the greatest created timestamp (NULL created loses), then, so that every run returns the
 * same row, the greatest feature values in request order (NULLs lowest). No candidate gives
 * NULL features. Times are compared in microseconds; a row with an infinite time is never a
 * candidate.
 */
export async function buildViewResult(engine: OfflineEngine, view: ViewJoin, plan: JoinPlan, phases: Phases): Promise<BuiltView> {
  const name = view.request.view.name;
  const copy = (from: ViewJoin) => phases.time(`${name}: copy source`, () => copySource(engine, from));
  const rows = view.entities.rowCount;
  const readCost = view.source.readCost === "query" && (await engine.derives(view.source)) ? "derived" : view.source.readCost;
  let join = readCost === "derived" ? await copy(view) : view;
  if (ttlMicros(view) === 0n && (plan === "auto" || plan === "range")) {
    // The horizon reads the source, as would every plan but a single pass: parsed or run once.
    if (join.source.readCost !== undefined) join = await copy(join);
    const horizon = await sourceHorizon(engine, join);
    if (horizon !== undefined) join = { ...join, horizon };
  }
  const ttl = ttlMicros(join);
  // Only `auto` with a ttl uses the rows: for the intervals, and for the single pass's side to copy.
  const sourceRows = plan === "auto" && ttl > 0n ? await sourceRowEstimate(engine, join, Math.floor(rows / INTERVAL_SOURCE_SHARE)) : undefined;
  let built: BuiltView | undefined;
  if (plan === "interval" || (view.request.keys.length > 0 && sourceRows !== undefined && sourceRows * INTERVAL_SOURCE_SHARE <= rows)) {
    const intervals = await intervalTable(engine, join, phases, plan === "interval");
    if (intervals !== undefined) built = { plan: "interval", intervals };
  }
  // Without a ttl every row before T is a candidate: a single pass would mostly stop (0.7 s on 2M x 20M rows).
  let sampled: number | undefined;
  if (built === undefined && plan === "auto" && ttl > 0n && join.horizon === undefined && rows > 0) {
    const maxCandidates = await singlePassLimit(engine, join);
    // The glance's entity sample, left for the estimate when the single pass would stop.
    sampled = await glanceFindsMany(engine, join, phases, maxCandidates);
    if (sampled === undefined && (await singlePass(engine, join, phases, sourceRows !== undefined && sourceRows < rows, maxCandidates))) built = { plan: "range" };
  }
  if (built === undefined) {
    if (join.source.readCost === "parse") join = await copy(join);
    const chosen: RangePlan | undefined =
      ttl === 0n || plan === "asof" ? undefined : plan === "range" ? { windows: forcedWindows(ttl) } : await phases.time(`${name}: plan`, () => choose(engine, join, sampled));
    // The estimate reads a query source once; copied, it is run once more, whatever the plan does after.
    if (join.source.readCost === "query" && (chosen?.windows.length ?? 2) > 1) join = await copy(join);
    await phases.time(`${name}: join`, () => (chosen === undefined ? engine.run(asofJoinSql(join)) : rangePasses(engine, join, chosen)));
    built = { plan: chosen === undefined ? "asof" : "range" };
  }
  if (join.source.relation === SOURCE_COPY) await engine.run(`DROP TABLE ${SOURCE_COPY}`);
  return built;
}

/**
 * A ttl for a view without one that changes no result: from the source's first time to just
 * past the last entity row's, so that every candidate (a source row at or before T) is inside
 * it. It gives such a view the plans built on windows and buckets (the range passes, the
 * intervals' buckets), where it had only the ASOF plan: 3.28 s instead of 4.13 s on 2M x 20M
 * uniform rows, 4.37 s instead of 9.85 s on 20M x 2M (see the README's performance section).
 * A stored time's first value comes from the Parquet statistics (0.02 s for 20M rows).
 * Undefined without entity times or a finite source time, and past 2^62 µs (146,000 years),
 * where arithmetic on the times could overflow.
 */
async function sourceHorizon(engine: OfflineEngine, join: ViewJoin): Promise<bigint | undefined> {
  const { maxUs } = join.entities;
  if (maxUs === undefined) return undefined;
  const field = join.request.source.timestampField;
  const type = join.source.types.get(field)!;
  const column = `s.${ident(field)}`;
  const first = async (expr: string) => (await engine.rows(`SELECT ${expr} AS first FROM ${join.source.relation} AS s`))[0]!.first as bigint | null;
  // The minimum is infinite (NULL in microseconds) or not read from statistics: the finite times are read.
  const firstUs = (ordersAsMicros(type) ? await first(utcMicros(`min(${column})`, type)) : null) ?? (await first(`min(${utcMicros(column, type)})`));
  if (firstUs === null) return undefined;
  const horizon = maxUs - firstUs + 1n;
  // No source row is at or before any T: any ttl finds the same nothing.
  if (horizon <= 0n) return 1n;
  return horizon <= MAX_HORIZON ? horizon : undefined;
}

/** See sourceHorizon. */
const MAX_HORIZON = 2n ** 62n;

/**
 * The `interval` plan's table, and what counting its matches needs: how many intervals, and
 * `marker`, the output column of a feature that no interval leaves NULL, so that the result
 * rows with a NULL there are exactly those without a value (without one, the matches are
 * counted by a join of their own; see get-historical.ts).
 */
export interface IntervalTable {
  count: number;
  marker?: string;
  /** The width of the time buckets the intervals are hashed on (see intervalOn): the ttl they were built with. */
  width: bigint;
}

/**
 * The intervals cost a sort of the source (0.41 s for 2M rows) and a hash table of them in the
 * write, and save a range pass over the entity rows and the candidates' ranking. Measured on
 * 2M source rows over 865k keys (30-day ttl, 1.5 candidates per matched entity row): with 20M
 * entity rows 3.9 s against 5.4 s for the pass (4.7 s copying the source into the buckets);
 * with 8M, 1.9-2.1 s against 2.1 s; with 2M, 1.0-1.1 s against 0.6 s. With many candidates
 * per entity row the pass costs more: 50 regions with hourly rows and 2M entity rows (4.6 per
 * source row), 0.07 s against 0.6 s.
 */
const INTERVAL_SOURCE_SHARE = 4;

/**
 * An entity row is compared with every interval of its keys and time bucket: past this many on
 * average (see intervalLoadSql), long histories, the `auto` plan drops the intervals for a
 * range pass, which resolves most rows in a narrow window. Short histories give 1-2.
 */
const INTERVAL_LOAD = 4;
/** The load is estimated from about this many intervals (exact below it): 0.04 s instead of 0.29 s for 3.8M. */
const LOAD_SAMPLE = 262_144;

/**
 * Builds the view's intervals (see intervalsSql). Unless `forced`, keeps them only when an
 * entity row meets few (INTERVAL_LOAD); else drops them and returns undefined.
 *
 * The load is estimated from the intervals whose hash falls in one of `m` classes: a group of
 * n intervals keeps X ~ Binomial(n, 1/m) of them, so E[X²] = n²/m² + n(1 - 1/m)/m, and
 * sum(n²)/sum(n) ≈ (sum(X²) - (1 - 1/m)·sum(X)) / (sum(X)·1/m); 1.2275 against 1.2272 exact
 * for 3.8M intervals, a sixteenth of them read.
 */
async function intervalTable(engine: OfflineEngine, join: ViewJoin, phases: Phases, forced: boolean): Promise<IntervalTable | undefined> {
  const name = join.request.view.name;
  const started = performance.now();
  await engine.run(intervalsSql(join));
  const [counts] = await engine.rows(intervalCountsSql(join));
  const count = Number(counts!.intervals);
  if (!forced && count > 0) {
    const m = Math.max(1, Math.floor(count / LOAD_SAMPLE));
    const [sums] = await engine.rows(intervalLoadSql(join, m));
    const [squares, total] = [Number(sums!.squares), Number(sums!.total)];
    if (total > 0 && (squares - (1 - 1 / m) * total) / (total / m) > INTERVAL_LOAD) {
      await engine.run(`DROP TABLE ${ident(join.target)}`);
      phases.add(`${name}: intervals, too many per key`, started);
      return undefined;
    }
  }
  phases.add(`${name}: intervals`, started);
  const marker = join.request.features.find((_, i) => Number(counts![`n${i}`]) === 0)?.column;
  return { count, width: ttlMicros(join), ...(marker !== undefined && { marker }) };
}

/**
 * The range plan's passes, each on the entity rows the narrower ones left open (none: done),
 * copying into two buckets whichever side has fewer rows (see runWindowPass). `sourceRows`, as
 * estimated by the plan, is counted when the plan was forced.
 */
async function rangePasses(engine: OfflineEngine, join: ViewJoin, plan: RangePlan): Promise<void> {
  const source = plan.sourceRows ?? Number((await engine.rows(`SELECT count(*) AS n FROM (${sourceSide(join)})`))[0]!.n);
  let open = join.entities.rowCount;
  for (const [pass, window] of plan.windows.entries()) {
    if (pass === 1) open = await openRows(engine, join);
    // The first pass runs whatever the rows: it creates the view's table.
    if (pass > 0 && open === 0) break;
    const staged = pass > 0 && pass < plan.windows.length - 1;
    await runWindowPass(engine, join, pass, window, { copySource: open > source, keysAlone: plan.keysAlone, staged });
    if (staged) open = await settlePass(engine, join, open);
  }
}

/** The range plan's windows, narrowest first, and what the estimate knows (see choose). */
interface RangePlan {
  windows: bigint[];
  sourceRows?: number;
  /**
   * Join on the keys alone (see runWindowPass): the estimate's single pass on the keys alone.
   * Left out, each pass decides by its window (when the times read span few of them).
   */
  keysAlone?: boolean;
}

/**
 * A single range pass over the whole ttl is the plan the estimate (see choose) picks unless the
 * entity rows find many candidates each (long histories), and the estimate costs 10-20% of that
 * pass: on a Parquet source it reads 16 row groups and joins a sample (0.15-0.35 s for 2M x
 * 20M rows, 0.05-0.08 s for 200k x 2M); a query source runs its SQL at every read, and a CSV
 * source would be copied before it, which costs more than a parse. So the view is first joined
 * in that pass, which reads the source once. Past SINGLE_PASS_CANDIDATES per entity row (plus
 * a floor), or past what fits in memory, the pass stops, having read a part of the source
 * (0.2-3 s on the benchmark's long histories and skewed keys, 2.3 s on 10M x 100M rows), and
 * the view is planned as any other; a large Parquet source is glanced at first, to skip a pass
 * that would stop (see glanceFindsMany). With `copySource` (the source has fewer rows than the
 * entity rows), the source's rows are the side copied into two buckets (see runWindowPass):
 * 1.2 s instead of 1.55 s for 20M entity rows and 2M source rows. The pass stops past
 * `maxCandidates` (see singlePassLimit). Returns whether it did the join.
 */
async function singlePass(engine: OfflineEngine, join: ViewJoin, phases: Phases, copySource: boolean, maxCandidates: number): Promise<boolean> {
  const started = performance.now();
  try {
    await runWindowPass(engine, join, 0, ttlMicros(join), { copySource, maxCandidates });
  } catch (error) {
    if (!(error instanceof Error && error.message.includes(OVERFLOW))) throw error;
    phases.add(`${join.request.view.name}: single pass, stopped`, started);
    return false;
  }
  phases.add(`${join.request.view.name}: join`, started);
  return true;
}

/**
 * The candidates past which a single pass stops: SINGLE_PASS_CANDIDATES per entity row plus a
 * floor, but no more than fit in memory (see SINGLE_PASS_MEMORY).
 */
async function singlePassLimit(engine: OfflineEngine, join: ViewJoin): Promise<number> {
  const columns = 2 + (join.request.source.createdTimestampColumn ? 1 : 0) + join.request.features.length;
  const fit = (await engine.memoryLimit()) / SINGLE_PASS_MEMORY / (CANDIDATE_COLUMN_BYTES * columns);
  return Math.floor(Math.min(SINGLE_PASS_CANDIDATES * join.entities.rowCount + SINGLE_PASS_FLOOR, fit));
}

/**
 * Whether the single pass would stop, by a glance at the source: the estimate's sample of the
 * entity rows (see sampleEntities) joined to 2 row groups of a large Parquet source (see
 * sourceGlance) finds GLANCE_MARGIN times more candidates than `maxCandidates`, scaled to the
 * rows read. The glance costs 0.04-0.11 s on 2M x 20M rows (whole runs, alternating); the
 * pass it skips, 0.2-3 s to stop (long histories, skewed keys). Counting stops at that
 * many. Returns how many entity rows the SAMPLE table holds when the pass would stop, and
 * leaves the table for the estimate; else undefined (the pass decides, as for a source that
 * cannot be glanced at).
 */
async function glanceFindsMany(engine: OfflineEngine, join: ViewJoin, phases: Phases, maxCandidates: number): Promise<number | undefined> {
  const started = performance.now();
  const glance = await sourceGlance(engine, join);
  if (glance === undefined) return undefined;
  const sampled = await sampleEntities(engine, join);
  const limit = Math.ceil((GLANCE_MARGIN * maxCandidates * glance.fraction * sampled) / join.entities.rowCount);
  const many = sampled > 0 && Number((await engine.rows(sampledCandidatesSql(join, glance.relation, limit)))[0]!.n) >= limit;
  if (!many) await engine.run(`DROP TABLE ${SAMPLE}`);
  phases.add(`${join.request.view.name}: glance`, started);
  return many ? sampled : undefined;
}

/** See glanceFindsMany: a glance that counts a few times the limit is no accident of the sample. */
const GLANCE_MARGIN = 2;

/**
 * Candidates per entity row above which a single pass costs more than the other plans, by the
 * cost model below: for a CSV or query source, copying it and the best plan on the copy
 * (ranking a candidate against copying and sorting a source row); for a Parquet source of ten
 * times the entity rows, a pass at a quarter of the ttl, which resolves most rows, then one at
 * the ttl (both cost the same at about 5).
 */
const SINGLE_PASS_CANDIDATES = 4;
/** ...and so many more, which any plan ranks in about a tenth of a second. */
const SINGLE_PASS_FLOOR = 100_000;
/**
 * ...but never more than fit in this part of DuckDB's memory limit, at CANDIDATE_COLUMN_BYTES
 * a column (row number, time, created time, features): the value, and as much again in the
 * window's sort. Past it the candidates spill to disk and ranking them costs several times
 * more: 10M x 100M rows took 24.1 s in one pass (under 4 candidates per entity row), and
 * 19.4 s stopped there and planned by the estimate (a pass at a quarter of the ttl, then one
 * at the ttl).
 */
const SINGLE_PASS_MEMORY = 4;
const CANDIDATE_COLUMN_BYTES = 16;

/** A copy of a CSV or query source's needed rows and columns. */
const SOURCE_COPY = "__mlf_source_rows";

/**
 * Parsing CSV costs more than anything else here, and every plan but a single pass reads the
 * source more than once (the estimate, the passes, the ASOF plan's second read): the rows and
 * columns the view needs are read once into a table, which then stands for the source. A
 * query source runs its SQL at every read, but copying it costs more than a read (1.0 s
 * against 0.3 s for 13M rows): it is copied only when the join would read it twice or more
 * (the ASOF plan, several range passes), not before the estimate.
 */
async function copySource(engine: OfflineEngine, join: ViewJoin): Promise<ViewJoin> {
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${SOURCE_COPY} AS ${storedColumnsSql(join)}`);
  const types = new Map((await engine.describe(SOURCE_COPY)).map((c) => [c.name, c.type]));
  return { ...join, source: { relation: SOURCE_COPY, types } };
}

/**
 * Windows the range plan may use: the ttl divided by powers of 2 down to 1/2^20, the ttl
 * first. Halving rather than quartering lets the estimate pick a first pass at an eighth of
 * the ttl, which it could not: on 2M x 20M uniform rows without a ttl, 2.9-3.3 s against
 * 3.3-3.8 s at a quarter (the join alone, alternating). Histories of thousands of rows inside
 * the ttl need windows far narrower than 1/1024, where the ladder used to stop: 100 keys with
 * 200,000 rows a year each (2M x 20M rows, 30-day ttl, 16,000 candidates per entity row) got
 * the ASOF plan, 7.7 s for the join; passes at 1/8192, 1/2048, 1/128 and 1 of the ttl take
 * 5.0 s. No shape of the matrix changes plan.
 */
const LEVELS = 21;
const ladder = (ttl: bigint) => Array.from({ length: LEVELS }, (_, j) => ttl / 2n ** BigInt(j)).filter((w) => w > 0n);
/** A forced `range` plan's windows, narrowest first: the ttl divided by powers of 4 down to 1/1024 (2^FORCED_LEVELS). */
const FORCED_LEVELS = 10;
const forcedWindows = (ttl: bigint) => ladder(ttl).filter((_, j) => j % 2 === 0 && j <= FORCED_LEVELS).reverse();

/**
 * CPU cost per unit, in nanoseconds (2 threads; only the ratios matter): a source row read by
 * a range pass, an entity row copy hashed by a pass, a candidate ranked, a key match compared
 * by a pass on the keys alone, an entity row in the range plan's result; a source row and an
 * entity row through the ASOF plan (sort, join, second read and result). Fitted to the plans'
 * CPU time on the benchmark shapes, except `candidate` and `keyMatch`, set from the clustered,
 * compound-keys, uniform-short and wide shapes when ranking got cheaper (window over the whole
 * tie order) and passes on the keys alone were added.
 */
const COST = { passSourceRow: 50, passEntityRow: 250, candidate: 300, keyMatch: 20, rangeEntityRow: 250, asofSourceRow: 260, asofEntityRow: 1500 };

/**
 * The cheapest plan for the view: the range passes (see RangePlan), or none for the ASOF plan.
 *
 * A sample of the entity rows is joined to a sample of the source (see sourceSample): each
 * sampled entity row gets its expected candidates inside the ttl, λ (its sampled candidates
 * divided by the source fraction), and its expected source rows with the same keys. Inside a
 * window w the candidates are taken as Poisson with mean λ·w/ttl, so a row stays unresolved
 * after a pass with window w with probability exp(-λ·w/ttl), and the next pass with window w'
 * ranks λ·(w' - w)/ttl candidates for it. The cheapest sequence of windows ending with the ttl
 * is found (see cheapestPasses; each pass also reads the source and hashes the open entity
 * rows, twice for the two buckets), and a single pass on the keys alone is costed too (each
 * entity row hashed once, but compared with every source row of its keys), against the ASOF
 * plan.
 */
async function choose(engine: OfflineEngine, join: ViewJoin, sampledEntities?: number): Promise<RangePlan | undefined> {
  const rows = join.entities.rowCount;
  if (rows === 0) return undefined;
  const ttl = ttlMicros(join);
  const source = await sourceSample(engine, join);
  const { relation, perRow, sourceShare, sampled } = await estimateSides(engine, join, source, Math.max(1, sampledEntities ?? (await sampleEntities(engine, join))));
  const candidates = await engine.rows(candidatesSql(join, relation));
  await engine.run(`DROP TABLE ${SAMPLE}`);
  const lambdas = candidates.map((r) => Number(r.n) / perRow);
  const sampledSource = Number(candidates.length === 0 ? (await engine.rows(`SELECT count(*) AS n FROM (${relation})`))[0]!.n : candidates[0]!.total);
  const sourceRows = sampledSource / sourceShare;
  // No sampled row found a candidate: one pass at the ttl is the cheapest, whatever the counts.
  if (candidates.length === 0) return { windows: [ttl], sourceRows };
  const matches = candidates[0]!.matches === null ? Infinity : Number(candidates[0]!.matches) / perRow;
  const scale = rows / sampled;
  // Rows without any sampled candidate stay open through every pass and cost their hashing only.
  const empty = sampled - lambdas.length;
  const ranked = lambdas.reduce((sum, l) => sum + l, 0);

  const asof = sourceRows * COST.asofSourceRow + rows * COST.asofEntityRow;
  const keysAlone = rows * COST.rangeEntityRow + sourceRows * COST.passSourceRow + scale * (sampled * COST.passEntityRow + ranked * COST.candidate + matches * COST.keyMatch);
  let best: { cost: number; plan?: RangePlan } = { cost: asof };
  if (join.request.keys.length > 0 && keysAlone < best.cost) best = { cost: keysAlone, plan: { windows: [ttl], sourceRows, keysAlone: true } };
  const passes = cheapestPasses(ladder(ttl).reverse(), Number(ttl), (from, to) => {
    // A pass over (from, to], fractions of the ttl: the rows open after `from` are hashed and rank their new candidates.
    let [hashed, candidates] = [empty, 0];
    for (const l of lambdas) {
      const open = Math.exp(-l * from);
      hashed += open;
      candidates += open * l * (to - from);
    }
    return sourceRows * COST.passSourceRow + scale * (2 * hashed * COST.passEntityRow + candidates * COST.candidate);
  });
  const range = rows * COST.rangeEntityRow + passes.cost;
  if (range < best.cost) best = { cost: range, plan: { windows: passes.windows, sourceRows } };
  return best.plan;
}

/**
 * The cheapest increasing sequence of `windows` (narrowest first) that ends with the last,
 * given the cost of a pass from one window to the next (as fractions of `ttl`; the first pass
 * is from 0): a pass's cost depends only on the window before it, so the best sequence up to
 * each window extends the best one up to some narrower window (L² passes costed, not 2^L
 * sequences).
 */
export function cheapestPasses(windows: bigint[], ttl: number, pass: (from: number, to: number) => number): { cost: number; windows: bigint[] } {
  const at = windows.map((w) => Number(w) / ttl);
  const best: { cost: number; windows: bigint[] }[] = [];
  for (const [j, to] of at.entries()) {
    best.push({ cost: pass(0, to), windows: [windows[j]!] });
    for (let i = 0; i < j; i++) {
      const cost = best[i]!.cost + pass(at[i]!, to);
      if (cost < best[j]!.cost) best[j] = { cost, windows: [...best[i]!.windows, windows[j]!] };
    }
  }
  return best[best.length - 1]!;
}
