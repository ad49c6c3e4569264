import type { Sample } from "./sample.js";

/**
 * One side of a drift comparison (the reference or the current data), whatever holds it: a
 * Parquet/CSV file or a folder of feature logs read with DuckDB, or a stored reference
 * profile. The drift computation only talks to this interface.
 */
export interface DriftSide {
  /** What the side is, for reports: `{ kind: "file", path }`, `{ kind: "logs", ... }`, `{ kind: "profile", ... }`. */
  readonly source: SideSource;
  /** Number of rows. */
  readonly rows: number;
  /** The columns the side has, in order. */
  readonly columns: readonly ColumnInfo[];
  /** The column's values with NULL, NaN and ±inf dropped (numbers sorted). Throws for a column of kind "other". */
  sample(column: string): Promise<Sample>;
  /** Per column: NULL (and NaN) rows, and the share of each feature status when the side has them (feature logs). */
  quality(columns: string[]): Promise<Map<string, ColumnQuality>>;
  /** Drops what the side created in its engine (the engine itself is the caller's). */
  close(): Promise<void>;
}

export type SideSource =
  | { kind: "file"; path: string; sha256?: string }
  | { kind: "logs"; folder: string; files: number; since: string | null; model: string | null; version: number | null }
  | { kind: "profile"; path: string; reference: string; sha256: string };

export type ColumnKind = "numerical" | "categorical" | "other";

export interface ColumnInfo {
  name: string;
  /** DuckDB's type name (`DOUBLE`, `BIGINT`, `VARCHAR`, ...). */
  dtype: string;
  kind: ColumnKind;
}

export interface ColumnQuality {
  rows: number;
  /** Rows whose value is NULL or NaN. */
  missing: number;
  /** Rows per feature status (PRESENT, NOT_FOUND, NULL_VALUE, OUTSIDE_MAX_AGE), or undefined when not logged. */
  statuses?: Record<string, number>;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?)$/;
const INTEGER = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const CATEGORICAL = /^(VARCHAR|BOOLEAN|UUID|ENUM\(.*\))$/;

/**
 * How a column is tested, from its DuckDB type, as Evidently decides from the pandas dtype:
 * numbers are numerical, text and booleans categorical; dates, times, blobs and nested types
 * are not tested.
 */
export function kindOf(dtype: string): ColumnKind {
  if (NUMERIC.test(dtype)) return "numerical";
  if (CATEGORICAL.test(dtype)) return "categorical";
  return "other";
}

export const isIntegerType = (dtype: string): boolean => INTEGER.test(dtype);
