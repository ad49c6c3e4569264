import { MlfError } from "../errors.js";
import { histogramOf, type Histogram } from "./histogram.js";
import { pairFeatures, type FeaturePair, type SkippedFeature } from "./match.js";
import { foldCategories, type Sample } from "./sample.js";
import type { ColumnQuality, DriftSide, SideSource } from "./side.js";
import { runTest, statTests, type StatTestName } from "./stattests/tests.js";

/** How to test: Evidently's defaults unless told otherwise. */
export interface DriftOptions {
  /** Restrict to these features (a model's inputs, or `--features`); default: every shared column. */
  features?: readonly string[];
  /** One test for every feature that accepts it (the others keep their default). */
  stattest?: StatTestName;
  /** A test per feature; a feature that does not accept its test is a usage error. */
  stattests?: Record<string, StatTestName>;
  /** One threshold for every feature (default: the test's own). */
  threshold?: number;
  thresholds?: Record<string, number>;
  /** Dataset drift when the share of drifted features is at least this (default 0.5, Evidently's). */
  driftShare?: number;
  /**
   * The prediction column on each side, when both have one; tested apart from the features.
   * `side` holds the reference predictions when `reference` does not (the profile's, beside
   * an exact training file, which has no predictions).
   */
  prediction?: { reference: string; current: string; side?: DriftSide };
}

/** One side of one feature, as the report shows it. */
export interface SideStats {
  rows: number;
  /** Values the test used (finite, not NULL). */
  values: number;
  /** Share of rows that are NULL or NaN. */
  missingShare: number;
  /** Share of rows per feature status, for feature logs. */
  statusShares?: Record<string, number>;
}

/** The verdict on one feature (or the prediction). */
export interface FeatureDrift {
  name: string;
  columns: { reference: string; current: string };
  kind: "numerical" | "categorical";
  /** The test run, or null when one side had no values. */
  test: StatTestName | null;
  /** Evidently's name of the test, e.g. "K-S p_value". */
  title: string | null;
  score: number | null;
  threshold: number | null;
  drifted: boolean;
  /** True when a side came from a profile sketch rather than the values themselves. */
  approximate: boolean;
  note?: string;
  reference: SideStats;
  current: SideStats;
  histogram: Histogram | null;
}

export interface DriftReport {
  generatedAt: string;
  reference: SideSource & { rows: number };
  current: SideSource & { rows: number };
  features: FeatureDrift[];
  skipped: SkippedFeature[];
  prediction: FeatureDrift | null;
  dataset: {
    /** Features tested. */
    features: number;
    drifted: number;
    share: number;
    /** The share at which the dataset counts as drifted. */
    driftShare: number;
    drift: boolean;
  };
}

function stats(quality: ColumnQuality | undefined, sample: Sample, rows: number): SideStats {
  const q = quality ?? { rows, missing: 0 };
  return {
    rows: q.rows,
    values: sample.n,
    missingShare: q.rows === 0 ? 0 : q.missing / q.rows,
    ...(q.statuses && { statusShares: Object.fromEntries(Object.entries(q.statuses).map(([s, n]) => [s, q.rows === 0 ? 0 : n / q.rows])) }),
  };
}

/** Both sides' samples of a pair, read one after the other (one DuckDB connection). */
async function samples(pair: FeaturePair, reference: DriftSide, current: DriftSide): Promise<[Sample, Sample]> {
  const ref = await reference.sample(pair.reference);
  return [ref, await current.sample(pair.current)];
}

function featureDrift(pair: FeaturePair, [ref, read]: [Sample, Sample], quality: { reference?: ColumnQuality; current?: ColumnQuality; rows: [number, number] }, options: DriftOptions): FeatureDrift {
  let cur = read;
  if (ref.kind !== cur.kind) {
    throw new MlfError("invalid_data", `Feature "${pair.name}" is ${ref.kind} in the reference but ${cur.kind} in the current data; give both sides the same type.`);
  }
  // A profile that kept only the frequent categories folds the rest into one; so must the current side.
  if (ref.kind === "categorical" && cur.kind === "categorical" && !ref.exact) cur = foldCategories(cur, ref.counts);
  const base = {
    name: pair.name,
    columns: { reference: pair.reference, current: pair.current },
    kind: ref.kind,
    approximate: !ref.exact || !cur.exact,
    reference: stats(quality.reference, ref, quality.rows[0]),
    current: stats(quality.current, cur, quality.rows[1]),
  };
  // Evidently refuses an empty side; a feature the current data never has a value for is the
  // loudest drift there is (a broken join, values all too old), so it counts as drifted.
  if (ref.n === 0 || cur.n === 0) {
    const where = ref.n === 0 ? "reference" : "current";
    return { ...base, test: null, title: null, score: null, threshold: null, drifted: cur.n === 0 && ref.n > 0, note: `no values in the ${where} data`, histogram: null };
  }
  // A per-feature test must fit the feature (runTest says so); the all-features one applies where it fits.
  const global = options.stattest !== undefined && (statTests[options.stattest].kinds as readonly string[]).includes(ref.kind) ? options.stattest : undefined;
  const test = options.stattests?.[pair.name] ?? global;
  const threshold = options.thresholds?.[pair.name] ?? options.threshold;
  const outcome = runTest(ref, cur, { ...(test !== undefined && { test }), ...(threshold !== undefined && { threshold }), feature: pair.name });
  return { ...base, ...outcome, histogram: histogramOf(ref, cur) };
}

/**
 * Tests every feature of `current` against `reference` (Evidently's data drift preset): per
 * feature its test, score, threshold and verdict, with missing and status shares; the dataset
 * drifts when the share of drifted features reaches `driftShare`. The prediction, when both
 * sides have one, is tested the same way but kept out of that share.
 */
export async function computeDrift(reference: DriftSide, current: DriftSide, options: DriftOptions = {}): Promise<DriftReport> {
  const { pairs, skipped } = pairFeatures(reference, current, options.features);
  if (pairs.length === 0) {
    throw new MlfError("invalid_data", `The reference and current data share no feature to test${skipped.length ? ` (${skipped.slice(0, 3).map((s) => `${s.name}: ${s.reason}`).join("; ")})` : ""}; check that they hold the same columns.`);
  }
  for (const name of Object.keys({ ...options.stattests, ...options.thresholds })) {
    if (!pairs.some((p) => p.name === name)) throw new MlfError("usage", `"${name}" is not a feature of this comparison; features: ${pairs.map((p) => p.name).join(", ")}.`);
  }
  const quality = {
    reference: await reference.quality(pairs.map((p) => p.reference)),
    current: await current.quality([...pairs.map((p) => p.current), ...(options.prediction ? [options.prediction.current] : [])]),
  };
  const qualityOf = (pair: FeaturePair, side = reference) => ({
    reference: side === reference ? quality.reference.get(pair.reference) : undefined,
    current: quality.current.get(pair.current),
    rows: [side.rows, current.rows] as [number, number],
  });
  const features: FeatureDrift[] = [];
  // While one feature is tested, DuckDB reads the next one's columns: at most two features'
  // columns are in memory at once.
  const prefetch = (pair: FeaturePair) => {
    const promise = samples(pair, reference, current);
    promise.catch(() => undefined); // awaited below; this only keeps an early exit from leaving it unhandled
    return promise;
  };
  let next = prefetch(pairs[0]!);
  for (const [i, pair] of pairs.entries()) {
    const read = await next;
    if (i + 1 < pairs.length) next = prefetch(pairs[i + 1]!);
    features.push(featureDrift(pair, read, qualityOf(pair), options));
  }
  let prediction: FeatureDrift | null = null;
  if (options.prediction) {
    const { side = reference, ...columns } = options.prediction;
    const pair = { name: "prediction", ...columns };
    const q = { ...qualityOf(pair, side), reference: (await side.quality([pair.reference])).get(pair.reference) };
    prediction = featureDrift(pair, await samples(pair, side, current), q, { ...options, stattest: undefined, stattests: undefined });
  }
  const drifted = features.filter((f) => f.drifted).length;
  const driftShare = options.driftShare ?? 0.5;
  const share = drifted / features.length;
  return {
    generatedAt: new Date().toISOString(),
    reference: { ...reference.source, rows: reference.rows },
    current: { ...current.source, rows: current.rows },
    features,
    skipped,
    prediction,
    dataset: { features: features.length, drifted, share, driftShare, drift: share >= driftShare },
  };
}
