/**
 * SQL text quoting shared by both engines (DuckDB offline, SQLite online): every identifier
 * and literal that comes from YAML or a request goes through these.
 */

/** A quoted identifier: `"name"`, inner quotes doubled. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A quoted string literal: `'text'`, inner quotes doubled. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
