import { MlfError } from "../errors.js";
import type { FeatureProfile, ReferenceProfile } from "./profile-format.js";
import { OTHER_CATEGORY, type Sample } from "./sample.js";
import type { ColumnQuality, DriftSide } from "./side.js";

/** The name the profile's prediction entry goes by, as a column of this side. */
export const PREDICTION = "prediction";

function sampleOf(f: FeatureProfile): Sample {
  if (f.kind === "numerical") {
    return {
      kind: "numerical",
      values: Float64Array.from(f.distribution.values),
      counts: Float64Array.from(f.distribution.counts),
      n: f.count,
      distinct: f.distinct,
      std: f.std ?? 0,
      integer: f.integer,
      exact: f.distribution.exact,
    };
  }
  const counts = new Map(f.categories.values.map((v, i) => [v, f.categories.counts[i]!]));
  if (f.categories.other > 0) counts.set(OTHER_CATEGORY, (counts.get(OTHER_CATEGORY) ?? 0) + f.categories.other);
  return { kind: "categorical", counts, n: f.count, exact: f.categories.exact };
}

/**
 * A stored reference profile as the reference side of a drift comparison: its features are
 * its columns (named as the model's inputs), the prediction entry the column `prediction`.
 */
export function profileSide(profile: ReferenceProfile, path: string): DriftSide {
  const entries = new Map<string, FeatureProfile>(profile.features.map((f) => [f.name, f]));
  if (profile.prediction) entries.set(PREDICTION, profile.prediction);
  const entry = (name: string) => {
    const found = entries.get(name);
    if (!found) throw new MlfError("invalid_data", `The reference profile ${path} has no feature "${name}".`);
    return found;
  };
  return {
    source: { kind: "profile", path, reference: profile.source.path, sha256: profile.source.sha256 },
    rows: profile.source.rows,
    columns: [...entries].map(([name, f]) => ({ name, dtype: f.dtype, kind: f.kind })),
    sample: async (name) => sampleOf(entry(name)),
    async quality(names) {
      return new Map(names.map((n): [string, ColumnQuality] => [n, { rows: entry(n).rows, missing: entry(n).missing }]));
    },
    close: async () => undefined,
  };
}
