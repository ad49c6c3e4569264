import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { MlfError } from "../errors.js";
import type { Definitions, OfflineStoreConfig, Source } from "../repo/types.js";
import { isGlob } from "../util/fs.js";
import { ident, literal } from "../util/sql.js";
import { utcTimestamp } from "./utc.js";

/** A registered source as stored: the relation that reads it (renames applied) and its column types. */
export interface StoredSource {
  /** A parenthesised relation or table function call (see rawSourceRelation). */
  relation: string;
  /** DuckDB type of every column, by name, before any conversion. */
  types: Map<string, string>;
  /**
   * For a single Parquet file: the same relation with a `file_row_number` column, through
   * which a block of rows can be read without the rest, and the file (a SQL literal).
   */
  numbered?: { relation: string; file: string };
  /**
   * What makes a read costly, so that a plan reading the source several times reads a copy:
   * `parse` (CSV, parsed at every read), `query` (a query source runs its SQL at every read;
   * see derives for what it runs).
   */
  readCost?: "parse" | "query";
  /** A CSV source's absolute path, a file or a glob, for estimating its rows (see sourceRowEstimate). */
  csvPath?: string;
}

/**
 * DuckDB 1.5.6's top-n window rewrite (a "row_number() ... = 1" filter into an aggregate) fails
 * with "INTERNAL Error: Failed to cast expression to type" when the source view is also
 * filtered on its time column, e.g. materializing a source without a created timestamp
 * column, or point-in-time pruning; an internal error also invalidates the database.
 */
const DISABLED_OPTIMIZERS = "top_n_window_elimination";

/**
 * The offline engine: one in-memory DuckDB database in which every source of the repository
 * is a view named after the source. File sources read Parquet/CSV directly; query sources are
 * their SQL over those views. Both historical retrieval and materialization read sources
 * through these views, so training and serving see the same rows and the same logic.
 *
 * Inside the views, `field_mapping` renames are applied first and the timestamp and created
 * timestamp columns are TIMESTAMPTZ in UTC (naive values are taken as UTC, zoned values are
 * converted; see utc.ts), whatever the file stored. Point-in-time joins read the stored
 * relation instead (see `stored`), so that time filters reach the Parquet statistics.
 */
export class OfflineEngine {
  private readonly sources = new Map<string, StoredSource>();
  /** Query sources' relations, and whether each derives its rows (see derives). */
  private readonly derived = new Map<string, boolean>();
  /** DuckDB's memory limit in bytes, once read (see memoryLimit). */
  private memoryBytes?: number;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** Where DuckDB spills joins larger than memory; also fine for mlf's own scratch files. */
    readonly tempDirectory: string,
  ) {}

  /** Opens DuckDB (loaded lazily: the CLI's light commands never pay for it). */
  static async open(config: OfflineStoreConfig): Promise<OfflineEngine> {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const tempDirectory = config.tempDirectory ?? join(tmpdir(), "mlf-duckdb");
    mkdirSync(tempDirectory, { recursive: true });
    const options: Record<string, string> = { temp_directory: tempDirectory };
    if (config.threads !== undefined) options.threads = String(config.threads);
    if (config.memoryLimit !== undefined) options.memory_limit = config.memoryLimit;
    const instance = await DuckDBInstance.create(":memory:", options);
    const connection = await instance.connect();
    // ICU is bundled but only loaded after start-up, so the zone cannot be a create option.
    await connection.run("SET TimeZone = 'UTC'");
    // Set here, where every engine is opened, so no query path can meet it.
    await connection.run(`SET disabled_optimizers = '${DISABLED_OPTIMIZERS}'`);
    return new OfflineEngine(instance, connection, tempDirectory);
  }

  /** Runs statements that return nothing of interest. */
  async run(sql: string): Promise<void> {
    await this.connection.run(sql);
  }

  /**
   * Runs a statement whose hash joins build on their right side as written. DuckDB otherwise
   * builds on the side it estimates smaller, and it estimates a filtered relation from default
   * selectivities: a query source that keeps 13M of 20M rows was estimated below the 4M entity
   * row copies and hashed, which took the range pass 3.5 s instead of 1.9 s. Only for
   * statements whose sides mlf has counted or estimated (see runWindowPass).
   */
  async runAsWritten(sql: string): Promise<void> {
    await this.connection.run(`SET disabled_optimizers = '${DISABLED_OPTIMIZERS},build_side_probe_side'`);
    try {
      await this.connection.run(sql);
    } finally {
      await this.connection.run(`SET disabled_optimizers = '${DISABLED_OPTIMIZERS}'`);
    }
  }

  /** Runs a query and returns its rows as plain JS values (BIGINT as bigint, timestamps as Date). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  }

  /** Runs a CREATE TABLE AS, INSERT or DELETE and returns how many rows it wrote or deleted, which DuckDB answers with. */
  async changedRows(sql: string): Promise<number> {
    return Number((await this.rows(sql))[0]!.Count);
  }

  /** Column names and DuckDB types of a relation or query. */
  async describe(relation: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.rows(`DESCRIBE ${relation}`);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  /**
   * Creates one view per source. Query sources may use other sources (including other query
   * sources) in any order of definition, so views are created in rounds until none is left;
   * a source whose SQL still fails is reported with DuckDB's message.
   */
  async registerSources(root: string, defs: Definitions): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    let pending = [...defs.sources];
    while (pending.length > 0) {
      const next: Source[] = [];
      for (const source of pending) {
        try {
          const csv = source.type === "file" && /\.csv$/i.test(source.path);
          const relation = csv ? await this.sniffedCsv(root, source) : rawSourceRelation(root, source);
          const types = new Map((await this.describe(`SELECT * FROM ${relation}`)).map((c) => [c.name, c.type]));
          await this.run(`CREATE OR REPLACE VIEW ${ident(source.name)} AS ${sourceSelect(relation, source, types)}`);
          const numbered = source.type === "file" && !isGlob(source.path) && /\.parquet$/i.test(source.path) && !types.has("file_row_number");
          const readCost = source.type === "query" ? "query" : csv ? "parse" : undefined;
          this.sources.set(source.name, {
            relation,
            types,
            ...(readCost && { readCost }),
            ...(csv && { csvPath: resolve(root, source.path) }),
            ...(numbered && { numbered: { relation: rawSourceRelation(root, source, true), file: literal(resolve(root, source.path)) } }),
          });
          failures.delete(source.name);
        } catch (error) {
          failures.set(source.name, firstLine(error));
          next.push(source);
        }
      }
      if (next.length === pending.length) break;
      pending = next;
    }
    return failures;
  }

  /** DuckDB's memory limit in bytes: the configured one, else DuckDB's default (80% of RAM). Read once. */
  async memoryLimit(): Promise<number> {
    if (this.memoryBytes === undefined) {
      const [row] = await this.rows("SELECT current_setting('memory_limit') AS value");
      this.memoryBytes = parseBytes(String(row!.value));
    }
    return this.memoryBytes;
  }

  /**
   * Whether a query source derives its rows, by a step that needs all its input first (an
   * aggregate, a window, a join, a sort), rather than streaming them (scans, filters,
   * projections). Read from DuckDB's plan (14 ms a query), once and only for the point-in-time
   * planner: opening the engine for apply or materialize does not pay for it. Only a cost
   * hint: a plan that cannot be read counts as streaming.
   */
  async derives(source: StoredSource): Promise<boolean> {
    let derived = this.derived.get(source.relation);
    if (derived === undefined) this.derived.set(source.relation, (derived = await this.planDerives(source.relation)));
    return derived;
  }

  private async planDerives(relation: string): Promise<boolean> {
    const names: string[] = [];
    const walk = (node: { name?: unknown; children?: unknown }) => {
      names.push(String(node.name).trim());
      if (Array.isArray(node.children)) for (const child of node.children) walk(child as typeof node);
    };
    try {
      const [row] = await this.rows(`EXPLAIN (FORMAT json) SELECT * FROM ${relation}`);
      for (const node of JSON.parse(String(row?.explain_value)) as unknown[]) walk(node as { name?: unknown });
    } catch {
      return false;
    }
    return !names.every((name) => STREAMING.test(name));
  }

  /** A CSV source's relation, sniffed once (see sniffCsv). */
  private async sniffedCsv(root: string, source: Source & { type: "file" }): Promise<string> {
    const call = await this.sniffCsv(resolve(root, source.path));
    return call === undefined ? rawSourceRelation(root, source) : withRenames(call, source);
  }

  /**
   * A CSV file's `read_csv` call with the dialect and column types DuckDB's sniffer finds,
   * spelled out; the `text` columns (those the file has) are read as VARCHAR. Read with
   * auto-detection, the file is sniffed again at every statement that reads it (0.05-0.1 s
   * each for a large file), with the same result. Undefined if the sniffer fails: the plain
   * call then reports the error where the file is read.
   */
  async sniffCsv(path: string, text: string[] = []): Promise<string | undefined> {
    const [sniffed] = await this.rows(`SELECT Prompt AS call, Columns AS columns FROM sniff_csv(${literal(path)}, header = true)`).catch(() => []);
    const call = String(sniffed?.call ?? "").trim().replace(/^FROM\s+/i, "").replace(/;$/, "");
    const start = call.indexOf("columns={");
    if (!call.startsWith("read_csv(") || start < 0) return undefined;
    const columns = sniffed!.columns as { name: string; type: string }[];
    const map = columns.map((c) => `${literal(String(c.name))}: ${literal(text.includes(String(c.name)) ? "VARCHAR" : String(c.type))}`).join(", ");
    return `${call.slice(0, start)}columns={${map}}${call.slice(closingBrace(call, start + "columns={".length) + 1)}`;
  }

  /** The stored relation of a source registered by registerSources. */
  stored(name: string): StoredSource {
    const source = this.sources.get(name);
    if (!source) throw new Error(`source ${name} is not registered`);
    return source;
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Operators that pass rows on as they read them (EXPLAIN's names). */
const STREAMING = /^(PROJECTION|FILTER|TABLE_SCAN|READ_\w+|RANGE|UNNEST|DUMMY_SCAN|COLUMN_DATA_SCAN|EMPTY_RESULT)$/;

/** The index of the `}` closing a map literal whose body starts at `from` (quotes skipped). */
function closingBrace(text: string, from: number): number {
  let quoted = false;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "'") quoted = !quoted;
    else if (text[i] === "}" && !quoted) return i;
  }
  return text.length;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}

/**
 * The source's rows as stored, with `field_mapping` renames applied (a parenthesised relation);
 * `numbered` adds Parquet's `file_row_number`.
 */
export function rawSourceRelation(root: string, source: Source, numbered = false): string {
  const raw =
    source.type === "query"
      ? `(${source.sql.trim().replace(/;\s*$/, "")})`
      : /\.csv$/i.test(source.path)
        ? `read_csv(${literal(resolve(root, source.path))}, header = true)`
        : `read_parquet(${literal(resolve(root, source.path))}${numbered ? ", file_row_number = true" : ""})`;
  return withRenames(raw, source);
}

/** The relation with the source's `field_mapping` renames applied. */
function withRenames(raw: string, source: Source): string {
  const renames = Object.entries(source.fieldMapping).map(([from, to]) => `${ident(from)} AS ${ident(to)}`);
  return renames.length > 0 ? `(SELECT * RENAME (${renames.join(", ")}) FROM ${raw})` : raw;
}

/**
 * The SELECT that defines a source's view over its stored relation: time columns normalised to
 * TIMESTAMPTZ in UTC. A time column the source lacks is left to fail as a cast would.
 */
function sourceSelect(relation: string, source: Source, types: Map<string, string>): string {
  const timeColumns = [source.timestampField, ...(source.createdTimestampColumn ? [source.createdTimestampColumn] : [])];
  const casts = timeColumns.map((c) => `${utcTimestamp(ident(c), types.get(c) ?? "")} AS ${ident(c)}`);
  return `SELECT * REPLACE (${casts.join(", ")}) FROM ${relation}`;
}

/** Opens the engine with every source registered, failing if any source cannot be read. */
export async function openEngineWithSources(root: string, config: OfflineStoreConfig, defs: Definitions): Promise<OfflineEngine> {
  const engine = await OfflineEngine.open(config);
  const failures = await engine.registerSources(root, defs);
  if (failures.size > 0) {
    engine.close();
    const [name, message] = [...failures][0]!;
    throw new MlfError("invalid_data", `Source "${name}" cannot be read: ${message}; run "mlf plan" to check the definitions.`);
  }
  return engine;
}

/** The units in which DuckDB prints a size. */
const BYTE_UNITS: Record<string, number> = { bytes: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50 };

/** A size as DuckDB prints it ("2.7 GiB"); Infinity when it is not one. */
export function parseBytes(text: string): number {
  const match = /^([\d.]+)\s*([A-Za-z]+)$/.exec(text.trim());
  const unit = match && BYTE_UNITS[match[2]!];
  return unit ? Number(match[1]) * unit : Infinity;
}
