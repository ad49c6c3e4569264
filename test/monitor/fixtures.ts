import { OfflineEngine } from "../../src/offline/engine.js";
import { computeDrift, type DriftOptions, type DriftReport } from "../../src/monitor/drift.js";
import { openTableSide } from "../../src/monitor/table-side.js";

export type Cell = number | string | boolean | null;

/** A value as a DuckDB literal of `type`: NULL, NaN and the infinities included. */
function literal(v: Cell, type: string): string {
  if (v === null) return `NULL::${type}`;
  if (typeof v === "string") return `'${v.replace(/'/g, "''")}'::${type}`;
  if (typeof v === "boolean") return String(v);
  if (Number.isNaN(v)) return `'nan'::${type}`;
  if (!Number.isFinite(v)) return `'${v > 0 ? "inf" : "-inf"}'::${type}`;
  // Quoted: a long decimal literal would be parsed as DECIMAL first and lose its last digits.
  return `'${v}'::${type}`;
}

/**
 * Writes a Parquet file with DuckDB: `columns` maps names to DuckDB types, `rows` holds one
 * array per row in that order (kept in file order).
 */
export async function writeParquet(path: string, columns: Record<string, string>, rows: Cell[][]): Promise<void> {
  const names = Object.keys(columns);
  const types = Object.values(columns);
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    const values = rows.map((row, r) => `(${r}, ${row.map((v, i) => literal(v, types[i]!)).join(", ")})`).join(",\n");
    const select = names.map((n, i) => `c${i} AS "${n}"`).join(", ");
    await engine.run(`COPY (SELECT ${select} FROM (VALUES ${values}) t(r, ${names.map((_, i) => `c${i}`).join(", ")}) ORDER BY r) TO '${path}' (FORMAT parquet)`);
  } finally {
    engine.close();
  }
}

/** One column of rows from a list of values. */
export const column = (values: Cell[]): Cell[][] => values.map((v) => [v]);

/** Drift of two files, as `mlf monitor drift --reference A --current B` computes it. */
export async function fileDrift(reference: string, current: string, options: DriftOptions = {}): Promise<DriftReport> {
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 2 });
  try {
    const r = await openTableSide(engine, { kind: "file", path: reference });
    const c = await openTableSide(engine, { kind: "file", path: current });
    return await computeDrift(r, c, options);
  } finally {
    engine.close();
  }
}
