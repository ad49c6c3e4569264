import type { OfflineEngine } from "./engine.js";
import { ROW } from "./entity-rows.js";
import { entitySide, sourceSide, type ViewJoin } from "./point-in-time.js";
import { keyTypes } from "./sql.js";
import { ident, literal } from "../util/sql.js";

/**
 * What the plan's estimate reads (see choose in join-plan.ts): a sample of the entity rows and
 * a sample of the source. DuckDB reads a Parquet file by row groups, whole or not at all, and
 * skips those outside a filter on `file_row_number`; so a large Parquet file is sampled by
 * whole row groups, spread evenly over the file, and never by a block that straddles two of
 * them (which costs two row groups for the rows of one).
 */

/** How many entity rows the estimate samples. */
export const SAMPLE_ROWS = 4096;
/** The sampled entity rows: a table, so that DuckDB builds its hash table on them (see OPEN in range-join.ts). */
export const SAMPLE = "__mlf_sample_rows";
/** A sample spreads over at least this many blocks of rows... */
const BLOCKS = 16;
/** ...and reads at most this part of the file; past it, whole row groups would cost about a full scan. */
const MAX_READ = 1 / 4;
/** A Parquet source's sample covers a sixteenth of it, but at least this many rows. */
const MIN_SOURCE_SAMPLE = 262_144;

/** Row ranges of a Parquet file, `[first, last]` in `file_row_number`s. */
type Ranges = [number, number][];

const rowsIn = (ranges: Ranges) => ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0);

/**
 * The file's row groups as row ranges, in file order (its footer: no rows are read), and the
 * `[min, max]` of `column` in each as its statistics state them (text; undefined where a group
 * has none, or without `column`).
 */
async function rowGroups(engine: OfflineEngine, file: string, column?: string): Promise<{ ranges: Ranges; bounds: ([string, string] | undefined)[] }> {
  const stat = (name: string) => (column === undefined ? "NULL" : `any_value(${name}) FILTER (WHERE path_in_schema = ${literal(column)})`);
  const groups = await engine.rows(
    `SELECT row_group_id, any_value(row_group_num_rows) AS n, ${stat("stats_min_value")} AS lo, ${stat("stats_max_value")} AS hi FROM parquet_metadata(${file}) GROUP BY row_group_id ORDER BY row_group_id`,
  );
  let first = 0;
  const ranges = groups.map((g): [number, number] => {
    const range: [number, number] = [first, first + Number(g.n) - 1];
    first = range[1] + 1;
    return range;
  });
  return { ranges, bounds: groups.map((g) => (typeof g.lo === "string" && typeof g.hi === "string" ? [g.lo, g.hi] : undefined)) };
}

/**
 * The indexes of at least BLOCKS of the file's row groups, evenly spaced, together holding
 * about `target` rows; none when they would make more than MAX_READ of the file (a file of
 * few, large row groups).
 */
function wholeGroups(groups: Ranges, target: number): number[] | undefined {
  const rows = rowsIn(groups);
  const count = Math.max(BLOCKS, Math.ceil((target * groups.length) / Math.max(1, rows)));
  if (count > groups.length * MAX_READ) return undefined;
  return spread(count, groups.length);
}

/** `count` indexes evenly spaced among `length`, each in the middle of its share. */
const spread = (count: number, length: number) => Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * length) / count));

/**
 * Creates the SAMPLE table: about SAMPLE_ROWS entity rows, those whose row number hashes to 0
 * modulo a number (the same on every run), from whole row groups of a large Parquet file, else
 * from every row. Returns how many rows it holds.
 */
export async function sampleEntities(engine: OfflineEngine, join: ViewJoin): Promise<number> {
  const { entities } = join;
  const all = entities.file === undefined ? undefined : (await rowGroups(engine, entities.file)).ranges;
  const groups = all === undefined ? undefined : wholeGroups(all, BLOCKS * SAMPLE_ROWS)?.map((g) => all[g]!);
  const read = groups === undefined ? `(${entitySide(join)})` : `(${groups.map(([first, last]) => entitySide(join, `e.${entities.row} BETWEEN ${first} AND ${last}`)).join(" UNION ALL ")})`;
  const modulus = Math.max(1, Math.floor((groups === undefined ? entities.rowCount : rowsIn(groups)) / SAMPLE_ROWS));
  return engine.changedRows(`CREATE OR REPLACE TEMP TABLE ${SAMPLE} AS SELECT * FROM ${read} WHERE hash(${ROW}) % ${modulus} = 0`);
}

/** A sample of the source: the rows to read, and which fraction of the source they are. */
export interface SourceSample {
  relation: string;
  fraction: number;
  /** Whole row groups of a single-key view: each group's key range, and the same rows thinned (see keepClusteredSample). */
  clustering?: { keyRanges: [string, string][]; thinned: string; thinning: number };
}

/**
 * The source rows the estimate reads. A single Parquet file of more than MIN_SOURCE_SAMPLE
 * rows is read in whole row groups spread evenly (see wholeGroups), else in BLOCKS evenly
 * spaced blocks of rows; DuckDB reads either without the rest of the file (about 0.1 CPU
 * second for 20M rows instead of 0.5 for a full scan). Any other source is read whole.
 */
export async function sourceSample(engine: OfflineEngine, join: ViewJoin): Promise<SourceSample> {
  const numbered = join.source.numbered;
  const { keys, source } = join.request;
  // The key column as stored, before the source's field_mapping renames it.
  const stored = keys.length === 1 ? (Object.entries(source.fieldMapping).find(([, to]) => to === keys[0]!.column)?.[0] ?? keys[0]!.column) : undefined;
  const { ranges: groups, bounds } = numbered === undefined ? { ranges: [], bounds: [] } : await rowGroups(engine, numbered.file, stored);
  const rows = rowsIn(groups);
  if (numbered === undefined || rows <= MIN_SOURCE_SAMPLE) return { relation: sourceSide(join), fraction: 1 };
  const target = Math.max(rows / 16, MIN_SOURCE_SAMPLE);
  const step = Math.floor(rows / BLOCKS);
  const block = Math.ceil(target / BLOCKS);
  const picked = wholeGroups(groups, target);
  const whole = picked?.map((g) => groups[g]!);
  const sample = numberedSample(join, whole ?? Array.from({ length: BLOCKS }, (_, i): [number, number] => [i * step, i * step + block - 1]), rows);
  const keyRanges = picked?.map((g) => bounds[g]);
  if (whole === undefined || keyRanges === undefined || !keyRanges.every((r): r is [string, string] => r !== undefined)) return sample;
  const thinning = Math.max(1, Math.round(1 / sample.fraction));
  const thinned = numberedSample(join, whole, rows, `hash(s.file_row_number) % ${thinning} = 0`).relation;
  return { ...sample, clustering: { keyRanges, thinned, thinning } };
}

/**
 * When the source is clustered by key (sorted, or written one key range at a time), a sampled
 * row group holds every row of its keys, and the sampled entity rows of other keys find none:
 * the cost model, fitted to counts from a sample of rows, sees a tenth of the rows with ten
 * times their candidates and the rest with none (key-sorted-no-ttl: a first pass at 1/16 of
 * the horizon, joined in 3.71-3.76 s, where 1/8 takes 3.50-3.59 s). So when fewer than half the
 * sampled entity rows have their key inside the sampled groups' key ranges (on data not
 * clustered by key, every group spans most keys: all of them), the others leave the SAMPLE
 * table, and the sampled groups are to be read thinned to the sample's fraction of their rows
 * (see SourceSample.clustering): the counts of the rows left then vary as a sample of rows
 * would. Counts taken whole moved the model's choice to a quarter of the horizon (4.29-4.94
 * s). Returns how many rows are left, or undefined and the table as it was.
 */
export async function keepClusteredSample(engine: OfflineEngine, join: ViewJoin, keyRanges: [string, string][], sampled: number): Promise<number | undefined> {
  const key = join.request.keys[0]!;
  const type = keyTypes[key.valueType];
  const inside = keyRanges.map(([lo, hi]) => `${ident(key.column)} BETWEEN TRY_CAST(${literal(lo)} AS ${type}) AND TRY_CAST(${literal(hi)} AS ${type})`).join(" OR ");
  const count = Number((await engine.rows(`SELECT count(*) FILTER (WHERE ${inside}) AS n FROM ${SAMPLE}`))[0]!.n);
  if (count === 0 || count * 2 > sampled) return undefined;
  await engine.run(`DELETE FROM ${SAMPLE} WHERE NOT coalesce(${inside}, false)`);
  return count;
}

/**
 * What the estimate joins the SAMPLE rows to (`relation`), the share of a sampled entity row's
 * source rows it holds (`perRow`), the share of all source rows (`sourceShare`), and how many
 * SAMPLE rows are left: the source sample as taken, or, clustered by key, thinned (see
 * keepClusteredSample).
 */
export async function estimateSides(engine: OfflineEngine, join: ViewJoin, source: SourceSample, sampled: number): Promise<{ relation: string; perRow: number; sourceShare: number; sampled: number }> {
  const { relation, fraction, clustering } = source;
  const kept = clustering === undefined ? undefined : await keepClusteredSample(engine, join, clustering.keyRanges, sampled);
  if (clustering === undefined || kept === undefined) return { relation, perRow: fraction, sourceShare: fraction, sampled };
  return { relation: clustering.thinned, perRow: 1 / clustering.thinning, sourceShare: fraction / clustering.thinning, sampled: kept };
}

/**
 * A glance at the source, for a decision cheaper than the estimate (see glanceFindsMany in
 * join-plan.ts): GLANCE_BLOCKS blocks of a Parquet file's rows, evenly spaced, each the size of
 * an average row group; none for a file of fewer than 16 times as many row groups, whose single
 * pass costs little, or for any other source, which only a full read would sample. The blocks
 * are found from the file's row and row group counts alone (2 ms, against 12-20 ms for the size
 * of each of 163 row groups; see rowGroups), so a block may straddle two row groups, which
 * DuckDB then both reads.
 */
export async function sourceGlance(engine: OfflineEngine, join: ViewJoin): Promise<SourceSample | undefined> {
  const numbered = join.source.numbered;
  if (numbered === undefined) return undefined;
  const [meta] = await engine.rows(`SELECT num_rows AS "rows", num_row_groups AS groups FROM parquet_file_metadata(${numbered.file})`);
  const [rows, groups] = [Number(meta!.rows), Number(meta!.groups)];
  if (GLANCE_BLOCKS > groups * GLANCE_MAX_READ) return undefined;
  const start = (group: number) => Math.floor((group * rows) / groups);
  const ranges = spread(GLANCE_BLOCKS, groups).map((group): [number, number] => [start(group), start(group + 1) - 1]);
  return numberedSample(join, ranges, rows);
}

/** How many blocks a glance reads... */
const GLANCE_BLOCKS = 2;
/** ...and at most this part of the file's row groups: on fewer, the single pass costs little. */
const GLANCE_MAX_READ = 1 / 16;

/** The source side of the rows in `ranges` of a numbered Parquet source of `rows` rows, and of those `also` keeps. */
function numberedSample(join: ViewJoin, ranges: Ranges, rows: number, also?: string): SourceSample {
  const { relation } = join.source.numbered!;
  const blocks = ranges.map(([first, last]) => sourceSide(join, { relation, where: [`s.file_row_number BETWEEN ${first} AND ${last}`, ...(also ? [also] : [])] }));
  return { relation: blocks.join(" UNION ALL "), fraction: rowsIn(ranges) / rows };
}
