import { statSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import type { OfflineEngine } from "../offline/engine.js";
import type { OfflineStoreConfig } from "../repo/types.js";
import { ident, literal } from "../util/sql.js";
import { categoryCounts, rowCount, sortedFiniteValues } from "./columns.js";
import { DEFAULT_LOG_DIR, FEATURE_STATUSES, LOG_COLUMNS, listLogFiles, logFolder, STATUS_PREFIX } from "../repo/feature-logs.js";
import { numericalSample, type Sample } from "./sample.js";
import { isIntegerType, kindOf, type ColumnInfo, type ColumnQuality, type DriftSide, type SideSource } from "./side.js";

/** Data to compare, as the user names it: a Parquet/CSV file, or a folder of feature logs. */
export type TableInput =
  | { kind: "file"; path: string }
  | {
      kind: "logs";
      folder: string;
      /** Only rows logged at or after this time (epoch ms). */
      since?: number;
      /** Only rows of this model version. */
      version?: number;
    };

/**
 * The current data the user named: a folder is feature logs (only `version`'s rows when given,
 * only those since `since`), a file is read whole; `since` on a file is a usage error.
 */
export function currentInput(path: string, since: number | undefined, version: number | undefined): TableInput {
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) return { kind: "logs", folder: path, ...(since !== undefined && { since }), ...(version !== undefined && { version }) };
  if (since !== undefined) throw new MlfError("usage", "--since applies to a folder of feature logs; it cannot filter a file.");
  return { kind: "file", path };
}

/** Where a command that reads a model's served data (drift, explain --global) finds it. */
export interface ServedDataOptions {
  /** Only logged rows at or after this time (epoch ms); for feature logs only. */
  since?: number;
  /** The repository root, where `data/logs/` is. */
  repoRoot?: string;
  /** The feature log folder (feature_store.yaml's `logging.path`); default `<repoRoot>/data/logs`. */
  logDir?: string;
  cwd?: string;
  offline?: OfflineStoreConfig;
}

/** A model's feature log folder: under `logDir`, default `<repoRoot or cwd>/data/logs`. */
export function modelLogFolder(where: ServedDataOptions, cwd: string, model: string): string {
  return logFolder(where.logDir ?? join(where.repoRoot ?? cwd, DEFAULT_LOG_DIR), "models", model);
}

let counter = 0;

/** The relation reading `input`, checked to exist (DuckDB's own message for a missing file is long). */
export function relationOf(input: TableInput): { sql: string; source: SideSource } {
  if (input.kind === "file") {
    if (!statSync(input.path, { throwIfNoEntry: false })?.isFile()) throw new MlfError("file_not_found", `There is no data file at ${input.path}; pass a Parquet or CSV file.`);
    if (/\.csv(\.gz)?$/i.test(input.path)) return { sql: `read_csv(${literal(input.path)}, header = true)`, source: { kind: "file", path: input.path } };
    if (/\.parquet$/i.test(input.path)) return { sql: `read_parquet(${literal(input.path)})`, source: { kind: "file", path: input.path } };
    throw new MlfError("invalid_argument", `${input.path} is neither .parquet nor .csv; pass a Parquet or CSV file.`);
  }
  const files = listLogFiles(input.folder, input.since);
  const since = input.since === undefined ? null : new Date(input.since).toISOString();
  if (files.length === 0) throw new MlfError("invalid_data", `No feature logs in ${input.folder}${since ? ` since ${since}` : ""}; widen --since or log with "mlf serve".`);
  const filters = [
    ...(input.since !== undefined ? [`${ident(LOG_COLUMNS.timestamp)} >= ${literal(since!)}::TIMESTAMPTZ`] : []),
    ...(input.version !== undefined ? [`${ident(LOG_COLUMNS.modelVersion)} = ${input.version}`] : []),
  ];
  const read = `read_parquet([${files.map(literal).join(", ")}], union_by_name = true)`;
  return {
    sql: filters.length > 0 ? `(SELECT * FROM ${read} WHERE ${filters.join(" AND ")})` : read,
    source: { kind: "logs", folder: input.folder, files: files.length, since, model: null, version: input.version ?? null },
  };
}

/**
 * Opens data as a drift side on `engine`: a view for Parquet and logs (DuckDB reads only the
 * columns each query needs), a table for CSV (parsed once, not once per column). The engine
 * stays the caller's; `close` drops what was created.
 */
export async function openTableSide(engine: OfflineEngine, input: TableInput): Promise<DriftSide> {
  const { sql, source } = relationOf(input);
  const name = ident(`mlf_monitor_${++counter}`);
  const kind = input.kind === "file" && /\.csv(\.gz)?$/i.test(input.path) ? "TABLE" : "VIEW";
  try {
    await engine.run(`CREATE TEMP ${kind} ${name} AS SELECT * FROM ${sql}`);
  } catch (error) {
    const where = input.kind === "file" ? input.path : input.folder;
    throw new MlfError("invalid_data", `${where} cannot be read: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
  const columns: ColumnInfo[] = (await engine.describe(name)).map((c) => ({ name: c.name, dtype: c.type, kind: kindOf(c.type) }));
  const rows = await rowCount(engine, name);
  const byName = new Map(columns.map((c) => [c.name, c]));
  const column = (n: string) => {
    const found = byName.get(n);
    if (!found) throw new MlfError("invalid_data", `The data has no column "${n}".`);
    return found;
  };

  return {
    source,
    rows,
    columns,
    async sample(n: string): Promise<Sample> {
      const info = column(n);
      if (info.kind === "numerical") {
        const values = await sortedFiniteValues(engine, name, n, rows);
        return numericalSample(values, { sorted: true, integer: isIntegerType(info.dtype) });
      }
      if (info.kind === "categorical") {
        const counts = await categoryCounts(engine, name, n);
        return { kind: "categorical", counts, n: [...counts.values()].reduce((a, b) => a + b, 0), exact: true };
      }
      throw new MlfError("invalid_data", `Column "${n}" is ${info.dtype}, which drift tests do not apply to.`);
    },
    async quality(names: string[]) {
      // Statuses other than PRESENT come with a NULL value, so only NULL rows are counted by
      // status (PRESENT is the rest): a tenth of the cost of comparing every row's status.
      const selects = names.flatMap((n, i) => {
        const c = ident(n);
        const float = column(n).dtype === "DOUBLE" || column(n).dtype === "FLOAT";
        return [
          `${float ? `count(*) FILTER (WHERE ${c} IS NULL OR isnan(${c}))` : `count(*) - count(${c})`} AS m${i}`,
          ...(byName.has(STATUS_PREFIX + n) ? [`histogram(${ident(STATUS_PREFIX + n)}) FILTER (WHERE ${c} IS NULL) AS s${i}`] : []),
        ];
      });
      const [row] = selects.length > 0 ? await engine.rows(`SELECT ${selects.join(", ")} FROM ${name}`) : [{}];
      return new Map(
        names.map((n, i): [string, ColumnQuality] => {
          const missing = Number(row![`m${i}`] ?? 0);
          if (!byName.has(STATUS_PREFIX + n)) return [n, { rows, missing }];
          const counted = new Map(((row![`s${i}`] ?? []) as { key: string; value: bigint }[]).map((e) => [e.key, Number(e.value)]));
          const others = FEATURE_STATUSES.slice(1).map((s): [string, number] => [s, counted.get(s) ?? 0]);
          const present = rows - others.reduce((a, [, k]) => a + k, 0);
          return [n, { rows, missing, statuses: Object.fromEntries([["PRESENT", present], ...others]) }];
        }),
      );
    },
    async close() {
      await engine.run(`DROP ${kind} IF EXISTS ${name}`);
    },
  };
}
