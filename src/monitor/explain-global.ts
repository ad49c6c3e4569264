import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { MlfError } from "../errors.js";
import { readCheckedModel } from "../models/load.js";
import { parseModelUri, resolveModelUri } from "../models/uri.js";
import { OfflineEngine } from "../offline/engine.js";
import type { OfflineStoreConfig } from "../repo/types.js";
import { samplePositions } from "../util/random.js";
import { ident } from "../util/sql.js";
import type { GlobalImportance } from "../explain/explainer.js";
import { referenceBackground, VersionExplainer } from "../explain/version.js";
import { DEFAULT_LOG_DIR, listLogFiles, logFolder } from "./logs.js";
import { resolveColumn } from "./match.js";
import { relationOf, type TableInput } from "./table-side.js";

export interface GlobalRequest {
  /** A registered model (`NAME@ALIAS`, `NAME/N`, `models:/...`). */
  model: string;
  trackingDir: string;
  /**
   * Rows to explain: a Parquet/CSV file with the model's input columns, or a folder of feature
   * logs. Default: the model's feature logs when they hold rows of the version, else the
   * version's reference sample.
   */
  current?: string;
  /** Only logged rows at or after this time (epoch ms); feature logs only. */
  since?: number;
  /** At most this many rows, a deterministic uniform sample of the rest (default 500). */
  rows?: number;
  /** The repository root, where `data/logs/` is. */
  repoRoot?: string;
  cwd?: string;
  offline?: OfflineStoreConfig;
}

export type GlobalSource =
  | { kind: "logs"; folder: string; files: number; since: string | null }
  | { kind: "file"; path: string }
  | { kind: "reference"; rows: number; note: string | null };

export interface GlobalReport extends GlobalImportance {
  model: { name: string; version: number };
  source: GlobalSource;
  /** Rows the source held (of this version, since `since`); `rows` of them were explained. */
  available: number;
  /** Background rows the attributions are measured against. */
  background_rows: number;
}

export const DEFAULT_GLOBAL_ROWS = 500;

/** A value read back from DuckDB as a model input: NaN for missing, booleans as 0/1. */
function numeric(v: unknown, column: string): number {
  if (v === null || v === undefined) return Number.NaN;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new MlfError("invalid_data", `Column "${column}" holds ${typeof v} values; an explanation needs numeric model inputs.`);
}

/**
 * Up to `limit` rows of the model's inputs from a file or a log folder, in input order.
 * The sample is the rows with the smallest hash of their values: the same data gives the same
 * sample, and DuckDB keeps only `limit` rows in memory however many it reads.
 */
async function tableRows(engine: OfflineEngine, input: TableInput, inputs: string[], limit: number): Promise<{ rows: number[][]; available: number; files: number }> {
  const { sql, source } = relationOf(input);
  const where = input.kind === "logs" ? input.folder : input.path;
  const query = async (text: string) => {
    try {
      return await engine.rows(text);
    } catch (error) {
      throw new MlfError("invalid_data", `${where} cannot be read: ${(error as Error).message.split("\n")[0]}`, { cause: error });
    }
  };
  const available = (await query(`DESCRIBE SELECT * FROM ${sql}`)).map((c) => String(c.column_name));
  // Logs name columns `view:feature` exactly; a training set as get-historical writes it.
  const columns = inputs.map((name) => (input.kind === "logs" ? (available.includes(name) ? name : undefined) : resolveColumn(name, available)));
  const missing = inputs.filter((_, i) => columns[i] === undefined);
  if (missing.length > 0) throw new MlfError("invalid_data", `${where} has no column for ${missing.join(", ")}; pass data with the model's inputs.`);
  const list = (columns as string[]).map(ident).join(", ");
  const [count] = await query(`SELECT count(*) AS n FROM ${sql}`);
  const rows = await query(`SELECT ${list} FROM ${sql} ORDER BY hash(${list}), ${list} LIMIT ${limit}`);
  return {
    rows: rows.map((r) => (columns as string[]).map((c) => numeric(r[c], c))),
    available: Number(count!.n),
    files: source.kind === "logs" ? source.files : 0,
  };
}

/**
 * What to explain: `current` (a log folder or a file), else the model's log folder when it
 * has logs (or `since` asks for them), else nothing: the reference sample, with why.
 */
function chooseInput(request: GlobalRequest, name: string, version: number): { input?: TableInput; note?: string } {
  const cwd = request.cwd ?? process.cwd();
  const since = request.since === undefined ? {} : { since: request.since };
  if (request.current !== undefined) {
    const path = resolve(cwd, request.current);
    if (existsSync(path) && statSync(path).isDirectory()) return { input: { kind: "logs", folder: path, version, ...since } };
    if (request.since !== undefined) throw new MlfError("usage", "--since applies to a folder of feature logs; it cannot filter a file.");
    return { input: { kind: "file", path } };
  }
  const folder = logFolder(join(request.repoRoot ?? cwd, DEFAULT_LOG_DIR), "models", name);
  if (request.since !== undefined || (existsSync(folder) && listLogFiles(folder).length > 0)) return { input: { kind: "logs", folder, version, ...since } };
  return { note: `no feature logs in ${folder}` };
}

/**
 * `mlf explain --global`: mean |attribution| per feature of a registered model version over a
 * sample of what it served (its feature logs, or a file) or, without either, over its
 * reference sample. Attributions are measured against the version's reference sample, as
 * /explain measures them.
 */
export async function explainGlobal(request: GlobalRequest): Promise<GlobalReport> {
  const limit = request.rows ?? DEFAULT_GLOBAL_ROWS;
  if (!Number.isInteger(limit) || limit < 1) throw new MlfError("usage", `--rows ${limit} is not a positive whole number.`);
  const parsed = parseModelUri(request.model, { files: false });
  if (parsed.kind !== "registry") throw new MlfError("usage", `--model takes a registered model (NAME@ALIAS, NAME/N); "${request.model}" is not one.`);
  const resolved = resolveModelUri(request.trackingDir, request.model);
  const version = resolved.version!;
  const label = `${version.name} version ${version.version}`;
  const background = await referenceBackground(request.trackingDir, version, label);
  const explainer = new VersionExplainer(readCheckedModel(resolved).bytes, label, async () => background);
  try {
    const built = await explainer.get();
    const { input, note } = chooseInput(request, version.name, version.version);
    let read: Awaited<ReturnType<typeof tableRows>> | undefined;
    if (input) {
      const engine = await OfflineEngine.open(request.offline ?? { type: "duckdb" });
      try {
        read = await tableRows(engine, input, background.columns, limit);
      } finally {
        engine.close();
      }
    }
    let rows: number[][];
    let source: GlobalSource;
    if (input && read!.available > 0) {
      rows = read!.rows;
      source = input.kind === "logs" ? { kind: "logs", folder: input.folder, files: read!.files, since: request.since === undefined ? null : new Date(request.since).toISOString() } : { kind: "file", path: input.path };
    } else if (input && (input.kind === "file" || request.current !== undefined || request.since !== undefined)) {
      const where = input.kind === "file" ? input.path : input.folder;
      throw new MlfError("invalid_data", `${where} holds no rows of ${label}${request.since === undefined ? "" : " since then"}; widen --since or pass other data with --current.`);
    } else {
      // No logs of this version: the reference sample, subsampled as the logs would be.
      rows = samplePositions(background.rows.length, limit, 0).map((p) => background.rows[p]!);
      source = { kind: "reference", rows: background.rows.length, note: note ?? `no logged rows of version ${version.version} in ${(input as { folder: string }).folder}` };
    }
    const importance = await built.globalImportance(rows);
    return { ...importance, model: { name: version.name, version: version.version }, source, available: input && read!.available > 0 ? read!.available : background.rows.length, background_rows: built.backgroundRows };
  } finally {
    await explainer.release();
  }
}
