import { statSync } from "node:fs";
import { MlfError } from "../errors.js";
import type { OfflineEngine } from "../offline/engine.js";
import { ident, literal } from "../util/sql.js";
import { samplePositions } from "../util/random.js";
import { resolveColumn } from "./match.js";
import { categoricalProfile, numericalProfile } from "./profile.js";
import type { FeatureProfile, ReferenceProfile, ReferenceSample } from "./profile-format.js";
import { openTableSide } from "./table-side.js";

export interface BuildProfileOptions {
  /** sha256 (hex) of the file, as recorded by `mlf track run --input`. */
  sha256: string;
  /** The model's inputs in input order (`view:feature` or column names); default: every testable column. */
  features?: string[];
  /** Rows in the explainer sample (default 500) and its seed (default 42). */
  sampleSize?: number;
  seed?: number;
}

const plainValue = (v: unknown): number | string | boolean | null => {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "boolean" || typeof v === "string") return v;
  return String(v);
};

/** The sampled rows, read at their positions in file order. */
async function sampleRows(engine: OfflineEngine, path: string, columns: string[], positions: number[]): Promise<ReferenceSample["rows"]> {
  if (positions.length === 0) return [];
  // Parquet numbers its rows itself; a CSV read on one thread keeps the file's order.
  const numbered = /\.csv(\.gz)?$/i.test(path)
    ? `(SELECT *, row_number() OVER () - 1 AS file_row_number FROM read_csv(${literal(path)}, header = true, parallel = false))`
    : `read_parquet(${literal(path)}, file_row_number = true)`;
  const rows = await engine.rows(`SELECT ${columns.map(ident).join(", ")} FROM ${numbered} WHERE file_row_number IN (${positions.join(", ")}) ORDER BY file_row_number`);
  return rows.map((r) => columns.map((c) => plainValue(r[c])));
}

/**
 * Reads a reference file once and returns its profile: per feature the exact statistics and
 * the distribution the drift tests need, plus the seeded sample of input rows. The prediction
 * entry is left null (registration fills it: it needs the model).
 */
export async function buildProfile(engine: OfflineEngine, path: string, options: BuildProfileOptions): Promise<ReferenceProfile> {
  const side = await openTableSide(engine, { kind: "file", path });
  try {
    const available = side.columns.map((c) => c.name);
    const features = options.features ?? side.columns.filter((c) => c.kind !== "other").map((c) => c.name);
    const columns = features.map((f) => resolveColumn(f, available));
    const missing = features.filter((_, i) => columns[i] === undefined);
    if (missing.length > 0) {
      throw new MlfError("invalid_data", `The reference ${path} has no column for ${missing.join(", ")} (looked for view:feature, view__feature and feature); pass the training set the model was trained on.`);
    }
    const quality = await side.quality(columns as string[]);
    const profiles: FeatureProfile[] = [];
    for (const [i, name] of features.entries()) {
      const column = columns[i]!;
      const info = side.columns.find((c) => c.name === column)!;
      if (info.kind === "other") throw new MlfError("invalid_data", `The reference column "${column}" is ${info.dtype}; a model input must be a number, a boolean or text.`);
      const sample = await side.sample(column);
      profiles.push(sample.kind === "numerical" ? numericalProfile(name, column, info.dtype, sample, quality.get(column)!) : categoricalProfile(name, column, info.dtype, sample, quality.get(column)!));
    }
    const seed = options.seed ?? 42;
    const positions = samplePositions(side.rows, options.sampleSize ?? 500, seed);
    return {
      format: "mlf-reference-profile",
      formatVersion: 1,
      createdAt: new Date().toISOString(),
      source: { path, sha256: options.sha256, rows: side.rows, bytes: statSync(path).size },
      features: profiles,
      prediction: null,
      sample: { seed, positions, columns: features, rows: await sampleRows(engine, path, columns as string[], positions) },
    };
  } finally {
    await side.close();
  }
}
