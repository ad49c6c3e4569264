import type Database from "better-sqlite3";
import { ident } from "../../util/sql.js";
import type { OnlineRow, OnlineTableSpec, OnlineWriteResult } from "../store.js";
import { CATALOG, NO_CREATED, keyColumns, keyParams } from "./layout.js";

/**
 * Rows per INSERT statement. Binding many rows per call amortises the JS-to-native crossing,
 * which dominates the cost of a one-row upsert; 64 rows of a wide view stay far below
 * SQLite's 32766 parameters.
 */
const ROWS_PER_STATEMENT = 64;

/**
 * The newer-wins upsert: on a key conflict the stored row is replaced only when the new event
 * time is greater, or equal with a greater created time (NULL = oldest). Strictly greater, so
 * re-running a materialization rewrites nothing and reports 0 rows written.
 */
function upsertSql(table: string, spec: OnlineTableSpec, rows: number): string {
  const keys = keyColumns(spec);
  const features = spec.features.map((f) => ident(f.name));
  const columns = [...keys, ...features, "__event_ts", "__created_ts"];
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  const t = ident(table);
  const set = [...features, "__event_ts", "__created_ts"].map((c) => `${c} = excluded.${c}`).join(", ");
  return (
    `INSERT INTO ${t} (${columns.join(", ")}) VALUES ${Array.from({ length: rows }, () => tuple).join(", ")} ` +
    `ON CONFLICT (${keys.join(", ")}) DO UPDATE SET ${set} ` +
    `WHERE excluded.__event_ts > ${t}.__event_ts OR (excluded.__event_ts = ${t}.__event_ts ` +
    `AND COALESCE(excluded.__created_ts, ${NO_CREATED}) > COALESCE(${t}.__created_ts, ${NO_CREATED}))`
  );
}

/** Writes batches of rows in one transaction (see the write contract of OnlineStore). */
export async function writeRows(
  db: Database.Database,
  table: string,
  spec: OnlineTableSpec,
  batches: Iterable<OnlineRow[]> | AsyncIterable<OnlineRow[]>,
): Promise<OnlineWriteResult> {
  const many = db.prepare(upsertSql(table, spec, ROWS_PER_STATEMENT));
  const one = db.prepare(upsertSql(table, spec, 1));
  const width = Math.max(spec.keys.length, 1) + spec.features.length + 2;
  const params: unknown[] = new Array(width * ROWS_PER_STATEMENT);
  const result: OnlineWriteResult = { rows: 0, written: 0 };
  // Every offered row either is stored or lost to a stored row at least as new, so the
  // greatest offered event time raises the table's newest event time exactly.
  let newest = -Infinity;
  const raiseNewest = db.prepare(`UPDATE ${CATALOG} SET newest_event_ts = max(COALESCE(newest_event_ts, ?), ?) WHERE view = ?`);
  const finish = () => {
    if (newest !== -Infinity) raiseNewest.run(newest, newest, spec.view);
  };

  const fill = (row: OnlineRow, into: unknown[], at: number) => {
    if (row.eventTs > newest) newest = row.eventTs;
    let i = at;
    for (const k of keyParams(spec, row.key)) into[i++] = k;
    // SQLite has no boolean: bool is stored as 0/1 (and read back as a boolean, see read.ts).
    for (const v of row.values) into[i++] = typeof v === "boolean" ? Number(v) : v;
    into[i++] = row.eventTs;
    into[i] = row.createdTs;
  };
  const writeBatch = (rows: OnlineRow[]) => {
    let r = 0;
    for (; r + ROWS_PER_STATEMENT <= rows.length; r += ROWS_PER_STATEMENT) {
      for (let j = 0; j < ROWS_PER_STATEMENT; j++) fill(rows[r + j]!, params, j * width);
      result.written += many.run(params).changes;
    }
    const single: unknown[] = new Array(width);
    for (; r < rows.length; r++) {
      fill(rows[r]!, single, 0);
      result.written += one.run(single).changes;
    }
    result.rows += rows.length;
  };

  if (Symbol.iterator in batches) {
    // Synchronous input (a push): the whole write runs in one tick inside better-sqlite3's
    // transaction wrapper, so nothing else on this connection can interleave.
    db.transaction(() => {
      for (const rows of batches) writeBatch(rows);
      finish();
    }).immediate();
    return result;
  }
  // Asynchronous input (materialization streaming from DuckDB): the transaction spans awaits.
  // IMMEDIATE takes the write lock up front, so the run cannot fail half-way on a lock upgrade.
  db.exec("BEGIN IMMEDIATE");
  try {
    for await (const rows of batches) writeBatch(rows);
    finish();
    db.exec("COMMIT");
  } catch (error) {
    if (db.inTransaction) db.exec("ROLLBACK");
    throw error;
  }
  return result;
}
