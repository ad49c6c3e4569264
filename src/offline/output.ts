import { renameSync, rmSync } from "node:fs";
import { dirname, basename, extname, join } from "node:path";
import { randomUUID } from "node:crypto";
import { MlfError } from "../errors.js";
import type { OfflineEngine } from "./engine.js";
import { ident, literal } from "../util/sql.js";

/** Output formats by file extension, and the COPY options DuckDB writes them with. */
export const outputFormats = {
  ".parquet": "FORMAT parquet",
  ".csv": "FORMAT csv, HEADER true",
  ".json": "FORMAT json, ARRAY true",
  ".ndjson": "FORMAT json",
} as const;
export type OutputExtension = keyof typeof outputFormats;

export function outputExtension(path: string): OutputExtension {
  const ext = extname(path).toLowerCase();
  if (ext in outputFormats) return ext as OutputExtension;
  throw new MlfError("invalid_argument", `The output file ${path} has no known format; end it in .parquet, .csv, .json or .ndjson.`);
}

/**
 * Text formats get every TIMESTAMPTZ column as ISO-8601 UTC with `Z` (mlf's one way to print a
 * time; fractions only when present); Parquet keeps the native type.
 */
export async function formattedSelect(engine: OfflineEngine, select: string, ext: OutputExtension): Promise<string> {
  if (ext === ".parquet") return select;
  const columns = await engine.describe(`(${select})`);
  const zoned = columns.filter((c) => c.type === "TIMESTAMP WITH TIME ZONE").map((c) => c.name);
  if (zoned.length === 0) return select;
  const replaced = zoned.map((name) => `${isoExpression(ident(name))} AS ${ident(name)}`);
  return `SELECT * REPLACE (${replaced.join(", ")}) FROM (${select})`;
}

function isoExpression(c: string): string {
  return `CASE WHEN epoch_us(${c}) % 1000000 = 0 THEN strftime(${c}, '%Y-%m-%dT%H:%M:%SZ') WHEN epoch_us(${c}) % 1000 = 0 THEN strftime(${c}, '%Y-%m-%dT%H:%M:%S.%gZ') ELSE strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ') END`;
}

/**
 * DuckDB writes the result straight to disk (streamed, never held in JS), first to a temp file
 * beside the target that is then renamed over it, so a failed run leaves no partial file.
 * Returns, for a Parquet file, each column's NULL count, by name (from the statistics DuckDB
 * writes anyway; a column without them is missing).
 */
export async function copyToFile(engine: OfflineEngine, select: string, path: string): Promise<Map<string, number> | undefined> {
  const ext = outputExtension(path);
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  try {
    const stats = ext === ".parquet" ? ", RETURN_STATS true" : "";
    const [written] = await engine.rows(`COPY (${await formattedSelect(engine, select, ext)}) TO ${literal(temp)} (${outputFormats[ext]}${stats})`);
    renameSync(temp, path);
    return ext === ".parquet" ? nullCounts(written?.column_statistics) : undefined;
  } catch (error) {
    rmSync(temp, { force: true });
    if (error instanceof MlfError) throw error;
    throw new MlfError("runtime", `Writing ${path} failed: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
}

type Entries<V> = { key: string; value: V }[];

/** `column_statistics` of COPY's RETURN_STATS: a map from the quoted column name to its statistics. */
function nullCounts(statistics: unknown): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { key, value } of (statistics ?? []) as Entries<Entries<string>>) {
    const nulls = value.find((stat) => stat.key === "null_count");
    if (nulls !== undefined) counts.set(key.startsWith('"') ? key.slice(1, -1).replace(/""/g, '"') : key, Number(nulls.value));
  }
  return counts;
}
