import type { OfflineEngine } from "../offline/engine.js";
import { ident } from "../util/sql.js";

/**
 * Column readers on DuckDB: DuckDB filters, casts and sorts (in parallel, in native code);
 * JavaScript receives one column at a time as a Float64Array, so a million-row feature costs
 * 8 MB, not a million boxed numbers.
 */

/**
 * The finite values of a numeric column, ascending, NULL/NaN/±inf left out. `capacity` is an
 * upper bound on the count (the relation's row count).
 */
export async function sortedFiniteValues(engine: OfflineEngine, relation: string, column: string, capacity: number): Promise<Float64Array> {
  const v = `CAST(${ident(column)} AS DOUBLE)`;
  // Materialized in one native call (not streamed chunk by chunk): DuckDB reads and sorts in its
  // own threads while JavaScript tests the previous feature.
  const result = await engine.connection.run(`SELECT ${v} AS v FROM ${relation} WHERE isfinite(${v}) ORDER BY v`);
  const out = new Float64Array(capacity);
  let n = 0;
  for (let c = 0; c < result.chunkCount; c++) {
    const chunk = result.getChunk(c);
    const rows = chunk.rowCount;
    const vector = chunk.getColumnVector(0);
    // The DOUBLE vector keeps its data in a Float64Array over DuckDB's memory (a field the
    // typings mark private): copying it whole is ~4x faster than reading item by item. The
    // WHERE clause leaves no NULLs, so the validity mask need not be consulted.
    const items = (vector as unknown as { items?: unknown }).items;
    if (items instanceof Float64Array && items.length >= rows) out.set(items.subarray(0, rows), n);
    else for (let i = 0; i < rows; i++) out[n + i] = vector.getItem(i) as number;
    n += rows;
  }
  return out.subarray(0, n);
}

/** Rows per distinct non-NULL value of a column, values as text (booleans as `true`/`false`). */
export async function categoryCounts(engine: OfflineEngine, relation: string, column: string): Promise<Map<string, number>> {
  const c = ident(column);
  const rows = await engine.rows(`SELECT CAST(${c} AS VARCHAR) AS v, count(*) AS n FROM ${relation} WHERE ${c} IS NOT NULL GROUP BY 1`);
  return new Map(rows.map((r) => [String(r.v), Number(r.n)]));
}

/** Number of rows of a relation. */
export async function rowCount(engine: OfflineEngine, relation: string): Promise<number> {
  const [row] = await engine.rows(`SELECT count(*) AS n FROM ${relation}`);
  return Number(row!.n);
}
