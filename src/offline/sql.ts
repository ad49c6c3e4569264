/** DuckDB column types of mlf's dtypes and entity value types (quoting is in util/sql.ts). */

/** DuckDB column type for each mlf dtype. */
export const duckdbTypes = {
  int32: "INTEGER",
  int64: "BIGINT",
  float32: "FLOAT",
  float64: "DOUBLE",
  string: "VARCHAR",
  bytes: "BLOB",
  bool: "BOOLEAN",
  unix_timestamp: "TIMESTAMPTZ",
} as const;

/** DuckDB column type for each entity value type. */
export const keyTypes = { int32: "INTEGER", int64: "BIGINT", string: "VARCHAR", bytes: "BLOB" } as const;
