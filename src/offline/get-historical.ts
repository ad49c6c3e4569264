import { resolve } from "node:path";
import { MlfError } from "../errors.js";
import { appliedRegistry, type Repo } from "../repo/repo.js";
import { resolveSelection, type FeatureSelection, type JoinKey, type ViewRequest } from "../repo/resolve.js";
import { openEngineWithSources, type OfflineEngine } from "./engine.js";
import { entityOutputColumns, loadEntityRows, ROW, type EntityInput, type EntityTable } from "./entity-rows.js";
import { copyToFile, outputExtension } from "./output.js";
import { buildViewResult, type BuiltView, type JoinPlan } from "./join-plan.js";
import { intervalOn } from "./interval-join.js";
import type { ViewJoin } from "./point-in-time.js";
import { Phases, type Phase } from "./phases.js";
import { ident } from "../util/sql.js";

export interface HistoricalFeaturesOptions extends FeatureSelection {
  /**
   * Entity rows: a `.csv` or `.parquet` path (relative to `cwd`, else to the repository root),
   * or records in memory (numbers, bigints, strings, booleans, Dates; one type per column).
   * Exclusive with `entitySql`.
   */
  entities?: string | Record<string, unknown>[];
  /** DuckDB SQL returning the entity rows; it may read the repository's sources by name. */
  entitySql?: string;
  /** The entity rows' event-time column (default `event_timestamp`); naive values are UTC. */
  timestampColumn?: string;
  /**
   * Write the result to this file (`.parquet`, `.csv`, `.json` array, `.ndjson`), streamed by
   * DuckDB, and return only the summary. Without it the rows are returned in `rows`.
   */
  output?: string;
  /** Folder relative paths are resolved against (default: the process's working directory). */
  cwd?: string;
  /** How views are joined (default `auto`); results are identical, only speed differs (see JoinPlan). */
  joinPlan?: JoinPlan;
}

/** How many entity rows found a value of one view inside its ttl. */
export interface ViewMatch {
  view: string;
  matched: number;
  /** matched / rows, 0 when there are no rows. */
  matchRate: number;
  /** The join plan used for this view. */
  plan: "asof" | "range" | "interval";
}

export interface HistoricalFeaturesResult {
  /** Entity rows in, rows out: always equal (every entity row is kept, duplicates too). */
  rowCount: number;
  /** Output columns: the entity rows' columns in input order, then the features as requested. */
  columns: string[];
  views: ViewMatch[];
  seconds: number;
  /** The absolute file written, when `output` was given. */
  output?: string;
  /** Where the time went, phase by phase (see Phase). */
  phases: Phase[];
  /**
   * The rows in input order, when no `output` was given: timestamps as Date (UTC), BIGINT as
   * bigint, missing values as null.
   */
  rows?: Record<string, unknown>[];
}

export const DEFAULT_TIMESTAMP_COLUMN = "event_timestamp";

/**
 * A point-in-time correct training set (SPEC section 3): for every entity row, each requested
 * view's newest value at or before the row's timestamp and no older than the view's ttl,
 * from the applied registry. Views are joined one after another (several joins in one query
 * cost DuckDB many times the memory), each into its own table of winners, and the result is
 * assembled by row number.
 */
export async function getHistoricalFeatures(repo: Repo, options: HistoricalFeaturesOptions): Promise<HistoricalFeaturesResult> {
  const started = performance.now();
  const timestampColumn = options.timestampColumn ?? DEFAULT_TIMESTAMP_COLUMN;
  const input = entityInput(options);
  const output = options.output === undefined ? undefined : resolve(options.cwd ?? process.cwd(), options.output);
  if (output !== undefined) outputExtension(output);
  const registry = appliedRegistry(repo);
  const resolution = resolveSelection(registry.definitions, options);
  const requests = resolution.views;
  const keys = [...resolution.joinKeys.values()];

  const phases = new Phases();
  const engine = await openEngineWithSources(repo.root, repo.config.offlineStore, registry.definitions);
  try {
    // A small or badly estimated left side would otherwise get the nested-loop ASOF plan,
    // measured 60x slower; the sort-merge plan is never much worse.
    await engine.run("SET asof_loop_join_threshold = 0");
    // A retrieval reads each Parquet file in many statements (checks, glance, estimate,
    // passes, write), and each one parsed its footer again: the estimate's sample of 16 row
    // groups of a 20M-row source took 0.24-0.27 s instead of 0.35-0.42 s. The cache lives as
    // long as the engine, a retrieval's, which reads its files and writes only its output (a
    // temporary file it never reads); a file rewritten between two retrievals is read anew.
    await engine.run("SET parquet_metadata_cache = true");
    const entities = await phases.time("entity rows", () => loadEntityRows(engine, input, timestampColumn, keys, options.cwd ?? process.cwd(), repo.root));
    checkCollisions(entities, requests);
    const built: BuiltJoin[] = [];
    for (const [i, request] of requests.entries()) {
      const join = { request, entities, source: engine.stored(request.source.name), target: `__mlf_view_${i}` };
      built.push({ join, ...(await buildViewResult(engine, join, options.joinPlan ?? "auto", phases)) });
    }
    const select = resultSelect(entities, keys, built);
    const columns = [...entities.columns, ...resolution.columns];
    if (output !== undefined) {
      const nulls = await phases.time("write", () => copyToFile(engine, select, output));
      const views = await viewMatches(engine, built, (column) => nulls?.get(column));
      return { rowCount: entities.rowCount, columns, views, phases: phases.list, output, seconds: (performance.now() - started) / 1000 };
    }
    const rows = await phases.time("write", () => engine.rows(select));
    const views = await viewMatches(engine, built, (column) => rows.reduce((n, row) => n + (row[column] === null ? 1 : 0), 0));
    return { rowCount: entities.rowCount, columns, views, phases: phases.list, rows, seconds: (performance.now() - started) / 1000 };
  } finally {
    engine.close();
  }
}

/** A view's join and what was built for it. */
type BuiltJoin = BuiltView & { join: ViewJoin };

function entityInput(options: HistoricalFeaturesOptions): EntityInput {
  if (options.entities !== undefined && options.entitySql !== undefined) {
    throw new MlfError("usage", "Give either entity rows (a file or records) or entity SQL, not both.");
  }
  if (options.entitySql !== undefined) return { kind: "sql", sql: options.entitySql };
  if (typeof options.entities === "string") return { kind: "file", path: options.entities };
  if (Array.isArray(options.entities)) return { kind: "records", records: options.entities };
  throw new MlfError("usage", "No entity rows given; pass --entities FILE (entities) or --entity-sql SQL (entitySql).");
}

/** A feature whose output name equals an entity column would silently shadow it. */
function checkCollisions(entities: EntityTable, requests: ViewRequest[]): void {
  for (const request of requests) {
    for (const feature of request.features) {
      if (entities.columns.includes(feature.column)) {
        throw new MlfError(
          "invalid_argument",
          `Feature "${request.view.name}:${feature.name}" would be written to column "${feature.column}", which the entity rows already have; rename that column or use --full-feature-names.`,
        );
      }
    }
  }
}

/**
 * How many entity rows found a value of each view. A table of winners holds exactly those; the
 * intervals of the `interval` plan are joined while the result is written, so its matches are
 * the result rows with a value in the marker column (`nullsIn` counts that column's NULLs, from
 * the Parquet file's statistics or the rows returned), else are counted by a join of their own.
 */
async function viewMatches(engine: OfflineEngine, built: BuiltJoin[], nullsIn: (column: string) => number | undefined): Promise<ViewMatch[]> {
  const views: ViewMatch[] = [];
  for (const view of built) {
    const rows = view.join.entities.rowCount;
    const matched = await matchedRows(engine, view, nullsIn);
    views.push({ view: view.join.request.view.name, matched, matchRate: rows === 0 ? 0 : matched / rows, plan: view.plan });
  }
  return views;
}

async function matchedRows(engine: OfflineEngine, { join, intervals }: BuiltJoin, nullsIn: (column: string) => number | undefined): Promise<number> {
  const count = async (sql: string) => Number((await engine.rows(sql))[0]!.matched);
  if (intervals === undefined) return count(`SELECT count(*) AS matched FROM ${ident(join.target)}`);
  if (intervals.count === 0) return 0;
  const nulls = intervals.marker === undefined ? undefined : nullsIn(intervals.marker);
  if (nulls !== undefined) return join.entities.rowCount - nulls;
  return count(`SELECT count(*) AS matched FROM ${join.entities.relation} AS e SEMI JOIN ${ident(join.target)} AS v ON ${intervalOn(join, intervals.width, "v", "e")}`);
}

/**
 * The entity rows with every view's features beside them, in input order: each view's table
 * of winners is joined by row number, each view's intervals by keys and time (see intervalOn),
 * and one sort by row number restores the order. Measured against sorting each view's table
 * and combining them by position (POSITIONAL JOIN, which DuckDB runs on one thread): 10% less
 * CPU for one view, more for several.
 */
function resultSelect(entities: EntityTable, keys: JoinKey[], built: BuiltJoin[]): string {
  // Features in the order asked, whichever view they come from.
  const features = built.flatMap(({ join }, i) => join.request.features.map((f) => ({ output: f.output, expr: `v${i}.${ident(f.column)}` })));
  const selected = [...entityOutputColumns(entities, "e", keys), ...features.sort((a, b) => a.output - b.output).map((f) => f.expr)];
  const joins = built.map(({ join, intervals }, i) => {
    const on = intervals !== undefined ? intervalOn(join, intervals.width, `v${i}`, "e") : `v${i}.${ROW} = e.${entities.row}`;
    return `LEFT JOIN ${ident(join.target)} AS v${i} ON ${on}`;
  });
  return `SELECT ${selected.join(", ")} FROM ${entities.relation} AS e ${joins.join(" ")} ORDER BY e.${entities.row}`;
}
