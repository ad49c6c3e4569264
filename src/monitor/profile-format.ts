import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { MlfError } from "../errors.js";
import { ReferenceSampleSchema } from "../models/reference.js";

/**
 * `reference.json`: what monitoring keeps of a model's training data, written beside the model
 * at registration (in the version folder). Small (kilobytes to a few hundred), yet enough to
 * run every drift test without the training file:
 *
 * - a feature with at most 1,000 distinct values keeps them all with their counts, so every
 *   test on it is exact (this covers every reference of at most 1,000 rows, and categories);
 * - a numerical feature with more keeps its exact count, mean, standard deviation and distinct
 *   count, and a sketch: the means of 1,000 equal-count bins of its sorted values, on which
 *   tests are close approximations (docs/monitoring.md gives the bounds);
 * - a categorical feature keeps up to 10,000 categories (the most frequent), the rest counted
 *   together in `other`.
 *
 * Quantiles and a histogram are kept for people and other tools, and a seeded uniform sample
 * of up to 500 rows of the model's inputs in input order: the background data an explainer
 * needs (SHAP's base value is the model's mean output on it).
 */

const strict = { additionalProperties: false } as const;
const Num = Type.Number();
const NumOrNull = Type.Union([Type.Number(), Type.Null()]);

const common = {
  name: Type.String({ minLength: 1, description: "the model input (view:feature), or the column name when the inputs are unknown" }),
  column: Type.String({ minLength: 1, description: "the column of the reference file" }),
  dtype: Type.String({ description: "DuckDB's type of the column" }),
  rows: Type.Integer({ minimum: 0 }),
  missing: Type.Integer({ minimum: 0, description: "rows that are NULL or NaN" }),
  count: Type.Integer({ minimum: 0, description: "values the tests use (finite, not NULL)" }),
  distinct: Type.Integer({ minimum: 0 }),
};

const NumericalProfileSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal("numerical"),
    integer: Type.Boolean(),
    mean: NumOrNull,
    std: Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description: "population standard deviation (ddof 0)" }),
    min: NumOrNull,
    max: NumOrNull,
    quantiles: Type.Object({ p: Type.Array(Num), values: Type.Array(Num) }, strict),
    histogram: Type.Object({ edges: Type.Array(Num), counts: Type.Array(Num) }, strict),
    distribution: Type.Object(
      { exact: Type.Boolean(), values: Type.Array(Num), counts: Type.Array(Type.Number({ minimum: 0 })) },
      { ...strict, description: "exact value counts, or the means and sizes of equal-count bins (a sketch); values ascending" },
    ),
  },
  strict,
);

const CategoricalProfileSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal("categorical"),
    categories: Type.Object(
      { exact: Type.Boolean(), values: Type.Array(Type.String()), counts: Type.Array(Type.Number({ minimum: 0 })), other: Type.Number({ minimum: 0 }) },
      { ...strict, description: "categories by count, descending; other: rows of the categories not kept" },
    ),
  },
  strict,
);

const FeatureProfileSchema = Type.Union([NumericalProfileSchema, CategoricalProfileSchema]);


export const ReferenceProfileSchema = Type.Object(
  {
    format: Type.Literal("mlf-reference-profile"),
    formatVersion: Type.Literal(1),
    createdAt: Type.String({ description: "ISO-8601 UTC" }),
    source: Type.Object({ path: Type.String(), sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }), rows: Type.Integer({ minimum: 0 }), bytes: Type.Integer({ minimum: 0 }) }, strict),
    features: Type.Array(FeatureProfileSchema, { description: "one per model input, in input order (or per column when the inputs are unknown)" }),
    prediction: Type.Union([FeatureProfileSchema, Type.Null()], { description: "the model's predictions on the reference rows, when computed" }),
    sample: ReferenceSampleSchema,
  },
  strict,
);

/** The whole `reference.json`. */
export type ReferenceProfile = Static<typeof ReferenceProfileSchema>;
/** One feature of a profile: numbers keep a distribution, categories their counts. */
export type FeatureProfile = Static<typeof FeatureProfileSchema>;
export type NumericalProfile = Static<typeof NumericalProfileSchema>;
export type CategoricalProfile = Static<typeof CategoricalProfileSchema>;
export type { ReferenceSample } from "../models/reference.js";

export const REFERENCE_FILE = "reference.json";

/** `value`, the JSON of the profile file at `path`, checked to be a whole profile. */
export function checkProfile(path: string, value: unknown): ReferenceProfile {
  if (!Value.Check(ReferenceProfileSchema, value)) {
    const [first] = Value.Errors(ReferenceProfileSchema, value);
    throw new MlfError("invalid_data", `${path} is not a reference profile (${first ? `${first.path || "/"}: ${first.message}` : "unexpected shape"}); register the model again to rewrite it.`);
  }
  return value;
}
