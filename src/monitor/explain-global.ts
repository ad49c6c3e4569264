import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { MlfError } from "../errors.js";
import { readCheckedModel } from "../models/load.js";
import { OfflineEngine } from "../offline/engine.js";
import { samplePositions } from "../util/random.js";
import { ident } from "../util/sql.js";
import type { GlobalImportance } from "../explain/explainer.js";
import { referenceBackground, VersionExplainer, type Background } from "../explain/version.js";
import type { ModelVersion } from "../models/store.js";
import { listLogFiles } from "../repo/feature-logs.js";
import { resolveColumn } from "./match.js";
import { resolveRegisteredModel } from "./read-reference.js";
import { currentInput, modelLogFolder, relationOf, type ServedDataOptions, type TableInput } from "./table-side.js";

export interface GlobalRequest extends ServedDataOptions {
  /** A registered model (`NAME@ALIAS`, `NAME/N`, `models:/...`). */
  model: string;
  trackingDir: string;
  /**
   * Rows to explain: a Parquet/CSV file with the model's input columns, or a folder of feature
   * logs. Default: the model's feature logs when they hold rows of the version, else the
   * version's reference sample.
   */
  current?: string;
  /** At most this many rows, a deterministic uniform sample of the rest (default 500). */
  rows?: number;
}

export type GlobalSource =
  | { kind: "logs"; folder: string; files: number; since: string | null }
  | { kind: "file"; path: string }
  /** The reference sample, because `logs` holds no feature logs (or none of this version). */
  | { kind: "reference"; logs: string; note: string };

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

/** Rows to explain, how many the source held, and what the source was. */
interface Rows {
  rows: number[][];
  available: number;
  source: GlobalSource;
}

/**
 * Up to `limit` rows of the model's inputs from a file or a log folder, in input order.
 * The sample is the rows with the smallest hash of their values: the same data gives the same
 * sample, and DuckDB keeps only `limit` rows in memory however many it reads.
 */
async function tableRows(request: GlobalRequest, input: TableInput, inputs: string[], limit: number): Promise<Rows> {
  const { sql, source } = relationOf(input);
  const where = input.kind === "logs" ? input.folder : input.path;
  const engine = await OfflineEngine.open(request.offline ?? { type: "duckdb" });
  const query = async (text: string) => {
    try {
      return await engine.rows(text);
    } catch (error) {
      throw new MlfError("invalid_data", `${where} cannot be read: ${(error as Error).message.split("\n")[0]}`, { cause: error });
    }
  };
  try {
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
      source: source.kind === "logs" ? { kind: "logs", folder: source.folder, files: source.files, since: source.since } : { kind: "file", path: where },
    };
  } finally {
    engine.close();
  }
}

/**
 * The rows to explain: `current` (a log folder or a file), else the model's feature logs when
 * there are any (or `since` asks for them), else the reference sample. Data the user named
 * must hold rows of the version; the default log folder may hold only other versions'.
 */
async function rowsToExplain(request: GlobalRequest, version: ModelVersion, background: Background, limit: number): Promise<Rows> {
  const cwd = request.cwd ?? process.cwd();
  const folder = modelLogFolder(request, cwd, version.name);
  let input: TableInput | undefined;
  if (request.current !== undefined) input = currentInput(resolve(cwd, request.current), request.since, version.version);
  else if (request.since !== undefined || (existsSync(folder) && listLogFiles(folder).length > 0)) {
    input = { kind: "logs", folder, version: version.version, ...(request.since !== undefined && { since: request.since }) };
  }
  if (input) {
    const read = await tableRows(request, input, background.columns, limit);
    if (read.available > 0) return read;
    if (input.kind === "file" || request.current !== undefined || request.since !== undefined) {
      const where = input.kind === "file" ? input.path : input.folder;
      throw new MlfError("invalid_data", `${where} holds no rows of ${version.name} version ${version.version}${request.since === undefined ? "" : " since then"}; widen --since or pass other data with --current.`);
    }
  }
  const note = input ? `no logged rows of version ${version.version}` : "no feature logs";
  // The same uniform sample the logs would give, from the reference's own.
  return { rows: samplePositions(background.rows.length, limit, 0).map((p) => background.rows[p]!), available: background.rows.length, source: { kind: "reference", logs: folder, note } };
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
  const resolved = resolveRegisteredModel(request.trackingDir, request.model);
  const { version } = resolved;
  const label = `${version.name} version ${version.version}`;
  const background = await referenceBackground(request.trackingDir, version, label);
  const { rows, available, source } = await rowsToExplain(request, version, background, limit);
  const explainer = new VersionExplainer(readCheckedModel(resolved).bytes, label, async () => background);
  try {
    const built = await explainer.get();
    const { method, space, features } = await built.globalImportance(rows);
    return { model: { name: version.name, version: version.version }, rows: rows.length, available, source, method, space, background_rows: built.backgroundRows, features };
  } finally {
    await explainer.release();
  }
}
