/** SQL text helpers: every identifier and literal that comes from YAML or a request goes through these. */

export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

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
