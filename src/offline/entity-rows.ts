import { existsSync, statSync, writeFileSync, rmSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { randomUUID } from "node:crypto";
import { MlfError } from "../errors.js";
import type { OfflineEngine } from "./engine.js";
import type { JoinKey } from "../repo/resolve.js";
import { ident, literal } from "../util/sql.js";
import { keyTypes } from "./sql.js";

/** Where entity rows come from: a CSV/Parquet file, records in memory, or a DuckDB query. */
export type EntityInput =
  | { kind: "file"; path: string }
  | { kind: "records"; records: Record<string, unknown>[] }
  | { kind: "sql"; sql: string };

/** The table the entity rows were loaded into, and what retrieval needs to know about it. */
export interface EntityTable {
  /** Table name; its `__mlf_row` column numbers the rows in input order from 0. */
  table: string;
  /** The user's columns in input order (timestamp normalised to TIMESTAMPTZ, keys to their entity's type). */
  columns: string[];
  rowCount: number;
  /** Smallest and greatest timestamp as DuckDB TIMESTAMPTZ literals (microseconds kept); absent when empty. */
  minTime?: string;
  maxTime?: string;
}

export const ROW = "__mlf_row";
const RAW = "__mlf_entity_raw";
const TABLE = "__mlf_entity_rows";

/**
 * Loads entity rows into a real table numbered in input order. A real table (not a view over
 * the file) gives DuckDB an exact row count, which keeps it off the nested-loop ASOF plan, and
 * lets each view read the rows once more without re-parsing the file.
 *
 * The timestamp column becomes TIMESTAMPTZ in UTC: naive values are UTC, zoned values are
 * converted. Join key columns are cast to their entity's value type. The first row whose
 * timestamp is missing or unparsable, or whose key does not fit the type, is reported by its
 * 1-based row number and column.
 */
export async function loadEntityRows(engine: OfflineEngine, input: EntityInput, timestampColumn: string, keys: JoinKey[], cwd: string, repoRoot: string): Promise<EntityTable> {
  const cleanup: string[] = [];
  try {
    const { relation, what, lineOffset } = await rawRelation(engine, input, timestampColumn, keys, cwd, repoRoot, cleanup);
    const described = await engine.describe(`SELECT * FROM ${relation}`);
    const types = new Map(described.map((c) => [c.name, c.type]));
    for (const column of [timestampColumn, ...keys.map((k) => k.column)]) {
      if (!types.has(column)) {
        const role = column === timestampColumn ? "the timestamp column (set another with --timestamp-column)" : `the join key of entity "${keys.find((k) => k.column === column)!.entity}"`;
        throw new MlfError("invalid_data", `The entity rows (${what}) have no column "${column}", ${role}; they have: ${[...types.keys()].join(", ")}.`);
      }
    }
    if (types.has(ROW)) throw new MlfError("invalid_data", `The entity rows (${what}) have a column named "${ROW}", which mlf reserves; rename it.`);
    await engine.run(`CREATE OR REPLACE TEMP TABLE ${RAW} AS SELECT * FROM ${relation}`).catch((error: unknown) => {
      throw new MlfError("invalid_data", `The entity rows (${what}) cannot be read: ${(error as Error).message.split("\n")[0]}`, { cause: error });
    });
    const rowName = (rowid: unknown) => {
      const row = Number(rowid) + 1;
      return lineOffset === undefined ? `row ${row}` : `row ${row} (line ${row + lineOffset})`;
    };
    const stats = await checkRows(engine, what, timestampColumn, types.get(timestampColumn)!, keys, rowName);

    const replaced = [`CAST(${ident(timestampColumn)} AS TIMESTAMPTZ) AS ${ident(timestampColumn)}`, ...keys.map((k) => `CAST(${ident(k.column)} AS ${keyTypes[k.valueType]}) AS ${ident(k.column)}`)];
    // The raw table's rowid is the input order, and the copy keeps it (DuckDB preserves
    // insertion order): each view's result is built in this order and joined by position.
    await engine.run(`CREATE OR REPLACE TEMP TABLE ${TABLE} AS SELECT rowid AS ${ROW}, * REPLACE (${replaced.join(", ")}) FROM ${RAW}`);
    await engine.run(`DROP TABLE ${RAW}`);
    const rowCount = Number(stats!.n);
    return {
      table: TABLE,
      columns: described.map((c) => c.name),
      rowCount,
      ...(rowCount > 0 && { minTime: `TIMESTAMPTZ ${literal(String(stats!.lo))}`, maxTime: `TIMESTAMPTZ ${literal(String(stats!.hi))}` }),
    };
  } finally {
    for (const path of cleanup) rmSync(path, { force: true });
  }
}

interface RawRelation {
  relation: string;
  /** How error messages name the input. */
  what: string;
  /** Lines before the first data row (a CSV header), for messages that give line numbers. */
  lineOffset?: number;
}

async function rawRelation(engine: OfflineEngine, input: EntityInput, timestampColumn: string, keys: JoinKey[], cwd: string, repoRoot: string, cleanup: string[]): Promise<RawRelation> {
  if (input.kind === "sql") return { relation: `(${input.sql.trim().replace(/;\s*$/, "")})`, what: "--entity-sql" };
  if (input.kind === "records") return recordsRelation(engine, input.records, timestampColumn, keys, cleanup);
  const path = locate(input.path, cwd, repoRoot);
  const what = basename(path);
  const ext = extname(path).toLowerCase();
  if (ext === ".parquet") return { relation: `read_parquet(${literal(path)})`, what };
  if (ext !== ".csv") throw new MlfError("invalid_argument", `The entity file ${input.path} is neither .csv nor .parquet; convert it or use --entity-sql.`);
  if (statSync(path).size === 0) return { relation: emptyRelation(timestampColumn, keys), what };
  // Keys and the timestamp are read as text and converted by mlf: the sniffer would otherwise
  // turn "007" into 7 for a string key, and a bad value past its sample would fail the whole read.
  const header = (await engine.describe(`SELECT * FROM read_csv(${literal(path)}, header = true)`)).map((c) => c.name);
  const asText = [timestampColumn, ...keys.map((k) => k.column)].filter((c) => header.includes(c));
  const types = asText.map((c) => `${literal(c)}: 'VARCHAR'`).join(", ");
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
 * One scan of the raw rows finds the first row with a missing, unparsable or infinite
 * timestamp and, per key, the first value that does not fit the entity's type (reported in
 * that order), and counts the rows and the time range on the way.
 */
async function checkRows(engine: OfflineEngine, what: string, column: string, type: string, keys: JoinKey[], rowName: (rowid: unknown) => string): Promise<Record<string, unknown>> {
  const c = ident(column);
  if (type !== "VARCHAR" && !TIME_TYPES.test(type)) {
    throw new MlfError("invalid_data", `Column "${column}" of the entity rows (${what}) holds ${type} values, not timestamps; store ISO-8601 times or a timestamp type.`);
  }
  const time = `${type === "VARCHAR" ? "TRY_CAST" : "CAST"}(${c} AS TIMESTAMPTZ)`;
  const keyChecks = keys.map((k, i) => `min(rowid) FILTER (WHERE ${ident(k.column)} IS NOT NULL AND TRY_CAST(${ident(k.column)} AS ${keyTypes[k.valueType]}) IS NULL) AS bad_key_${i}`);
  const [stats] = await engine.rows(
    `SELECT ${[`count(*) AS n`, `min(rowid) FILTER (WHERE ${time} IS NULL OR NOT isfinite(${time})) AS bad_time`, ...keyChecks, `CAST(min(${time}) AS VARCHAR) AS lo`, `CAST(max(${time}) AS VARCHAR) AS hi`].join(", ")} FROM ${RAW}`,
  );
  const valueAt = async (rowid: unknown, name: string) => (await engine.rows(`SELECT CAST(${ident(name)} AS VARCHAR) AS v FROM ${RAW} WHERE rowid = ${Number(rowid)}`))[0]!.v;
  if (stats!.bad_time !== null) {
    const value = await valueAt(stats!.bad_time, column);
    throw new MlfError(
      "invalid_data",
      `The entity rows (${what}) have ${value === null ? "no value" : `"${String(value)}"`} at ${rowName(stats!.bad_time)}, column "${column}", which is not a timestamp; use ISO-8601 such as 2024-01-01T10:00:00Z.`,
    );
  }
  for (const [i, key] of keys.entries()) {
    const rowid = stats![`bad_key_${i}`];
    if (rowid === null) continue;
    throw new MlfError(
      "invalid_data",
      `Column "${key.column}" of the entity rows (${what}) mixes types: ${rowName(rowid)} holds "${String(await valueAt(rowid, key.column))}", which is not ${key.valueType} as entity "${key.entity}" declares; fix the value.`,
    );
  }
  return stats!;
}
