import { basename, join } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { MlfError } from "../errors.js";
import { readFileIfExists } from "../util/fs.js";
import { readMLmodel, type MlfReference } from "./mlmodel.js";
import type { ModelVersion } from "./store.js";
import { versionArtifactDir } from "./uri.js";

/**
 * A registered version's reference data as the registry knows it: the record in its MLmodel
 * (`metadata.mlf.reference`) names a profile file in the version folder, and that file holds,
 * beside monitoring's statistics (src/monitor/profile-format.ts), a seeded sample of the
 * model's inputs: the background an explainer measures attributions against. Reading the
 * sample needs only this module, so serving explains a version without loading monitoring.
 */

export const ReferenceSampleSchema = Type.Object(
  {
    seed: Type.Integer(),
    positions: Type.Array(Type.Integer({ minimum: 0 }), { description: "0-based row positions in file order" }),
    columns: Type.Array(Type.String(), { description: "feature names in model input order" }),
    rows: Type.Array(Type.Array(Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()])), { description: "values in columns order; NULL, NaN and inf as null" }),
  },
  { additionalProperties: false },
);

/** The explainer's background rows: `columns` in model input order, one array per row. */
export type ReferenceSample = Static<typeof ReferenceSampleSchema>;

/** The reference record of a version, and where its profile file is; undefined when none was recorded. */
export function referenceLocation(trackingDir: string, version: ModelVersion): { record: MlfReference; path: string } | undefined {
  const dir = versionArtifactDir(trackingDir, version);
  const record = readMLmodel(dir)?.mlf?.reference;
  if (!record) return undefined;
  // The name comes from a file anyone can edit: it must stay inside the version folder.
  if (record.profile !== basename(record.profile)) throw new MlfError("invalid_data", `The reference profile name "${record.profile}" in ${dir}/MLmodel is not a file name; register the model again.`);
  return { record, path: join(dir, record.profile) };
}

/** The profile file's JSON, or an error naming the version when it is missing or not JSON. */
export function readReferenceJson(version: ModelVersion, path: string): unknown {
  const text = readFileIfExists(path);
  if (text === undefined) throw new MlfError("invalid_data", `Version ${version.version} of model "${version.name}" records a reference profile, but ${path} is missing; register the model again.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MlfError("invalid_data", `${path} is not valid JSON (${(error as Error).message}); register the model again to rewrite it.`);
  }
}

/** The version's reference sample, or undefined when it was registered without reference data. */
export function readReferenceSample(trackingDir: string, version: ModelVersion): ReferenceSample | undefined {
  const location = referenceLocation(trackingDir, version);
  if (!location) return undefined;
  const sample = (readReferenceJson(version, location.path) as { sample?: unknown } | null)?.sample;
  if (!Value.Check(ReferenceSampleSchema, sample)) {
    const [first] = Value.Errors(ReferenceSampleSchema, sample);
    throw new MlfError("invalid_data", `${location.path} has no valid input sample (${first ? `sample${first.path}: ${first.message}` : "none"}); register the model again to rewrite it.`);
  }
  return sample;
}

/**
 * A sample (or a profile holding one) as an explainer's background (`loadExplainer({
 * background })`): one number per model input, NaN for a missing value, booleans as 0/1. A
 * text input has no numeric form: that is an error naming it.
 */
export function backgroundRows(source: { sample: ReferenceSample }): number[][] {
  const { columns, rows } = source.sample;
  return rows.map((row) =>
    row.map((v, i) => {
      if (v === null) return Number.NaN;
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "number") return v;
      throw new MlfError("invalid_data", `Model input ${columns[i]} is text in the reference sample; an explainer needs numeric inputs.`);
    }),
  );
}
