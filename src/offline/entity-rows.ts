import { existsSync, statSync, writeFileSync, rmSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { randomUUID } from "node:crypto";
import { MlfError } from "../errors.js";
import type { OfflineEngine } from "./engine.js";
import type { JoinKey } from "../repo/resolve.js";
import { ident, literal } from "../util/sql.js";
import { keyTypes } from "./sql.js";
import { ordersAsMicros, utcMicros, utcTimestamp } from "./utc.js";

/** Where entity rows come from: a CSV/Parquet file, records in memory, or a DuckDB query. */
export type EntityInput =
  | { kind: "file"; path: string }
  | { kind: "records"; records: Record<string, unknown>[] }
  | { kind: "sql"; sql: string };

/**
 * The entity rows as loaded, and what retrieval needs to know about them. Their columns are
 * as stored: the timestamp and the keys are converted where they are read (see the helpers
 * below), which costs nothing when the stored types are the usual ones.
 */
export interface EntityTable {
  /** What to select the rows from: a Parquet scan or a temp table (give it an alias). */
  relation: string;
  /** The 0-based input-order row number, a column of `relation`. */
  row: string;
  /** The Parquet file read in place (a SQL literal), whose `file_row_number` is `row`. */
  file?: string;
  /** The user's columns in input order. */
  columns: string[];
  /** DuckDB type of every column of `relation`, by name. */
  types: Map<string, string>;
  timestampColumn: string;
  rowCount: number;
  /** Smallest and greatest timestamp in epoch microseconds (UTC); absent when there are no rows. */
  minUs?: bigint;
  maxUs?: bigint;
}

export const ROW = "__mlf_row";
const RAW = "__mlf_entity_raw";
const TABLE = "__mlf_entity_rows";

/** The timestamp of row alias `e` as epoch microseconds (UTC). */
export function entityMicros(entities: EntityTable, e: string): string {
  return utcMicros(`${e}.${ident(entities.timestampColumn)}`, entities.types.get(entities.timestampColumn)!);
}

/** A join key of row alias `e` as its entity's type. */
export function entityKey(entities: EntityTable, e: string, key: JoinKey): string {
  const column = `${e}.${ident(key.column)}`;
  return entities.types.get(key.column) === keyTypes[key.valueType] ? column : `CAST(${column} AS ${keyTypes[key.valueType]})`;
}

/**
 * The select list of the output's entity columns from row alias `e`: every user column in input
 * order, the timestamp as TIMESTAMPTZ in UTC, the given join keys as their entity's type.
 */
export function entityOutputColumns(entities: EntityTable, e: string, keys: JoinKey[]): string[] {
  return entities.columns.map((column) => {
    const key = keys.find((k) => k.column === column);
    if (column === entities.timestampColumn) return `${utcTimestamp(`${e}.${ident(column)}`, entities.types.get(column)!)} AS ${ident(column)}`;
    return key ? `${entityKey(entities, e, key)} AS ${ident(column)}` : `${e}.${ident(column)}`;
  });
}

/**
 * Loads the entity rows. A Parquet file is read in place (its row numbers are the input
 * order); any other input is first copied into a temp table, whose insertion order is the
 * input order. Timestamps and keys stored as text are converted while copying (see
 * convertText); stored timestamp types are converted where they are read. Naive values are
 * UTC, zoned ones are converted.
 *
 * The first row whose timestamp is missing, unparsable or infinite, or whose key does not fit
 * the entity's type, is reported by its 1-based row number and column.
 */
export async function loadEntityRows(engine: OfflineEngine, input: EntityInput, timestampColumn: string, keys: JoinKey[], cwd: string, repoRoot: string): Promise<EntityTable> {
  const cleanup: string[] = [];
  try {
    const { relation, what, lineOffset, inPlace } = await rawRelation(engine, input, timestampColumn, keys, cwd, repoRoot, cleanup);
    const described = await engine.describe(`SELECT * FROM ${relation}`);
    const columns = described.map((c) => c.name);
    for (const column of [timestampColumn, ...keys.map((k) => k.column)]) {
      if (!columns.includes(column)) {
        const role = column === timestampColumn ? "the timestamp column (set another with --timestamp-column)" : `the join key of entity "${keys.find((k) => k.column === column)!.entity}"`;
        throw new MlfError("invalid_data", `The entity rows (${what}) have no column "${column}", ${role}; they have: ${columns.join(", ")}.`);
      }
    }
    if (columns.includes(ROW)) throw new MlfError("invalid_data", `The entity rows (${what}) have a column named "${ROW}", which mlf reserves; rename it.`);
    const base = { columns, types: new Map(described.map((c) => [c.name, c.type])), timestampColumn, rowCount: 0 };
    const inPlaceTable = inPlace && !columns.includes("file_row_number") ? { ...base, relation: `read_parquet(${inPlace}, file_row_number = true)`, row: "file_row_number", file: inPlace } : undefined;
    const text = [timestampColumn, ...keys.filter((k) => keyTypes[k.valueType] !== "VARCHAR").map((k) => k.column)].filter((c) => base.types.get(c) === "VARCHAR");
    const readError = (error: unknown) => {
      throw new MlfError("invalid_data", `The entity rows (${what}) cannot be read: ${(error as Error).message.split("\n")[0]}`, { cause: error });
    };
    const converted = text.length > 0 ? await convertText(engine, inPlaceTable ?? { ...base, relation }, text, keys).catch(readError) : undefined;
    const table = converted ?? inPlaceTable ?? (await copyRows(engine, { ...base, relation }).catch(readError));
    const rowName = (row: unknown) => {
      const n = Number(row) + 1;
      return lineOffset === undefined ? `row ${n}` : `row ${n} (line ${n + lineOffset})`;
    };
    const stats = await checkRows(engine, table, what, keys, rowName);
    // The conversion failed, but no row is wrong as text: a value DuckDB parses one way and not the other.
    if (text.length > 0 && converted === undefined) throw new MlfError("invalid_data", `The entity rows (${what}) have a time or key in column ${text.map((c) => `"${c}"`).join(" or ")} that cannot be converted; check its values.`);
    const rowCount = Number(stats.n);
    return { ...table, rowCount, ...(rowCount > 0 && { minUs: stats.lo as bigint, maxUs: stats.hi as bigint }) };
  } finally {
    for (const path of cleanup) rmSync(path, { force: true });
  }
}

/** Rows not yet numbered: a relation that is not a table or a Parquet file read in place. */
type Unnumbered = Omit<EntityTable, "row">;

/** A user column named rowid hides a table's pseudo-column: the rows are then numbered explicitly. */
const hidesRowid = (rows: Unnumbered) => rows.columns.some((c) => c.toLowerCase() === "rowid");

/** Copies the rows into a temp table, whose insertion order is the input order. */
async function copyRows(engine: OfflineEngine, from: Unnumbered): Promise<EntityTable> {
  const numbered = hidesRowid(from);
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${RAW} AS SELECT ${numbered ? `row_number() OVER () - 1 AS ${ROW}, ` : ""}* FROM ${from.relation}`);
  return { ...from, relation: RAW, row: numbered ? ROW : "rowid" };
}

/** The message with which a conversion below stops at the first value that does not convert. */
const UNCONVERTED = "mlf: an entity value does not convert";

/**
 * Parses text timestamps and keys once, into a table of its own numbered as the input (by
 * `from.row`, else as copyRows does): parsing costs more than reading the converted values
 * again for every view, and converting while copying reads the input once (a CSV file: 0.07 s
 * for 500,000 rows, against 0.13 s to copy, check and convert in three passes). The first value
 * that does not convert (a missing or infinite time counts) stops it: then it returns nothing,
 * and checkRows on the text says which row.
 */
async function convertText(engine: OfflineEngine, from: Unnumbered | EntityTable, text: string[], keys: JoinKey[]): Promise<EntityTable | undefined> {
  const types = new Map(from.types);
  const replaced = text.map((column) => {
    const key = keys.find((k) => k.column === column);
    const type = key ? keyTypes[key.valueType] : "TIMESTAMPTZ";
    types.set(column, key ? type : "TIMESTAMP WITH TIME ZONE");
    const value = `TRY_CAST(e.${ident(column)} AS ${type})`;
    const bad = key ? `e.${ident(column)} IS NOT NULL AND ${value} IS NULL` : `epoch_us(${value}) IS NULL`;
    return `CASE WHEN ${bad} THEN error('${UNCONVERTED}') ELSE ${value} END AS ${ident(column)}`;
  });
  const numbered = "row" in from ? `e.${from.row}` : hidesRowid(from) ? "row_number() OVER () - 1" : undefined;
  try {
    await engine.run(`CREATE OR REPLACE TEMP TABLE ${TABLE} AS SELECT ${numbered ? `${numbered} AS ${ROW}, ` : ""}e.* REPLACE (${replaced.join(", ")}) FROM ${from.relation} AS e`);
  } catch (error) {
    if (error instanceof Error && error.message.includes(UNCONVERTED)) return undefined;
    throw error;
  }
  // No longer read in place: its own row numbers.
  return { ...from, relation: TABLE, row: numbered ? ROW : "rowid", file: undefined, types };
}

interface RawRelation {
  relation: string;
  /** How error messages name the input. */
  what: string;
  /** Lines before the first data row (a CSV header), for messages that give line numbers. */
  lineOffset?: number;
  /** A Parquet file (as a SQL literal), which is read in place. */
  inPlace?: string;
}

async function rawRelation(engine: OfflineEngine, input: EntityInput, timestampColumn: string, keys: JoinKey[], cwd: string, repoRoot: string, cleanup: string[]): Promise<RawRelation> {
  if (input.kind === "sql") return { relation: `(${input.sql.trim().replace(/;\s*$/, "")})`, what: "--entity-sql" };
  if (input.kind === "records") return recordsRelation(engine, input.records, timestampColumn, keys, cleanup);
  const path = locate(input.path, cwd, repoRoot);
  const what = basename(path);
  const ext = extname(path).toLowerCase();
  if (ext === ".parquet") return { relation: `read_parquet(${literal(path)})`, what, inPlace: literal(path) };
  if (ext !== ".csv") throw new MlfError("invalid_argument", `The entity file ${input.path} is neither .csv nor .parquet; convert it or use --entity-sql.`);
  if (statSync(path).size === 0) return { relation: emptyRelation(timestampColumn, keys), what };
  // Keys and the timestamp are read as text and converted by mlf: the sniffer would otherwise
  // turn "007" into 7 for a string key, and a bad value past its sample would fail the whole read.
  const textColumns = [timestampColumn, ...keys.map((k) => k.column)];
  const sniffed = await engine.sniffCsv(path, textColumns);
  if (sniffed !== undefined) return { relation: sniffed, what, lineOffset: 1 };
  const header = (await engine.describe(`SELECT * FROM read_csv(${literal(path)}, header = true)`)).map((c) => c.name);
  const types = textColumns.filter((c) => header.includes(c)).map((c) => `${literal(c)}: 'VARCHAR'`).join(", ");
  return { relation: `read_csv(${literal(path)}, header = true${types ? `, types = {${types}}` : ""})`, what, lineOffset: 1 };
}

/** The entity file as given (relative to the working directory), else relative to the repository. */
function locate(path: string, cwd: string, repoRoot: string): string {
  for (const candidate of [resolve(cwd, path), resolve(repoRoot, path)]) if (existsSync(candidate)) return candidate;
  throw new MlfError("file_not_found", `The entity file ${path} does not exist (looked in ${cwd} and ${repoRoot}); check the path.`);
}

/** An empty file has no header: its rows are the key and timestamp columns, with no rows. */
function emptyRelation(timestampColumn: string, keys: JoinKey[]): string {
  const columns = [...keys.map((k) => `CAST(NULL AS ${keyTypes[k.valueType]}) AS ${ident(k.column)}`), `CAST(NULL AS TIMESTAMPTZ) AS ${ident(timestampColumn)}`];
  return `(SELECT ${columns.join(", ")} WHERE false)`;
}

type JsKind = "integer" | "number" | "string" | "boolean" | "date";
const kindTypes: Record<JsKind, string> = { integer: "BIGINT", number: "DOUBLE", string: "VARCHAR", boolean: "BOOLEAN", date: "TIMESTAMPTZ" };

function kindOf(value: unknown): JsKind | undefined {
  if (typeof value === "bigint") return "integer";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (value instanceof Date) return "date";
  return undefined;
}

/**
 * In-memory records go through a newline-delimited JSON file read with declared column types
 * (inferred here from the JS values), which handles any number of rows without building SQL.
 */
async function recordsRelation(engine: OfflineEngine, records: Record<string, unknown>[], timestampColumn: string, keys: JoinKey[], cleanup: string[]): Promise<RawRelation> {
  const what = "records";
  if (records.length === 0) return { relation: emptyRelation(timestampColumn, keys), what };
  const kinds = new Map<string, { kind?: JsKind; row: number }>();
  records.forEach((record, i) => {
    for (const [column, value] of Object.entries(record)) {
      if (!kinds.has(column)) kinds.set(column, { row: i });
      if (value === null || value === undefined) continue;
      const kind = kindOf(value);
      if (kind === undefined) throw new MlfError("invalid_data", `Entity record ${i + 1} holds a ${typeof value} in column "${column}"; use numbers, strings, booleans or Dates.`);
      const seen = kinds.get(column)!;
      if (seen.kind === undefined) kinds.set(column, { kind, row: i });
      else if (seen.kind !== kind && !(isNumeric(seen.kind) && isNumeric(kind))) {
        throw new MlfError("invalid_data", `Column "${column}" of the entity records mixes types: record ${seen.row + 1} holds ${article(seen.kind)}, record ${i + 1} ${article(kind)}; give the column one type.`);
      } else if (kind === "number") seen.kind = "number";
    }
  });
  const columns = [...kinds].map(([name, { kind }]) => `${literal(name)}: '${kind ? kindTypes[kind] : "VARCHAR"}'`);
  const file = join(engine.tempDirectory, `entities-${randomUUID()}.ndjson`);
  cleanup.push(file);
  const replacer = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);
  writeFileSync(file, `${records.map((r) => JSON.stringify(r, replacer)).join("\n")}\n`);
  return { relation: `read_json(${literal(file)}, format = 'newline_delimited', columns = {${columns.join(", ")}})`, what };
}

const article = (kind: JsKind) => `${kind === "integer" ? "an" : "a"} ${kind}`;
const isNumeric = (kind: JsKind) => kind === "integer" || kind === "number";

const TIME_TYPES = /^(TIMESTAMP|DATE)/;

/**
 * One scan of the rows finds the first row with a missing, unparsable or infinite timestamp
 * and, per key stored in another type than its entity's, the first value that does not fit
 * (reported in that order), and counts the rows and the time range on the way.
 *
 * A stored timestamp whose keys need no cast is first checked by its count and range alone:
 * DuckDB answers those from a Parquet file's statistics without reading it (5 ms instead of
 * 0.33 s for 20M rows). Only when that finds a missing or infinite time, or the file has no
 * statistics (DuckDB then scans the column), does the full scan run.
 */
async function checkRows(engine: OfflineEngine, table: EntityTable, what: string, keys: JoinKey[], rowName: (row: unknown) => string): Promise<Record<string, unknown>> {
  const column = table.timestampColumn;
  const type = table.types.get(column)!;
  if (type !== "VARCHAR" && !TIME_TYPES.test(type)) {
    throw new MlfError("invalid_data", `Column "${column}" of the entity rows (${what}) holds ${type} values, not timestamps; store ISO-8601 times or a timestamp type.`);
  }
  const micros = type === "VARCHAR" ? `epoch_us(TRY_CAST(${ident(column)} AS TIMESTAMPTZ))` : utcMicros(ident(column), type);
  const cast = keys.filter((k) => table.types.get(k.column) !== keyTypes[k.valueType]);
  if (ordersAsMicros(type) && cast.length === 0) {
    // Only infinite times have no microseconds.
    const [range] = await engine.rows(
      `SELECT count(*) AS n, count(${ident(column)}) AS times, ${utcMicros(`min(${ident(column)})`, type)} AS lo, ${utcMicros(`max(${ident(column)})`, type)} AS hi FROM ${table.relation}`,
    );
    if (range!.n === range!.times && (range!.n === 0n || (range!.lo !== null && range!.hi !== null))) return range!;
  }
  const keyChecks = cast.map((k, i) => `min(${table.row}) FILTER (WHERE ${ident(k.column)} IS NOT NULL AND TRY_CAST(${ident(k.column)} AS ${keyTypes[k.valueType]}) IS NULL) AS bad_key_${i}`);
  const [stats] = await engine.rows(
    `SELECT ${[`count(*) AS n`, `min(${table.row}) FILTER (WHERE ${micros} IS NULL) AS bad_time`, ...keyChecks, `min(${micros}) AS lo`, `max(${micros}) AS hi`].join(", ")} FROM ${table.relation}`,
  );
  const valueAt = async (row: unknown, name: string) => (await engine.rows(`SELECT CAST(${ident(name)} AS VARCHAR) AS v FROM ${table.relation} WHERE ${table.row} = ${Number(row)}`))[0]!.v;
  if (stats!.bad_time !== null) {
    const value = await valueAt(stats!.bad_time, column);
    throw new MlfError(
      "invalid_data",
      `The entity rows (${what}) have ${value === null ? "no value" : `"${String(value)}"`} at ${rowName(stats!.bad_time)}, column "${column}", which is not a timestamp; use ISO-8601 such as 2024-01-01T10:00:00Z.`,
    );
  }
  for (const [i, key] of cast.entries()) {
    const row = stats![`bad_key_${i}`];
    if (row === null) continue;
    throw new MlfError(
      "invalid_data",
      `Column "${key.column}" of the entity rows (${what}) mixes types: ${rowName(row)} holds "${String(await valueAt(row, key.column))}", which is not ${key.valueType} as entity "${key.entity}" declares; fix the value.`,
    );
  }
  return stats!;
}
