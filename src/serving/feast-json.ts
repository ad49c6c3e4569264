import type { FeatureStatus, OnlineFeatures } from "../online/get-online.js";
import { formatTime } from "../util/time.js";

/** Feast writes the epoch for values without a time (join keys, NOT_FOUND). */
const EPOCH = "1970-01-01T00:00:00Z";

/** Recent timestamps' text: a server answers the same few materialized times over and over. */
const isoCache = new Map<number, string>();

function iso(ms: number | null): string {
  if (ms === null) return EPOCH;
  let text = isoCache.get(ms);
  if (text === undefined) {
    if (isoCache.size >= 4096) isoCache.clear();
    text = formatTime(ms);
    isoCache.set(ms, text);
  }
  return text;
}

/** Feature names as JSON strings: the same few names are written in every answer. */
const quotedNames = new Map<string, string>();

function quotedName(name: string): string {
  let text = quotedNames.get(name);
  if (text === undefined) {
    if (quotedNames.size >= 4096) quotedNames.clear();
    text = JSON.stringify(name);
    quotedNames.set(name, text);
  }
  return text;
}

const quotedStatus: Record<FeatureStatus, string> = { PRESENT: '"PRESENT"', NOT_FOUND: '"NOT_FOUND"', NULL_VALUE: '"NULL_VALUE"', OUTSIDE_MAX_AGE: '"OUTSIDE_MAX_AGE"' };

/**
 * One value as JSON.stringify writes it (non-finite numbers as null), except bigints (int64
 * values beyond 2^53), which it refuses: they are written as their digits, a JSON number.
 */
function jsonValue(value: unknown): string {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    default:
      return value === null || value === undefined ? "null" : (JSON.stringify(value) ?? "null");
  }
}

/**
 * Feast's /get-online-features answer as JSON text, written straight from the columns:
 * `{"metadata":{"feature_names":[...]},"results":[{"values":[...],"statuses":[...],
 * "event_timestamps":[...]}, ...]}`, one result per name, times ISO-8601 UTC. It is the
 * largest answer the server writes on its busiest route; building the intermediate objects
 * and running a schema serializer over them cost three times as much.
 */
export function feastJson(features: OnlineFeatures): string {
  const { names, results } = features;
  let out = '{"metadata":{"feature_names":[';
  for (let i = 0; i < names.length; i++) out += (i === 0 ? "" : ",") + quotedName(names[i]!);
  out += ']},"results":[';
  for (let i = 0; i < results.length; i++) {
    const { values, statuses, eventTimestamps } = results[i]!;
    out += i === 0 ? '{"values":[' : ',{"values":[';
    for (let e = 0; e < values.length; e++) out += (e === 0 ? "" : ",") + jsonValue(values[e]);
    out += '],"statuses":[';
    for (let e = 0; e < statuses.length; e++) out += (e === 0 ? "" : ",") + quotedStatus[statuses[e]!];
    out += '],"event_timestamps":[';
    for (let e = 0; e < eventTimestamps.length; e++) out += (e === 0 ? '"' : ',"') + iso(eventTimestamps[e]!) + '"';
    out += "]}";
  }
  return `${out}]}`;
}
