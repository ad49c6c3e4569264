import { isLogMetadataColumn, LOG_COLUMNS, STATUS_PREFIX } from "../repo/feature-logs.js";
import type { DriftSide } from "./side.js";

/**
 * Which column holds a feature on each side. A feature is known by its reference
 * `view:feature` in feature logs and model metadata, and by `feature` (or `view__feature`
 * with full feature names) in a training set made by `mlf get-historical`: each form finds
 * the others.
 */

/** The column of `available` that holds `wanted`, or undefined. */
export function resolveColumn(wanted: string, available: readonly string[]): string | undefined {
  const has = (c: string) => available.includes(c);
  if (has(wanted)) return wanted;
  const ref = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)$/.exec(wanted);
  if (ref) return [`${ref[1]}__${ref[2]}`, ref[2]!].find(has);
  const full = /^([A-Za-z_][A-Za-z0-9_]*?)__([A-Za-z_][A-Za-z0-9_]*)$/.exec(wanted);
  if (full && has(`${full[1]}:${full[2]}`)) return `${full[1]}:${full[2]}`;
  // A plain feature name answers to the one `view:<name>` column, when there is one.
  const logged = available.filter((c) => c.endsWith(`:${wanted}`) && !c.startsWith(STATUS_PREFIX));
  return logged.length === 1 ? logged[0] : undefined;
}

/** The columns holding data: in feature logs, the metadata columns (`route`, `key.*`...) are not. */
function dataColumns(side: DriftSide): string[] {
  const names = side.columns.map((c) => c.name);
  return side.source.kind === "logs" ? names.filter((n) => !isLogMetadataColumn(n)) : names;
}

/** One feature to compare and its column on each side. */
export interface FeaturePair {
  name: string;
  reference: string;
  current: string;
}

/** A feature left out of the comparison, and why. */
export interface SkippedFeature {
  name: string;
  reason: string;
}

/**
 * Pairs the features to test. With `features` (a model's inputs) each must be found on both
 * sides; without, every testable reference column the current data also has (log metadata and
 * the prediction column aside) is a feature.
 */
export function pairFeatures(reference: DriftSide, current: DriftSide, features?: readonly string[]): { pairs: FeaturePair[]; skipped: SkippedFeature[] } {
  const refColumns = dataColumns(reference);
  const curColumns = dataColumns(current);
  const candidates = features ?? refColumns.filter((c) => c !== LOG_COLUMNS.prediction);
  const pairs: FeaturePair[] = [];
  const skipped: SkippedFeature[] = [];
  for (const name of candidates) {
    const r = resolveColumn(name, refColumns);
    const c = resolveColumn(name, curColumns);
    const kind = reference.columns.find((x) => x.name === r)?.kind;
    if (r === undefined) skipped.push({ name, reason: "not in the reference data" });
    else if (c === undefined) skipped.push({ name, reason: "not in the current data" });
    else if (kind === "other") skipped.push({ name, reason: `${reference.columns.find((x) => x.name === r)!.dtype} columns are not tested` });
    else pairs.push({ name, reference: r, current: c });
  }
  return { pairs, skipped };
}
